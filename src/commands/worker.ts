/** @module `cutroom worker`: edit workers (plus HTTP health and metrics) until SIGTERM or SIGINT. */
import path from 'node:path';
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { type Config, loadConfig } from '../config.ts';
import { createLogger, type Logger } from '../logger.ts';
import type { Services } from '../open-services.ts';
import { redactSecrets } from '../redact-secrets.ts';
import { createEditProcessor } from '../worker/edit-processor.ts';
import { EditWorker } from '../worker/edit-worker.ts';
import { startRetentionSweeper } from '../worker/retention-sweeper.ts';
import { sweepWorkLeftovers } from '../worker/work-leftovers.ts';
import { type Closable, openRuntime, serve } from './runtime.ts';

/** Starts `concurrency` jobs' worth of edit workers against the shared queues, plus the artifact sweep. */
export async function startEditWorker(services: Services, logger: Logger, config: Config, parts: Closable[]) {
  const sweeper = startRetentionSweeper({
    store: services.artifacts,
    threads: services.threads,
    logger,
  });
  parts.push({ name: 'retention sweeper', close: () => sweeper.close() });
  await sweepWorkLeftovers({
    workRoot: path.join(config.dataDir, 'work'),
    olderThanMs: config.worker.jobDeadlineMs,
    logger,
  });
  // One warm session per concurrent job: a job never waits for the operator page to load.
  const pool = createBrowserPool(config, logger.child({ component: 'browser' }), {
    size: config.worker.concurrency,
  });
  parts.push({ name: 'browser pool', close: () => pool.close() });
  const worker = new EditWorker({
    connection: services.redis,
    prefix: services.prefix,
    deliveries: services.deliveries,
    threads: services.threads,
    concurrency: config.worker.concurrency,
    jobDeadlineMs: config.worker.jobDeadlineMs,
    lockDurationMs: config.worker.lockDurationMs,
    stalledIntervalMs: config.worker.lockDurationMs,
    logger: logger.child({ component: 'worker' }),
    processor: createEditProcessor({
      config,
      logger,
      threads: services.threads,
      artifacts: services.artifacts,
      pool,
      rateLimiter: services.rateLimiter,
    }),
  });
  worker.on('error', (error) => logger.warn({ err: error }, 'edit worker error'));
  await worker.start();
  // Closed before the pool: running jobs finish (or are handed back) while their browsers still exist.
  parts.push({ name: 'edit worker', close: () => worker.close() });
}

export async function worker(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY });
  await serve(logger, async (parts) => {
    const { services, http } = await openRuntime(config, logger, parts, (s) => [s.edits.queue]);
    await http.start();
    parts.push({ name: 'http', close: () => http.close() });
    await startEditWorker(services, logger, config, parts);
    process.stdout.write(
      `cutroom worker: ready (http://${config.http.host}:${http.port}, redis ${redactSecrets(services.redisUrl)}${services.embeddedRedis ? ' embedded' : ''})\n`,
    );
  });
}
