// Redis-only suite: which thread is alive is Redis state with a TTL, checked on a real redis-server.
import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore, renderKey, uploadKey } from '../../../src/queue/artifact-store.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { RedisThreadStore } from '../../../src/queue/thread-store.ts';
import type { ThreadRef } from '../../../src/queue/types.ts';
import { startRetentionSweeper } from '../../../src/worker/retention-sweeper.ts';
import { uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const DAY_MS = 24 * 3600 * 1000;
const quiet: ThreadRef = { platform: 'slack', channelId: 'C1', threadId: '1.1' };
const busy: ThreadRef = { platform: 'slack', channelId: 'C1', threadId: '2.2' };

describe('startRetentionSweeper', () => {
  let redis: TestRedis;
  let connection: Redis;
  let root: string;
  let store: ArtifactStore;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    root = await mkdtemp(path.join(tmpdir(), 'cutroom-sweeper-'));
    store = new ArtifactStore({ root });
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
    await rm(root, { recursive: true, force: true });
  });

  async function oldFile(key: string): Promise<void> {
    await store.write(key, Buffer.from('x'), { name: 'x.mp4', mimeType: 'video/mp4' });
    const then = new Date(Date.now() - 40 * DAY_MS);
    await utimes(store.pathFor(key), then, then);
  }

  it('deletes a thread’s files when its state expires, and keeps an active thread’s old files', async () => {
    // A lifetime of one second stands in for 30 days: both rules read the same number.
    const threads = new RedisThreadStore({ redis: connection, prefix: uniquePrefix(), lifetimeMs: 1000 });
    await threads.claim(quiet, 'slack:Ev1', 'U1');
    await oldFile(uploadKey(quiet, 'slack:Ev1', 0, 'a.mp4'));
    await oldFile(renderKey(quiet, 'slack:Ev1'));
    await oldFile(uploadKey(busy, 'slack:Ev2', 0, 'b.mp4'));

    await waitUntil(async () => !(await threads.owns(quiet)), { what: 'the quiet thread’s state to expire' });
    await threads.claim(busy, 'slack:Ev3', 'U1');

    const sweeper = startRetentionSweeper({ store, threads, logger: createSilentLogger() });
    await sweeper.close();
    expect(await store.stat(uploadKey(quiet, 'slack:Ev1', 0, 'a.mp4'))).toBeUndefined();
    expect(await store.stat(renderKey(quiet, 'slack:Ev1'))).toBeUndefined();
    expect(await store.stat(uploadKey(busy, 'slack:Ev2', 0, 'b.mp4'))).toBeDefined();
  });

  it('keeps everything when the lifetime is 0 (CUTROOM_RETENTION_DAYS=0)', async () => {
    const threads = new RedisThreadStore({ redis: connection, prefix: uniquePrefix(), lifetimeMs: 0 });
    await oldFile(uploadKey(quiet, 'slack:Ev1', 0, 'a.mp4'));
    const sweeper = startRetentionSweeper({ store, threads, logger: createSilentLogger() });
    await sweeper.close();
    expect(await store.stat(uploadKey(quiet, 'slack:Ev1', 0, 'a.mp4'))).toBeDefined();
  });
});
