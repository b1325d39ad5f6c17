/**
 * @module Queue benchmark with a no-op processor: enqueue-to-start latency (p50/p95) and jobs per second for one
 * and two worker processes, deliveries per second, and how posting to several threads at once overlaps slow posts. Run directly (`node --import tsx bench/queue-bench.ts`) or
 * through `runQueueBench()`. The same file is the worker child process when CUTROOM_BENCH_ROLE=worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { DeliveryConsumer } from '../src/deliveries/delivery-consumer.ts';
import { DeliveryQueue, type EnqueueDeliveryOptions } from '../src/deliveries/delivery-queue.ts';
import type { Delivery } from '../src/deliveries/types.ts';
import { EditQueue } from '../src/queue/edit-queue.ts';
import { startEmbeddedRedis } from '../src/queue/embedded-redis.ts';
import { closeRedisConnection, createRedisConnection } from '../src/queue/redis-connection.ts';
import { jobIdFor } from '../src/queue/redis-keys.ts';
import { RedisThreadStore } from '../src/queue/thread-store.ts';
import type { EditRequest } from '../src/queue/types.ts';
import { EditWorker } from '../src/worker/edit-worker.ts';

const SELF = fileURLToPath(import.meta.url);
const LATENCY_SAMPLES = 100;
const THROUGHPUT_JOBS = 1000;
const DELIVERIES = 2000;
const SLOW_POSTS = 160;
const SLOW_POST_MS = 20;

function request(prompt: string): EditRequest {
  return {
    id: `bench:${randomUUID()}`,
    // A thread per job: the benchmark measures the queue, not the one-edit-per-thread rule.
    thread: { platform: 'slack', channelId: 'C-bench', threadId: randomUUID() },
    user: { id: 'U-bench' },
    kind: 'edit',
    prompt,
    assets: [],
    receivedAt: Date.now(),
  };
}

async function runBenchWorker(): Promise<void> {
  const env = process.env;
  const prefix = env.CUTROOM_BENCH_PREFIX ?? 'bench';
  const connection = createRedisConnection(env.CUTROOM_BENCH_REDIS ?? '');
  const deliveries = new DeliveryQueue({ connection, prefix });
  const worker = new EditWorker({
    connection,
    prefix,
    deliveries,
    threads: new RedisThreadStore({ redis: connection, prefix }),
    processor: async (req) => {
      if (req.prompt === 'latency')
        await connection.rpush(`${prefix}:bench:latency`, Date.now() - req.receivedAt);
      else await connection.incr(`${prefix}:bench:done`);
      return {};
    },
  });
  process.once('SIGTERM', async () => {
    await worker.close();
    await deliveries.close();
    await closeRedisConnection(connection);
    process.exit(0);
  });
  await worker.start();
  process.stdout.write('ready\n');
}

async function spawnWorker(redisUrl: string, prefix: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF], {
    env: {
      ...process.env,
      CUTROOM_BENCH_ROLE: 'worker',
      CUTROOM_BENCH_REDIS: redisUrl,
      CUTROOM_BENCH_PREFIX: prefix,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited with ${code}`)));
  });
  return child;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function benchWorkers(
  redis: Redis,
  redisUrl: string,
  workers: number,
): Promise<Record<string, number>> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const children = await Promise.all(Array.from({ length: workers }, () => spawnWorker(redisUrl, prefix)));
  const blocking = redis.duplicate();
  const queue = new EditQueue({ connection: redis, prefix });
  try {
    // Latency: one job at a time on idle workers, so the number is the pipeline's overhead, not a backlog.
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_SAMPLES; i++) {
      await queue.enqueue(request('latency'));
      const popped = await blocking.blpop(`${prefix}:bench:latency`, 10);
      if (!popped) throw new Error('bench: a job did not start within 10 s');
      latencies.push(Number(popped[1]));
    }
    latencies.sort((a, b) => a - b);

    const started = performance.now();
    const jobs = Array.from({ length: THROUGHPUT_JOBS }, () => request('throughput'));
    await queue.queue.addBulk(
      jobs.map((data) => ({ name: 'edit', data, opts: { jobId: jobIdFor(data.id) } })),
    );
    while (Number(await redis.get(`${prefix}:bench:done`)) < THROUGHPUT_JOBS) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const seconds = (performance.now() - started) / 1000;
    return {
      [`latency_p50_ms_${workers}w`]: percentile(latencies, 50),
      [`latency_p95_ms_${workers}w`]: percentile(latencies, 95),
      [`jobs_per_s_${workers}w`]: Math.round(THROUGHPUT_JOBS / seconds),
    };
  } finally {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve) => {
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    await queue.close();
    blocking.disconnect();
  }
}

/**
 * Enqueues `count` deliveries made by `make` (100 at a time), then starts a consumer whose every post
 * takes `post`; times both halves.
 */
