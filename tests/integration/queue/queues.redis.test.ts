// Redis-only suite: idempotency, positions and delivery rules are Redis state, checked on a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CutroomError, ErrorCode } from '../../../src/errors.ts';
import { DeliveryConsumer, DeliveryQueue } from '../../../src/queue/delivery-queue.ts';
import { EditQueue } from '../../../src/queue/edit-queue.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { RetryAfterError } from '../../../src/queue/retry-after-error.ts';
import type { Delivery } from '../../../src/queue/types.ts';
import { collectDeliveries, makeRequest, uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('queues', () => {
  let redis: TestRedis;
  let connection: Redis;
  let prefix: string;
  const closers: Array<{ close(): Promise<unknown> }> = [];

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
  });

  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c.close();
    await closeRedisConnection(connection);
    await redis.close();
  });

  const editQueue = () => {
    const q = new EditQueue({ connection, prefix });
    closers.push(q);
    return q;
  };
  const deliveryQueue = () => {
    const q = new DeliveryQueue({ connection, prefix, backoffMs: 50 });
    closers.push(q);
    return q;
  };
  const consume = async (options: Parameters<typeof collectDeliveries>[0]) => {
    const result = await collectDeliveries(options);
    closers.push(result.consumer);
    return result;
  };

  describe('EditQueue', () => {
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
  });

  describe('deliveries', () => {
    const deliveryFor = (text: string, platform: 'slack' | 'discord' = 'slack'): Delivery => ({
      kind: 'message',
      thread: { platform, channelId: 'C1', threadId: 'T1' },
      requestId: 'slack:Ev1',
      text,
    });

    it('posts each keyed delivery once, however often it is enqueued', async () => {
      const deliveries = deliveryQueue();
      await deliveries.enqueue(deliveryFor('hello'), { key: 'slack:Ev1:message:1' });
      await deliveries.enqueue(deliveryFor('hello again'), { key: 'slack:Ev1:message:1' });
      const { delivered } = await consume({ connection, prefix });
      await waitUntil(() => delivered.length === 1, { what: 'one delivery' });
      await deliveries.enqueue(deliveryFor('hello'), { key: 'slack:Ev1:message:1' });
      await new Promise((r) => setTimeout(r, 300));
      expect(delivered.map((d) => (d.kind === 'message' ? d.text : ''))).toEqual(['hello']);
    });

    it('routes deliveries only to the consumer of their platform', async () => {
      const deliveries = deliveryQueue();
      const slack = await consume({ connection, prefix, platform: 'slack' });
      const discord = await consume({ connection, prefix, platform: 'discord' });
      await deliveries.enqueue(deliveryFor('to slack', 'slack'));
      await deliveries.enqueue(deliveryFor('to discord', 'discord'));
      await waitUntil(() => slack.delivered.length === 1 && discord.delivered.length === 1, { what: 'both' });
      expect(slack.delivered[0]).toMatchObject({ text: 'to slack' });
      expect(discord.delivered[0]).toMatchObject({ text: 'to discord' });
    });

    it('posts only the latest of several queued statuses of a request', async () => {
      const deliveries = deliveryQueue();
      for (let i = 1; i <= 5; i++) {
        await deliveries.enqueue({
          kind: 'status',
          thread: { platform: 'slack', channelId: 'C1', threadId: 'T1' },
          requestId: 'slack:Ev1',
          stage: 'editing',
          text: `step ${i}`,
        });
      }
      const { delivered } = await consume({ connection, prefix });
      await waitUntil(
        async () => (await deliveries.queueFor('slack').getJobCounts('completed')).completed === 5,
        {
          what: 'all status jobs processed',
        },
      );
      expect(delivered).toEqual([expect.objectContaining({ text: 'step 5' })]);
    });

    it('waits the retry-after time of a rate-limited post, then posts it', async () => {
      const deliveries = deliveryQueue();
      let calls = 0;
      const { delivered } = await consume({
        connection,
        prefix,
        handler: async () => {
          calls++;
          if (calls === 1) throw new RetryAfterError('slack: ratelimited', 400);
        },
      });
      const started = Date.now();
      await deliveries.enqueue(deliveryFor('after a 429'));
      await waitUntil(() => delivered.length === 1, { what: 'delivery after retry' });
      expect(calls).toBe(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    });

    it('drops a delivery at once when the handler says retrying cannot help', async () => {
      const deliveries = deliveryQueue();
      let calls = 0;
      const failures: boolean[] = [];
      const consumer = new DeliveryConsumer({
        connection,
        prefix,
        platform: 'slack',
        handler: async () => {
          calls++;
          throw new CutroomError(ErrorCode.MissingScope, 'files:write missing');
        },
      });
      closers.push(consumer);
      consumer.on('failed', (_d, _e, final) => failures.push(final));
      await consumer.start();
      await deliveries.enqueue(deliveryFor('no scope'));
      await waitUntil(() => failures.length === 1, { what: 'failure' });
      await new Promise((r) => setTimeout(r, 300));
      expect(calls).toBe(1);
      expect(failures).toEqual([true]);
    });
  });
});
