/** @module `cutroom worker`: edit workers (plus HTTP health and metrics) until SIGTERM or SIGINT. */
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { type Config, loadConfig } from '../config.ts';
import { HttpServer } from '../http/http-server.ts';
import { registerQueueDepthSource } from '../http/metrics.ts';
import { createLogger, type Logger } from '../logger.ts';
import { openQueueServices, type QueueServices } from '../queue/queue-services.ts';
import { EditWorker } from '../worker/edit-worker.ts';
import { createEditProcessor } from '../worker/process-edit.ts';
import { startRetentionSweeper } from '../worker/retention-sweeper.ts';

/** Something `runUntilSignal` closes on shutdown, in reverse order of starting. */
export interface Closable {
  name: string;
  close(): Promise<void>;
}

export function registerQueueMetrics(services: QueueServices): () => void {
  return registerQueueDepthSource(async () => {
    const samples = [];
    const depth = await services.editQueue.depth();
    for (const [state, count] of Object.entries(depth)) samples.push({ queue: 'edits', state, count });
    for (const [platform, count] of Object.entries(await services.deliveries.depths())) {
      samples.push({ queue: `deliveries-${platform}`, state: 'pending', count });
    }
    return samples;
  });
}

/** Starts `concurrency` jobs' worth of edit workers against the shared queues. */
export async function startEditWorker(services: QueueServices, logger: Logger, config: Config) {
  // One warm session per concurrent job: a job never waits for the operator page to load.
  const pool = createBrowserPool(config, logger.child({ component: 'browser' }), {
    size: config.worker.concurrency,
  });
  const worker = new EditWorker({
    connection: services.redis,
    concurrency: config.worker.concurrency,
    logger: logger.child({ component: 'worker' }),
    processor: createEditProcessor({
      config,
      logger,
      versions: services.versions,
      artifacts: services.artifacts,
      pool,
    }),
  });
  worker.on('error', (error) => logger.warn({ err: error }, 'edit worker error'));
  await worker.start();
  return {
    /** Stops taking jobs (finishing or handing back the active ones), then closes the browsers. */
    async close() {
      try {
        await worker.close();
      } finally {
        await pool.close();
      }
    },
  };
}

/**
 * Waits for SIGTERM or SIGINT, then closes `parts` in reverse order, each step on its own so one
 * failure never skips the rest. A second signal exits at once.
 */
export async function runUntilSignal(parts: Closable[], logger: Logger): Promise<void> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down');
  const force = () => {
    logger.warn('second signal: exiting without waiting');
    process.exit(1);
  };
  process.once('SIGTERM', force);
  process.once('SIGINT', force);
  await closeAll(parts, logger);
  // Everything we opened is closed; a handle some library left open must not keep a stopped server alive.
  setTimeout(() => process.exit(), 1000).unref();
}

export async function closeAll(parts: Closable[], logger: Logger): Promise<void> {
  for (const part of [...parts].reverse()) {
    try {
      await part.close();
      logger.debug({ part: part.name }, 'closed');
    } catch (error) {
      logger.warn({ err: error, part: part.name }, 'close failed');
    }
  }
}

export async function worker(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY });
  const parts: Closable[] = [];
  try {
    const services = await openQueueServices({ config, logger });
    parts.push({ name: 'queue services', close: () => services.close() });
    const unregister = registerQueueMetrics(services);
    parts.push({ name: 'metrics', close: async () => unregister() });
    const http = new HttpServer({
      port: config.http.port,
      host: config.http.host,
      redis: services.redis,
      queues: [services.editQueue.queue],
      dashboardToken: config.http.dashboardToken,
      logger,
    });
    await http.start();
    parts.push({ name: 'http', close: () => http.close() });
    const sweeper = startRetentionSweeper({
      store: services.artifacts,
      retentionMs: config.limits.retentionDays * 24 * 3600 * 1000,
      logger,
    });
    parts.push({ name: 'retention sweeper', close: () => sweeper.close() });
    const editWorker = await startEditWorker(services, logger, config);
    parts.push({ name: 'edit worker', close: () => editWorker.close() });
    process.stdout.write(
      `cutroom worker: ready (http://${config.http.host}:${http.port}, redis ${services.redisUrl}${services.embeddedRedis ? ' embedded' : ''})\n`,
    );
  } catch (error) {
    await closeAll(parts, logger);
    throw error;
  }
  await runUntilSignal(parts, logger);
}
