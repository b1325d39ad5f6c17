// Redis-only suite: delivery order, coalescing and retries are BullMQ and Redis state, checked on a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeliveryConsumer } from '../../../src/deliveries/delivery-consumer.ts';
import { DeliveryQueue } from '../../../src/deliveries/delivery-queue.ts';
import { RetryAfterError } from '../../../src/deliveries/retry-after-error.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { CutroomError, ErrorCode } from '../../../src/errors.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { collectDeliveries, uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('DeliveryConsumer', () => {
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

  it('shows only the latest of several statuses reported before it got to them', async () => {
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
    expect(await deliveries.queueFor('slack').count()).toBe(1);
    const { delivered } = await consume({ connection, prefix });
    await waitUntil(() => delivered.length === 1, { what: 'a status' });
    await new Promise((r) => setTimeout(r, 300));
    expect(delivered).toEqual([expect.objectContaining({ text: 'step 5' })]);
  });

  it('waits between two statuses of a request, but shows a final one at once', async () => {
    const deliveries = deliveryQueue();
    const shownAt: [string, number][] = [];
    await consume({
      connection,
      prefix,
      statusIntervalMs: 600,
      handler: async (d) => {
        if (d.kind === 'status') shownAt.push([d.stage, Date.now()]);
      },
    });
    const report = (stage: 'editing' | 'rendering' | 'done') =>
      deliveries.enqueue({
        kind: 'status',
        thread: { platform: 'slack', channelId: 'C1', threadId: 'T1' },
        requestId: 'slack:Ev1',
        stage,
        text: '',
      });
    await report('editing');
    await waitUntil(() => shownAt.length === 1, { what: 'the first status' });
    await report('rendering');
    await waitUntil(() => shownAt.length === 2, { what: 'the second status' });
    await report('done');
    await waitUntil(() => shownAt.length === 3, { what: 'the final status' });
    expect(shownAt.map(([stage]) => stage)).toEqual(['editing', 'rendering', 'done']);
    expect(shownAt[1][1] - shownAt[0][1]).toBeGreaterThanOrEqual(550);
    expect(shownAt[2][1] - shownAt[1][1]).toBeLessThan(550);
  });

  it('posts to other threads while one thread’s post is slow, and keeps each thread in order', async () => {
    const deliveries = deliveryQueue();
    const posted: string[] = [];
    let releaseSlow = () => {};
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const { delivered } = await consume({
      connection,
      prefix,
      handler: async (d) => {
        if (d.kind === 'message' && d.text === 'a1') await slow;
        if (d.kind === 'message') posted.push(d.text);
      },
    });
    const message = (threadId: string, text: string): Delivery => ({
      kind: 'message',
      thread: { platform: 'slack', channelId: 'C1', threadId },
      requestId: `slack:${text}`,
      text,
    });
    await deliveries.enqueue(message('A', 'a1'));
    await deliveries.enqueue(message('A', 'a2'));
    await deliveries.enqueue(message('B', 'b1'));
    await waitUntil(() => posted.includes('b1'), { what: 'the other thread’s post' });
    expect(posted).toEqual(['b1']);
    releaseSlow();
    await waitUntil(() => delivered.length === 3, { what: 'every post' });
    expect(posted).toEqual(['b1', 'a1', 'a2']);
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
    const handled: Delivery[] = [];
    const failures: boolean[] = [];
    const consumer = new DeliveryConsumer({
      connection,
      prefix,
      platform: 'slack',
      handler: async (delivery) => {
        handled.push(delivery);
        throw new CutroomError(ErrorCode.MissingScope, 'files:write missing');
      },
    });
    closers.push(consumer);
    consumer.on('failed', (_d, _e, final) => failures.push(final));
    await consumer.start();
    await deliveries.enqueue(deliveryFor('no scope'));
    await waitUntil(() => failures.length === 1, { what: 'failure' });
    await new Promise((r) => setTimeout(r, 300));
    // One try, then (in the thread's turn) the notice that it will never be posted.
    expect(handled.map((d) => d.kind)).toEqual(['message', 'error']);
    expect(handled[1]).toMatchObject({ code: 'delivery_failed' });
    expect(failures).toEqual([true]);
  });

  it('tells the thread, once, when a delivery fails for good, in the turn of the dropped delivery', async () => {
    const deliveries = new DeliveryQueue({ connection, prefix, attempts: 2, backoffMs: 20 });
    closers.push(deliveries);
    const tried: Delivery[] = [];
    const { delivered } = await consume({
      connection,
      prefix,
      handler: async (delivery) => {
        tried.push(delivery);
        if (delivery.kind === 'message') throw new Error('socket hang up');
      },
    });
    await deliveries.enqueue(deliveryFor('the answer'));
    await waitUntil(() => delivered.length === 1, { what: 'the failure notice' });
    await new Promise((r) => setTimeout(r, 300));
    expect(tried.map((d) => d.kind)).toEqual(['message', 'message', 'error']);
    expect(delivered[0]).toMatchObject({ kind: 'error', code: 'delivery_failed' });
    expect(delivered[0]?.kind === 'error' && delivered[0].text).toMatch(
      /could not post my reply here \(socket hang up\)/,
    );
  });
});
