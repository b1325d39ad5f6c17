/** @module `cutroom start`: everything in one process (embedded Redis when REDIS_URL is unset, bots, workers, HTTP). */
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { redactSecrets } from '../redact-secrets.ts';
import { openRuntime, serve } from './runtime.ts';
import { startBots } from './start-bots.ts';
import { startEditWorker } from './worker.ts';

export async function start(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel, pretty: process.stderr.isTTY });
  await serve(logger, async (parts) => {
    const { services, http } = await openRuntime(config, logger, parts, (s) => [
      s.editQueue.queue,
      ...(['slack', 'discord'] as const).map((p) => s.deliveries.queueFor(p)),
    ]);
    // Bots mount their HTTP routes before the server starts listening.
    const bots = await startBots({ config, logger, services, http });
    for (const bot of bots) parts.push({ name: bot.name, close: () => bot.close() });
    await http.start();
    parts.push({ name: 'http', close: () => http.close() });
    await startEditWorker(services, logger, config, parts);
    if (bots.length === 0) {
      logger.warn('no chat platform configured (set SLACK_BOT_TOKEN or DISCORD_TOKEN): running workers only');
    }
    process.stdout.write(
      `cutroom start: ready (http://${config.http.host}:${http.port}, redis ${redactSecrets(services.redisUrl)}${services.embeddedRedis ? ' embedded' : ''}, ${bots.length} bot(s))\n`,
    );
  });
}
