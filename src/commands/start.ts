/** @module `cutroom start`: everything in one process (embedded Redis when REDIS_URL is unset, bots, workers, HTTP). */
import { loadConfig } from '../config.ts';
import { HttpServer } from '../http/http-server.ts';
import { createLogger } from '../logger.ts';
import { openQueueServices } from '../queue/queue-services.ts';
import { startRetentionSweeper } from '../worker/retention-sweeper.ts';
import { startBots } from './start-bots.ts';
import { type Closable, closeAll, registerQueueMetrics, runUntilSignal, startEditWorker } from './worker.ts';

export async function start(): Promise<void> {
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
      queues: [
        services.editQueue.queue,
        ...(['slack', 'discord'] as const).map((p) => services.deliveries.queueFor(p)),
      ],
      dashboardToken: config.http.dashboardToken,
      logger,
    });
    // Bots mount their HTTP routes before the server starts listening.
    const bots = await startBots({ config, logger, services, http });
    for (const bot of bots) parts.push({ name: bot.name, close: () => bot.close() });
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
    if (bots.length === 0) {
      logger.warn('no chat platform configured (set SLACK_BOT_TOKEN or DISCORD_TOKEN): running workers only');
    }
    process.stdout.write(
      `cutroom start: ready (http://${config.http.host}:${http.port}, redis ${services.redisUrl}${services.embeddedRedis ? ' embedded' : ''}, ${bots.length} bot(s))\n`,
    );
  } catch (error) {
    await closeAll(parts, logger);
    throw error;
  }
  await runUntilSignal(parts, logger);
}
