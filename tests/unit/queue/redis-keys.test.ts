import { describe, expect, it } from 'vitest';
import { deliveriesQueueName, jobIdFor, RedisKeys } from '../../../src/queue/redis-keys.ts';

describe('job ids', () => {
  it('turns platform keys into ids BullMQ accepts, distinct for distinct keys', () => {
    const keys = ['slack:Ev1', 'slack%3AEv1', 'discord:1:2', '123', '%N123', 'plain'];
    const ids = keys.map(jobIdFor);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
    }
    expect(new Set(ids).size).toBe(keys.length);
  });

  it('names one deliveries queue per platform without colons', () => {
    expect(deliveriesQueueName('discord')).toBe('deliveries-discord');
  });
});

describe('RedisKeys', () => {
  const keys = new RedisKeys('p');
  const thread = { platform: 'slack', channelId: 'C1', threadId: '1.2' } as const;

  it('puts every key under the prefix, and none under a queue’s name where BullMQ keeps its jobs', () => {
    const all = [
      ...Object.values(keys.thread(thread)),
      keys.threadLock(thread),
      keys.threadTombstone(thread),
      keys.workspaceUploadLimit('discord', 'G1'),
      keys.eventSeen('slack:Ev1'),
      keys.cancelChannel(),
      keys.cancelFlag('slack:Ev1'),
      keys.status('slack:Ev1'),
      keys.statusPending('slack:Ev1'),
      keys.delivered('job:upload'),
      keys.rateUser(thread, 'U1'),
      keys.rateChannel(thread),
    ];
    expect(new Set(all).size).toBe(all.length);
    for (const key of all) {
      expect(key.startsWith('p:')).toBe(true);
      expect(key.startsWith('p:edits:') || key.startsWith('p:deliveries-')).toBe(false);
    }
  });

  it('keys a thread by platform, channel and thread', () => {
    expect(keys.thread(thread).versions).toBe('p:thread:slack:C1:1.2:versions');
    expect(keys.thread({ ...thread, threadId: '1.3' }).versions).not.toBe(keys.thread(thread).versions);
  });
});
