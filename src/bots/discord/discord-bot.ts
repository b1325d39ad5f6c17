/** @module The Discord bot: wires the discord.js client, the shared request flow and Discord's deliveries, and owns their lifecycle. */
import { type Client, Events } from 'discord.js';
import { closeInOrder } from '../../close-in-order.ts';
import type { Config } from '../../config.ts';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { BotCore } from '../shared/bot-core.ts';
import type { BotServices } from '../shared/bot-services.ts';
import { InFlight } from '../shared/in-flight.ts';
import { createDiscordClient, createDiscordUploadRest } from './discord-client.ts';
import { registerDiscordHandlers } from './discord-handlers.ts';
import { loginDiscord } from './discord-login.ts';
import { createDiscordSurface } from './discord-surface.ts';

export interface StartDiscordBotOptions {
  /** Needs `config.discord` (DISCORD_TOKEN). */
  config: Config;
  logger: Logger;
  services: BotServices;
  /** Time allowed for login and the gateway handshake. @defaultValue 30000 */
  readyTimeoutMs?: number;
}

export interface DiscordBot {
  readonly client: Client;
  /** Stops posting deliveries, finishes requests in flight, disconnects. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Logs in, waits for the gateway to be ready, and starts posting Discord's deliveries.
 * @throws CutroomError config_invalid without DISCORD_TOKEN or with a token Discord refuses; TimeoutError when the gateway is not ready in time.
 */
export async function startDiscordBot(options: StartDiscordBotOptions): Promise<DiscordBot> {
  const { config, services } = options;
  const discord = config.discord;
  if (!discord) {
    throw new CutroomError(ErrorCode.ConfigInvalid, 'discord bot: DISCORD_TOKEN is not set');
  }
  const logger = options.logger.child({ platform: 'discord' });
  const client = createDiscordClient({ apiUrl: discord.apiUrl });
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));
  const access = { allowedGuilds: discord.allowedGuilds, allowedChannels: discord.allowedChannels };
  const core = new BotCore({
    platform: 'discord',
    logger,
    services,
    limits: config.limits,
    allowlist: { workspaces: access.allowedGuilds, channels: access.allowedChannels },
    admins: config.threadAdmins,
  });
  const inFlight = new InFlight();
  registerDiscordHandlers(client, {
    handle: (request) => core.handle(request, inFlight.signal),
    threads: services.threads,
    access,
    downloads: {
      extraHosts: discord.apiUrl ? [new URL(discord.apiUrl).hostname] : [],
      idleTimeoutMs: config.transfers.downloadIdleTimeoutMs,
    },
    inFlight,
    logger,
  });

  let deliveries: { close(): Promise<void> } | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= closeInOrder(
      [async () => deliveries?.close(), () => inFlight.close('discord bot closing'), () => client.destroy()],
      (error) => logger.warn({ err: error }, 'discord bot: a close step failed'),
    );
    return closing;
  };
  try {
    await loginDiscord(client, {
      token: discord.token,
      apiUrl: discord.apiUrl,
      readyTimeoutMs: options.readyTimeoutMs,
    });
    deliveries = await services.startDeliveries(
      'discord',
      createDiscordSurface({
        client,
        uploadRest: createDiscordUploadRest({
          token: discord.token,
          apiUrl: discord.apiUrl,
          timeoutMs: config.transfers.uploadTimeoutMs,
        }),
      }),
      { logger },
    );
    logger.info({ user: client.user?.tag }, 'discord bot ready');
  } catch (error) {
    await close();
    throw error;
  }
  return { client, close, [Symbol.asyncDispose]: close };
}
