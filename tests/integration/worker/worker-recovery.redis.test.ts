// Redis-only suite: real redis-server and real child worker processes, because crash recovery and
// restarts can only be shown across processes.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DeliveryConsumer } from '../../../src/deliveries/delivery-consumer.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { EditQueue } from '../../../src/queue/edit-queue.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { jobIdFor } from '../../../src/queue/redis-keys.ts';
import { type ChildWorker, spawnChildWorker } from '../../helpers/child-worker.ts';
import { collectDeliveries, makeRequest, uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

// Child processes start through tsx and the machine is shared: allow more than the default minute.
describe('edit workers across processes', { timeout: 120_000 }, () => {
  let redis: TestRedis;
  let connection: Redis;
  let prefix: string;
  let logDir: string;
  let queue: EditQueue;
  let consumer: DeliveryConsumer;
  let delivered: Delivery[];
  const children: ChildWorker[] = [];

  const runs = async () =>
    (await readFile(path.join(logDir, 'runs.log'), 'utf8').catch(() => '')).split('\n');
  const spawnWorker = async () => {
    const worker = await spawnChildWorker({
      TEST_REDIS_URL: redis.url,
      TEST_PREFIX: prefix,
      TEST_LOG_DIR: logDir,
    });
    children.push(worker);
    return worker;
  };
  const messagesFor = (requestId: string) =>
    delivered.filter((d) => d.kind === 'message' && d.requestId === requestId);

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
    logDir = await mkdtemp(path.join(tmpdir(), 'cutroom-runs-'));
    queue = new EditQueue({ connection, prefix, backoffMs: 100 });
    ({ delivered, consumer } = await collectDeliveries({ connection, prefix }));
  });

  afterEach(async () => {
    await Promise.all(children.splice(0).map((c) => c.kill()));
    await consumer.close();
    await queue.close();
    await closeRedisConnection(connection);
    await redis.close();
    await rm(logDir, { recursive: true, force: true });
  });

  it('finishes a job on the other worker when its worker is killed mid-job, delivering once', async () => {
    const [a, b] = [await spawnWorker(), await spawnWorker()];
    const request = makeRequest({ prompt: JSON.stringify({ sleepMs: 3000 }) });
    await queue.enqueue(request);

    const startLine = await waitUntil(
      async () => (await runs()).find((l) => l.startsWith(`start ${request.id}`)),
      {
        what: 'job start',
      },
    );
    const firstPid = Number(startLine.split(' ')[2]);
    const [victim, survivor] = firstPid === a.pid ? [a, b] : [b, a];
    await victim.kill();

    await waitUntil(() => messagesFor(request.id).length > 0, { timeoutMs: 30_000, what: 'result delivery' });
    const ends = await waitUntil(
      async () => {
        const lines = (await runs()).filter((l) => l.startsWith(`end ${request.id}`));
        return lines.length > 0 ? lines : undefined;
      },
      { what: 'end of the run' },
    );
    expect(ends).toEqual([`end ${request.id} ${survivor.pid}`]);
    // A second posting would come from the same finished job; give the consumer time to show one.
    await new Promise((r) => setTimeout(r, 1500));
    expect(messagesFor(request.id)).toHaveLength(1);
    expect(messagesFor(request.id)[0]).toMatchObject({ text: `done by ${survivor.pid}` });
  });

  it('loses no job when Redis restarts mid-run', async () => {
    await spawnWorker();
    const running = makeRequest({ prompt: JSON.stringify({ sleepMs: 1500 }) });
    const waiting = makeRequest({
      prompt: JSON.stringify({ sleepMs: 10 }),
      thread: { ...running.thread, threadId: 'other' },
    });
    await queue.enqueue(running);
    await waitUntil(async () => (await runs()).some((l) => l.startsWith(`start ${running.id}`)), {
      what: 'job start',
    });
    await queue.enqueue(waiting);

    await redis.restart();

    await waitUntil(() => messagesFor(running.id).length > 0 && messagesFor(waiting.id).length > 0, {
      timeoutMs: 40_000,
      what: 'both deliveries after the restart',
    });
    expect(messagesFor(running.id)).toHaveLength(1);
    expect(messagesFor(waiting.id)).toHaveLength(1);
  });

  it('finishes the running job on SIGTERM before the process exits', async () => {
    const worker = await spawnWorker();
    const request = makeRequest({ prompt: JSON.stringify({ sleepMs: 800 }) });
    await queue.enqueue(request);
    await waitUntil(async () => (await runs()).some((l) => l.startsWith(`start ${request.id}`)), {
      what: 'job start',
    });

    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);

    const lines = await runs();
    expect(lines.indexOf(`end ${request.id} ${worker.pid}`)).toBeGreaterThan(-1);
    expect(lines.indexOf(`end ${request.id} ${worker.pid}`)).toBeLessThan(
      lines.indexOf(`exit ${worker.pid}`),
    );
    expect(await (await queue.queue.getJob(jobIdFor(request.id)))?.getState()).toBe('completed');
  });
});
