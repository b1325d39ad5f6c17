/** @module What `cutroom start`, `worker` and `bot` share: Redis services, metrics, the HTTP server, shutdown order. */
import type { Queue } from 'bullmq';
import { closeInOrder } from '../close-in-order.ts';
import type { Config } from '../config.ts';
import { HttpServer } from '../http/http-server.ts';
import { registerQueueDepthSource } from '../http/metrics.ts';
import type { Logger } from '../logger.ts';
import { openQueueServices, type QueueServices } from '../queue/queue-services.ts';

/** Something closed on shutdown, in reverse order of starting. */
export interface Closable {
  name: string;
  close(): Promise<void>;
}

export interface Runtime {
  services: QueueServices;
  /** Created, not listening yet: bots mount their routes first, then the command calls `start()`. */
  http: HttpServer;
}

/**
 * Opens the queue services (starting an embedded Redis when REDIS_URL is unset), registers queue metrics and
 * creates the HTTP server whose dashboard shows `queues`. Everything opened is pushed onto `parts`.
 */
export async function openRuntime(
  config: Config,
  logger: Logger,
  parts: Closable[],
  queues: (services: QueueServices) => Queue[],
): Promise<Runtime> {
  const services = await openQueueServices({ config, logger });
  parts.push({ name: 'queue services', close: () => services.close() });
  const unregister = registerQueueMetrics(services);
  parts.push({ name: 'metrics', close: async () => unregister() });
  const http = new HttpServer({
    port: config.http.port,
    host: config.http.host,
    redis: services.redis,
    queues: queues(services),
    dashboardToken: config.http.dashboardToken,
    metricsToken: config.http.metricsToken,
    logger,
  });
  return { services, http };
}

function registerQueueMetrics(services: QueueServices): () => void {
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

/** Runs `setup`; if it fails, closes what it had opened before rethrowing. Then serves until a signal. */
export async function serve(logger: Logger, setup: (parts: Closable[]) => Promise<void>): Promise<void> {
  const parts: Closable[] = [];
  try {
    await setup(parts);
  } catch (error) {
    await closeAll(parts, logger);
    throw error;
  }
  await runUntilSignal(parts, logger);
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
  const reversed = [...parts].reverse();
  await closeInOrder(
    reversed.map((part) => () => part.close()),
    (error, index) => logger.warn({ err: error, part: reversed[index].name }, 'close failed'),
  );
}