async function timeDeliveries(
  redis: Redis,
  count: number,
  make: (i: number) => [Delivery, EnqueueDeliveryOptions?],
  post: () => Promise<unknown> = async () => {},
): Promise<{ enqueueSeconds: number; postSeconds: number }> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const deliveries = new DeliveryQueue({ connection: redis, prefix });
  let posted = 0;
  const consumer = new DeliveryConsumer({
    connection: redis,
    prefix,
    platform: 'slack',
    handler: async () => {
      await post();
      posted++;
    },
  });
  try {
    const enqueueStart = performance.now();
    for (let i = 0; i < count; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, count - i) }, (_, j) => deliveries.enqueue(...make(i + j))),
      );
    }
    const enqueueSeconds = (performance.now() - enqueueStart) / 1000;
    const postStart = performance.now();
    await consumer.start();
    while (posted < count) await new Promise((r) => setTimeout(r, 10));
    return { enqueueSeconds, postSeconds: (performance.now() - postStart) / 1000 };
  } finally {
    await consumer.close();
    await deliveries.close();
  }
}

async function benchDeliveries(redis: Redis): Promise<Record<string, number>> {
  const thread = { platform: 'slack' as const, channelId: 'C-bench', threadId: 'T-bench' };
  const { enqueueSeconds, postSeconds } = await timeDeliveries(redis, DELIVERIES, (i) => [
    { kind: 'message', thread, requestId: 'bench:1', text: `message ${i}` },
    { key: `bench:1:message:${i}` },
  ]);
  return {
    deliveries_enqueued_per_s: Math.round(DELIVERIES / enqueueSeconds),
    deliveries_posted_per_s: Math.round(DELIVERIES / postSeconds),
  };
}

/**
 * Posts that each take SLOW_POST_MS (a platform's round trip) into `threads` threads: one thread's
 * posts run in order, so only posts to different threads can overlap.
 */
async function benchSlowPosts(redis: Redis, threads: number): Promise<number> {
  const { postSeconds } = await timeDeliveries(
    redis,
    SLOW_POSTS,
    (i) => [
      {
        kind: 'message',
        thread: { platform: 'slack', channelId: 'C-bench', threadId: `T-${i % threads}` },
        requestId: `bench:${i}`,
        text: `message ${i}`,
      },
    ],
    () => new Promise((r) => setTimeout(r, SLOW_POST_MS)),
  );
  return Math.round(SLOW_POSTS / postSeconds);
}

/** Runs the whole benchmark against a private redis-server and prints a small table. */
export async function runQueueBench(): Promise<Record<string, number | string>> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'cutroom-queue-bench-'));
  const server = await startEmbeddedRedis({ dataDir });
  const redis = createRedisConnection(server.url);
  try {
    const results: Record<string, number | string> = {
      processor: 'no-op',
      latency_samples: LATENCY_SAMPLES,
      throughput_jobs: THROUGHPUT_JOBS,
      ...(await benchWorkers(redis, server.url, 1)),
      ...(await benchWorkers(redis, server.url, 2)),
      ...(await benchDeliveries(redis)),
      [`posted_per_s_${SLOW_POST_MS}ms_posts_1_thread`]: await benchSlowPosts(redis, 1),
      [`posted_per_s_${SLOW_POST_MS}ms_posts_8_threads`]: await benchSlowPosts(redis, 8),
    };
    console.table(Object.entries(results).map(([metric, value]) => ({ metric, value })));
    return results;
  } finally {
    await closeRedisConnection(redis);
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.env.CUTROOM_BENCH_ROLE === 'worker') {
  await runBenchWorker();
} else if (process.argv[1] && path.resolve(process.argv[1]) === SELF) {
  await runQueueBench();
}
