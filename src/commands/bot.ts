/** @module `cutroom bot`: only the chat bots and their delivery consumers (workers run elsewhere). */
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import { HttpServer } from '../http/http-server.ts';
import { createLogger } from '../logger.ts';
import { openQueueServices } from '../queue/queue-services.ts';
import { startBots } from './start-bots.ts';
import { type Closable, closeAll, registerQueueMetrics, runUntilSignal } from './worker.ts';

export async function bot(): Promise<void> {
  const config = loadConfig();
  if (!config.slack && !config.discord) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'cutroom bot: no chat platform configured; set SLACK_BOT_TOKEN (docs/slack.md) or DISCORD_TOKEN (docs/discord.md)',
    );
  }
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY });
  if (!config.redisUrl) {
    logger.warn('REDIS_URL is unset: using an embedded Redis that only workers in this process could reach');
  }
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
      queues: (['slack', 'discord'] as const).map((p) => services.deliveries.queueFor(p)),
      dashboardToken: config.http.dashboardToken,
      logger,
    });
    const bots = await startBots({ config, logger, services, http });
    for (const running of bots) parts.push({ name: running.name, close: () => running.close() });
    await http.start();
    parts.push({ name: 'http', close: () => http.close() });
    process.stdout.write(
      `cutroom bot: ready (${bots.map((b) => b.name).join(', ')}; http://${config.http.host}:${http.port})\n`,
    );
  } catch (error) {
    await closeAll(parts, logger);
    throw error;
  }
  await runUntilSignal(parts, logger);
}
