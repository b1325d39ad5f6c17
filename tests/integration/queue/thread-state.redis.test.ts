// Redis-only suite: versions and ownership are stored in a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { RedisVersionStore, ThreadRegistry } from '../../../src/queue/thread-state.ts';
import type { ThreadRef, Version } from '../../../src/queue/types.ts';
import { uniquePrefix } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const thread: ThreadRef = { platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadId: 'T1' };
const draft = (prompt: string, extra: Partial<Version> = {}): Omit<Version, 'number'> => ({
  prompt,
  assets: [],
  script: [`composition.add(${JSON.stringify(prompt)})`],
  verdicts: [],
  createdAt: 1,
  ...extra,
});

describe('thread state', () => {
  let redis: TestRedis;
  let connection: Redis;
  let store: RedisVersionStore;
  let prefix: string;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
    store = new RedisVersionStore({ redis: connection, prefix });
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('numbers versions per thread and keeps the full script and empty lists intact', async () => {
    const v1 = await store.append(thread, draft('first'));
    const v2 = await store.append(thread, draft('second'));
    const other = await store.append({ ...thread, threadId: 'T2' }, draft('elsewhere'));
    expect([v1.number, v2.number, other.number]).toEqual([1, 2, 1]);
    expect(await store.latest(thread)).toEqual(v2);
    expect((await store.list(thread)).map((v) => v.prompt)).toEqual(['first', 'second']);
    expect(v2.assets).toEqual([]);
    expect(v2.script).toEqual(['composition.add("second")']);
  });

  it('keeps one version when the same request appends twice', async () => {
    const a = await store.append(thread, draft('retry me', { requestId: 'discord:1' }));
    const b = await store.append(thread, draft('retry me again', { requestId: 'discord:1' }));
    expect(b).toEqual(a);
    expect(await store.list(thread)).toHaveLength(1);
  });

  it('undo returns the previous version and never reuses a dropped number', async () => {
    await store.append(thread, draft('one'));
    await store.append(thread, draft('two'));
    expect((await store.undo(thread))?.prompt).toBe('one');
    expect((await store.append(thread, draft('three'))).number).toBe(3);
  });

  it('undoes once per request, however often the request runs', async () => {
    await store.append(thread, draft('one'));
    await store.append(thread, draft('two'));
    await store.append(thread, draft('three'));
    expect((await store.undo(thread, { requestId: 'u1' }))?.prompt).toBe('two');
    expect((await store.undo(thread, { requestId: 'u1' }))?.prompt).toBe('two');
    expect(await store.list(thread)).toHaveLength(2);
  });

  it('refuses to undo in a thread without versions, with nothing_to_undo', async () => {
    await expect(store.undo(thread)).rejects.toMatchObject({
      code: 'nothing_to_undo',
      userMessage: 'There is nothing to undo in this thread yet.',
    });
  });

  it('remembers which threads the bot owns and each request status message', async () => {
    const registry = new ThreadRegistry({ redis: connection, prefix });
    expect(await registry.owns(thread)).toBe(false);
    await registry.claim(thread);
    expect(await registry.owns(thread)).toBe(true);
    expect(await registry.owns({ ...thread, threadId: 'T9' })).toBe(false);
    await registry.setStatusMessage('discord:1', 'M42');
    expect(await registry.getStatusMessage('discord:1')).toBe('M42');
    expect(await registry.getStatusMessage('discord:2')).toBeUndefined();
  });
});
