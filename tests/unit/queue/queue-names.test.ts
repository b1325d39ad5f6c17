import { describe, expect, it } from 'vitest';
import { deliveriesQueueName, jobIdFor, keyFromJobId } from '../../../src/queue/queue-names.ts';

describe('job ids', () => {
  it('turns platform keys into ids BullMQ accepts, distinct for distinct keys', () => {
    const keys = ['slack:Ev1', 'slack%3AEv1', 'discord:1:2', '123', '%N123', 'plain'];
    const ids = keys.map(jobIdFor);
    for (const id of ids) {
      expect(id).not.toContain(':');
      expect(`${Number.parseInt(id, 10)}`).not.toBe(id);
    }
    expect(new Set(ids).size).toBe(keys.length);
    expect(ids.map(keyFromJobId)).toEqual(keys);
  });

  it('names one deliveries queue per platform without colons', () => {
    expect(deliveriesQueueName('discord')).toBe('deliveries-discord');
  });
});
