/** @module `cutroom bot`: only the chat bots and their delivery consumers (workers run elsewhere). */
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createLogger } from '../logger.ts';
import { openRuntime, serve } from './runtime.ts';
import { startBots } from './start-bots.ts';

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
  await serve(logger, async (parts) => {
    const { services, http } = await openRuntime(config, logger, parts, (s) =>
      (['slack', 'discord'] as const).map((p) => s.deliveries.queueFor(p)),
    );
    const bots = await startBots({ config, logger, services, http });
    for (const running of bots) parts.push({ name: running.name, close: () => running.close() });
    await http.start();
    parts.push({ name: 'http', close: () => http.close() });
    process.stdout.write(
      `cutroom bot: ready (${bots.map((b) => b.name).join(', ')}; http://${config.http.host}:${http.port})\n`,
    );
  });
}
