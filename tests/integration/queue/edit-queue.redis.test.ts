// Redis-only suite: idempotency, positions and cancellation are BullMQ state, checked on a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EditQueue } from '../../../src/queue/edit-queue.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { jobIdFor, RedisKeys } from '../../../src/queue/redis-keys.ts';
import { makeRequest, uniquePrefix } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('EditQueue', () => {
  let redis: TestRedis;
  let connection: Redis;
  let prefix: string;
  const queues: EditQueue[] = [];

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
  });

  afterEach(async () => {
    for (const q of queues.splice(0)) await q.close();
    await closeRedisConnection(connection);
    await redis.close();
  });

  const editQueue = () => {
    const q = new EditQueue({ connection, prefix });
    queues.push(q);
    return q;
  };

  it('enqueues the same event twice as one job', async () => {
    const queue = editQueue();
    const request = makeRequest();
    expect(await queue.enqueue(request)).toEqual({ enqueued: true, position: 1 });
    expect(await queue.enqueue({ ...request, receivedAt: request.receivedAt + 1 })).toEqual({
      enqueued: false,
      position: 1,
    });
    expect(await queue.queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
  });

  it('reports each waiting request its place in line', async () => {
    const queue = editQueue();
    const requests = [makeRequest(), makeRequest(), makeRequest()];
    const positions = [];
    for (const r of requests) positions.push((await queue.enqueue(r)).position);
    expect(positions).toEqual([1, 2, 3]);
    expect(await queue.position(requests[1].id)).toBe(2);
    expect(await queue.position('slack:unknown')).toBeUndefined();
  });

  it('rejects a malformed request before queueing it', async () => {
    const queue = editQueue();
    await expect(queue.enqueue({ ...makeRequest(), thread: undefined } as never)).rejects.toThrow();
    expect(await queue.queue.count()).toBe(0);
  });

  it('removes a waiting request it is asked to cancel, and flags it so no retry starts it', async () => {
    const queue = editQueue();
    const request = makeRequest();
    await queue.enqueue(request);
    expect(await queue.cancel(request.id)).toBe('removed');
    expect(await queue.queue.getJob(jobIdFor(request.id))).toBeUndefined();
    expect(await connection.exists(new RedisKeys(prefix).cancelFlag(request.id))).toBe(1);
    expect(await queue.cancel('slack:unknown')).toBe('not_found');
  });
});
