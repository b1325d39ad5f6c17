// Redis-only suite: the worker's retry, cancel and shutdown rules are BullMQ state in a real redis-server.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CutroomError, ErrorCode } from '../../../src/errors.ts';
import { type DeliveryConsumer, DeliveryQueue } from '../../../src/queue/delivery-queue.ts';
import { EditQueue } from '../../../src/queue/edit-queue.ts';
import { jobIdFor } from '../../../src/queue/queue-names.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import type { Delivery } from '../../../src/queue/types.ts';
import type { EditProcessor } from '../../../src/worker/edit-processor.ts';
import { EditWorker, type EditWorkerOptions } from '../../../src/worker/edit-worker.ts';
import { collectDeliveries, makeRequest, uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('EditWorker', () => {
  let redis: TestRedis;
  let connection: Redis;
  let prefix: string;
  let queue: EditQueue;
  let deliveries: DeliveryQueue;
  let consumer: DeliveryConsumer;
  let delivered: Delivery[];
  const workers: EditWorker[] = [];

  const startWorker = async (processor: EditProcessor, options: Partial<EditWorkerOptions> = {}) => {
    const worker = new EditWorker({ connection, prefix, processor, ...options });
    workers.push(worker);
    await worker.start();
    return worker;
  };
  const jobState = async (requestId: string) => (await queue.queue.getJob(jobIdFor(requestId)))?.getState();

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
    deliveries = new DeliveryQueue({ connection, prefix });
    queue = new EditQueue({ connection, prefix, attempts: 3, backoffMs: 50, deliveries });
    ({ delivered, consumer } = await collectDeliveries({ connection, prefix }));
  });

  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await consumer.close();
    await queue.close();
    await deliveries.close();
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('fails bad input once, without retrying, and posts one error delivery', async () => {
    let calls = 0;
    await startWorker(async () => {
      calls++;
      throw new CutroomError(ErrorCode.AssetUnsupported, 'probe: no video stream', {
        userMessage: 'That file is not a video I can read.',
      });
    });
    const request = makeRequest();
    await queue.enqueue(request);

    await waitUntil(async () => (await jobState(request.id)) === 'failed', { what: 'job failed' });
    await waitUntil(() => delivered.some((d) => d.kind === 'error'), { what: 'error delivery' });
    expect(calls).toBe(1);
    expect(delivered.filter((d) => d.kind === 'error')).toEqual([
      expect.objectContaining({ code: 'asset_unsupported', text: 'That file is not a video I can read.' }),
    ]);
  });

  it('ends a job that outlives its deadline, releases the thread and tells it, even when the job ignores its signal', async () => {
    let signalled = false;
    await startWorker(
      async (_request, ctx) => {
        ctx.signal.addEventListener('abort', () => {
          signalled = true;
        });
        // An un-timed wait that ignores the signal: without the deadline it would hold the thread's lock for ever.
        await new Promise(() => {});
        return {};
      },
      { jobDeadlineMs: 300 },
    );
    const stuck = makeRequest();
    await queue.enqueue(stuck);
    await waitUntil(async () => (await jobState(stuck.id)) === 'failed', {
      what: 'job failed at its deadline',
    });
    expect(signalled).toBe(true);
    await waitUntil(() => delivered.some((d) => d.kind === 'error'), { what: 'error delivery' });
    expect(delivered.find((d) => d.kind === 'error')).toMatchObject({ code: 'job_deadline' });
    expect((delivered.find((d) => d.kind === 'error') as { text: string }).text).toMatch(
      /limit and was stopped/,
    );

    // The thread is free again: the next request of the same thread runs (and meets the same deadline).
    const next = makeRequest({ thread: stuck.thread });
    await queue.enqueue(next);
    await waitUntil(async () => (await jobState(next.id)) === 'failed', { what: 'next job ran' });
  });

  it('retries a retryable failure with backoff and posts the error once after the last attempt', async () => {
    const attempts: number[] = [];
    await startWorker(async (_request, ctx) => {
      attempts.push(ctx.attempt);
      throw new CutroomError(ErrorCode.BrowserUnavailable, 'no browser', {
        retryable: true,
        userMessage: 'No editing browser is free right now.',
      });
    });
    const request = makeRequest();
    await queue.enqueue(request);

    await waitUntil(async () => (await jobState(request.id)) === 'failed', { what: 'job failed' });
    await waitUntil(() => delivered.some((d) => d.kind === 'error'), { what: 'error delivery' });
    expect(attempts).toEqual([1, 2, 3]);
    expect(delivered.filter((d) => d.kind === 'error')).toHaveLength(1);
  });

  it('ends a cancelled running job with "Cancelled." and no error delivery', async () => {
    let aborted = false;
    await startWorker(async (_request, ctx) => {
      await ctx.progress({ stage: 'editing', text: 'Editing…' });
      try {
        await sleep(30_000, undefined, { signal: ctx.signal });
      } catch (error) {
        aborted = ctx.signal.aborted;
        throw error;
      }
      return {};
    });
    const request = makeRequest();
    await queue.enqueue(request);
    await waitUntil(async () => (await queue.position(request.id)) === 0, { what: 'job running' });

    expect(await queue.cancel(request.id)).toBe('signalled');

    await waitUntil(async () => (await jobState(request.id)) === 'completed', { what: 'job ended' });
    await waitUntil(() => delivered.some((d) => d.kind === 'status' && d.stage === 'cancelled'), {
      what: 'cancelled status',
    });
    expect(aborted).toBe(true);
    expect(delivered.some((d) => d.kind === 'error')).toBe(false);
  });

  it('removes a cancelled waiting request before it starts', async () => {
    const request = makeRequest();
    await queue.enqueue(request);
    expect(await queue.cancel(request.id)).toBe('removed');
    expect(await queue.queue.getJob(jobIdFor(request.id))).toBeUndefined();
    await waitUntil(() => delivered.some((d) => d.kind === 'status' && d.stage === 'cancelled'), {
      what: 'cancelled status',
    });
  });

  it('hands a job that outlives the shutdown bound back to the queue without using an attempt', async () => {
    const first = await startWorker(
      async (_request, ctx) => {
        await sleep(30_000, undefined, { signal: ctx.signal });
        return {};
      },
      { shutdownTimeoutMs: 200 },
    );
    const request = makeRequest();
    await queue.enqueue(request);
    await waitUntil(async () => (await queue.position(request.id)) === 0, { what: 'job running' });

    await first.close();

    expect(await jobState(request.id)).toBe('waiting');
    expect((await queue.queue.getJob(jobIdFor(request.id)))?.attemptsMade).toBe(0);
    const finishedBy: number[] = [];
    await startWorker(async (_request, ctx) => {
      finishedBy.push(ctx.attempt);
      return { summary: 'second worker' };
    });
    await waitUntil(async () => (await jobState(request.id)) === 'completed', { what: 'job completed' });
    expect(finishedBy).toEqual([1]);
  });

  it('lets a running job finish when it ends within the shutdown bound', async () => {
    const worker = await startWorker(
      async () => {
        await sleep(300);
        return { summary: 'finished' };
      },
      { shutdownTimeoutMs: 10_000 },
    );
    const request = makeRequest();
    await queue.enqueue(request);
    await waitUntil(async () => (await queue.position(request.id)) === 0, { what: 'job running' });
    await worker.close();
    expect(await jobState(request.id)).toBe('completed');
  });

  it('throttles progress into few status deliveries', async () => {
    await startWorker(async (_request, ctx) => {
      for (let i = 0; i < 50; i++)
        await ctx.progress({ stage: 'editing', percent: i * 2, text: `step ${i}` });
      return {};
    });
    const request = makeRequest();
    await queue.enqueue(request);
    await waitUntil(async () => (await jobState(request.id)) === 'completed', { what: 'job completed' });
    await sleep(300);
    expect(delivered.filter((d) => d.kind === 'status').length).toBeLessThanOrEqual(2);
  });

  it('runs two requests of one thread one after the other, even with free capacity', async () => {
    const events: string[] = [];
    await startWorker(
      async (request) => {
        events.push(`start ${request.id}`);
        await sleep(300);
        events.push(`end ${request.id}`);
        return {};
      },
      { concurrency: 2, threadBusyRetryMs: 100 },
    );
    const a = makeRequest();
    const b = makeRequest({ thread: a.thread });
    await queue.enqueue(a);
    await queue.enqueue(b);
    await waitUntil(
      async () => (await jobState(a.id)) === 'completed' && (await jobState(b.id)) === 'completed',
      {
        what: 'both completed',
      },
    );
    expect(events).toEqual([`start ${a.id}`, `end ${a.id}`, `start ${b.id}`, `end ${b.id}`]);
  });
});
