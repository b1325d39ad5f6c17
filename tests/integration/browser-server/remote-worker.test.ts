/**
 * Scale-out end to end: a real EditWorker (real Redis, BullMQ) renders through `cutroom browser-server`s running
 * as separate processes. Killing the server that holds a job's session mid-render makes the job retry on the
 * other server and post exactly one result.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Redis } from 'ioredis';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { RemoteBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import { RemoteBrowserConnector } from '../../../src/browser/remote-browser-connector.ts';
import type { LoadableAsset, RenderProgress } from '../../../src/browser/types.ts';
import type { DeliveryConsumer } from '../../../src/deliveries/delivery-consumer.ts';
import { DeliveryQueue } from '../../../src/deliveries/delivery-queue.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { CutroomError, ErrorCode } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore, renderKey } from '../../../src/queue/artifact-store.ts';
import { EditQueue } from '../../../src/queue/edit-queue.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { jobIdFor } from '../../../src/queue/redis-keys.ts';
import { RedisThreadStore } from '../../../src/queue/thread-store.ts';
import { EditWorker } from '../../../src/worker/edit-worker.ts';
import type { JobProcessor } from '../../../src/worker/job-processor.ts';
import { type BrowserServerProcess, spawnBrowserServer } from '../../helpers/browser-server-process.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';
import { collectDeliveries, makeRequest, uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const TOKEN = 'remote-worker-token-5d2e';
const TRIM = `
  const layer = await composition.add(new core.Layer());
  await layer.add(new core.VideoClip(assets[0].source, { range: [1, 4], start: 0 }));
`;

let fixtures: MediaFixtures;
let clip: LoadableAsset;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  clip = await localAsset(await fixtures.clip('source.mp4', { seconds: 6, audio: true }));
  return () => fixtures.close();
}, 60_000);

describe('EditWorker with remote browser servers', () => {
  let redis: TestRedis;
  let connection: Redis;
  let prefix: string;
  let queue: EditQueue;
  let deliveries: DeliveryQueue;
  let consumer: DeliveryConsumer;
  let delivered: Delivery[];
  let out: string;
  let store: ArtifactStore;
  const servers: BrowserServerProcess[] = [];
  const closers: (() => Promise<void>)[] = [];

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
    deliveries = new DeliveryQueue({ connection, prefix });
    queue = new EditQueue({ connection, prefix, attempts: 3, backoffMs: 50 });
    ({ delivered, consumer } = await collectDeliveries({ connection, prefix }));
    out = await mkdtemp(path.join(tmpdir(), 'cutroom-remote-'));
    store = new ArtifactStore({ root: path.join(out, 'artifacts') });
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
    await Promise.all(servers.splice(0).map((s) => s.kill()));
    await consumer.close();
    await queue.close();
    await deliveries.close();
    await closeRedisConnection(connection);
    await redis.close();
    await rm(out, { recursive: true, force: true });
  });

  /** A worker whose processor does what the agent's tools do: load, run code, render, post the result. */
  async function startRemoteWorker(
    endpoints: string[],
    onRenderProgress?: (progress: RenderProgress, attempt: number) => void,
  ): Promise<{ attempts: number[] }> {
    const logger = createSilentLogger();
    const connector = new RemoteBrowserConnector({ endpoints, token: TOKEN, connectTimeoutMs: 5000, logger });
    const pool = new BrowserPool({ provider: new RemoteBrowserProvider({ connector }), size: 0, logger });
    const attempts: number[] = [];
    const processor: JobProcessor = async (request, ctx) => {
      attempts.push(ctx.attempt);
      const session = await pool.acquire({ signal: ctx.signal, timeoutMs: 60_000 });
      try {
        await session.loadAssets([clip], { signal: ctx.signal });
        const code = await session.runCode(TRIM, { signal: ctx.signal });
        if (!code.ok) throw new CutroomError(ErrorCode.CodeRuntime, code.error?.message ?? 'code failed');
        const file = path.join(out, `${ctx.jobId}-${ctx.attempt}.mp4`);
        const rendered = await session.render({
          outPath: file,
          signal: ctx.signal,
          onProgress: (p) => onRenderProgress?.(p, ctx.attempt),
        });
        const ref = await store.write(renderKey(request.thread, request.id), createReadStream(file), {
          name: 'edit.mp4',
          mimeType: 'video/mp4',
        });
        await ctx.deliver({
          kind: 'result',
          thread: request.thread,
          requestId: request.id,
          file: ref,
          text: 'Here is your edit.',
          version: 1,
          durationSeconds: rendered.durationSeconds,
        });
        return { version: 1 };
      } finally {
        await session.release();
      }
    };
    const threads = new RedisThreadStore({ redis: connection, prefix });
    const worker = new EditWorker({ connection, prefix, processor, deliveries, threads, logger });
    await worker.start();
    closers.push(
      () => pool.close(),
      () => worker.close(),
    );
    return { attempts };
  }

  const jobState = async (requestId: string) => (await queue.queue.getJob(jobIdFor(requestId)))?.getState();
  const sessionsOpened = (server: BrowserServerProcess) =>
    server.stderr().split('"session opened"').length - 1;

  it('renders through a browser-server running in another process', async () => {
    const server = await spawnBrowserServer({ token: TOKEN, maxSessions: 1 });
    servers.push(server);
    await startRemoteWorker([server.wsEndpoint]);
    const request = makeRequest();
    await queue.enqueue(request);

    await waitUntil(async () => (await jobState(request.id)) === 'completed', {
      what: 'job completed',
      timeoutMs: 150_000,
    });
    await waitUntil(() => delivered.some((d) => d.kind === 'result'), { what: 'result delivery' });
    const result = delivered.find((d) => d.kind === 'result');
    expect(result?.kind === 'result' && result.durationSeconds).toBeCloseTo(3, 0);
    const probe = await ffprobe(store.pathFor(renderKey(request.thread, request.id)));
    expect(probe.duration).toBeCloseTo(3, 0);
    expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
    expect(sessionsOpened(server)).toBe(1);
  }, 300_000);

  it('finishes a job on the other server, with one delivery, when its server is killed mid-render', async () => {
    const [a, b] = await Promise.all([
      spawnBrowserServer({ token: TOKEN, maxSessions: 2 }),
      spawnBrowserServer({ token: TOKEN, maxSessions: 2 }),
    ]);
    servers.push(a, b);
    let killed: BrowserServerProcess | undefined;
    let killing: Promise<void> | undefined;
    const { attempts } = await startRemoteWorker([a.wsEndpoint, b.wsEndpoint], (progress, attempt) => {
      if (attempt !== 1 || killing || progress.percent <= 0) return;
      // The session lives on whichever server logged it; that one dies, as a crashed machine would.
      killed = sessionsOpened(a) > 0 ? a : b;
      killing = killed.kill();
    });
    const request = makeRequest();
    await queue.enqueue(request);

    await waitUntil(async () => (await jobState(request.id)) === 'completed', {
      what: 'job completed',
      timeoutMs: 200_000,
    });
    await waitUntil(() => delivered.some((d) => d.kind === 'result'), { what: 'result delivery' });
    await killing;
    expect(killed).toBeDefined();
    const survivor = killed === a ? b : a;
    expect(attempts).toEqual([1, 2]);
    expect(sessionsOpened(survivor)).toBe(1);
    expect(delivered.filter((d) => d.kind === 'result')).toHaveLength(1);
    expect(delivered.filter((d) => d.kind === 'error')).toEqual([]);
    const probe = await ffprobe(store.pathFor(renderKey(request.thread, request.id)));
    expect(probe.duration).toBeCloseTo(3, 0);
  }, 360_000);
});
