/** @module Starts the chat bots configured in the environment, for `cutroom start` and `cutroom bot`. */
import { startDiscordBot } from '../bots/discord/discord-bot.ts';
import { startSlackBot } from '../bots/slack/slack-bot.ts';
import type { Config } from '../config.ts';
import type { HttpServer } from '../http/http-server.ts';
import type { Logger } from '../logger.ts';
import type { Services } from '../open-services.ts';

export interface StartBotsContext {
  config: Config;
  logger: Logger;
  services: Services;
  /** Not listening yet: bots mount their routes (`http.mount('/slack/events', …)`) before it starts. */
  http: HttpServer;
}

export interface RunningBot {
  name: string;
  close(): Promise<void>;
}

/** One entry per platform configured; each bot also runs the DeliveryConsumer of its platform. */
export async function startBots(ctx: StartBotsContext): Promise<RunningBot[]> {
  const { config, logger, services, http } = ctx;
  const bots: RunningBot[] = [];
  try {
    if (config.slack) {
      const slack = await startSlackBot({ config, logger, services, http });
      bots.push({ name: `slack (${slack.mode})`, close: () => slack.close() });
    }
    if (config.discord) {
      const discord = await startDiscordBot({ config, logger, services });
      bots.push({ name: 'discord', close: () => discord.close() });
    }
  } catch (error) {
    await Promise.allSettled(bots.map((bot) => bot.close()));
    throw error;
  }
  return bots;
}
