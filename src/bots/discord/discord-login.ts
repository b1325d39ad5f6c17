/** @module Logs the Discord client in and waits for the gateway to be ready, within a time limit. */
import { setTimeout as sleep } from 'node:timers/promises';
import { type Client, Events } from 'discord.js';
import { CutroomError, ErrorCode, TimeoutError } from '../../errors.ts';

export interface LoginDiscordOptions {
  token: string;
  /** Named in the error when login fails (DISCORD_API_URL). */
  apiUrl?: string;
  /** Time allowed for login and the gateway handshake. @defaultValue 30000 */
  readyTimeoutMs?: number;
}

/**
 * @throws CutroomError config_invalid when Discord refuses the token; TimeoutError when the gateway is
 * not ready in time (GET /gateway/bot, HELLO, READY, GUILD_CREATE).
 */
export async function loginDiscord(client: Client, options: LoginDiscordOptions): Promise<void> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const timer = new AbortController();
  const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
  const login = client.login(options.token).catch((error: unknown) => {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      `discord bot: login failed (${(error as Error).message}); check DISCORD_TOKEN${options.apiUrl ? ` and DISCORD_API_URL=${options.apiUrl}` : ''}`,
      { cause: error },
    );
  });
  const timeout = sleep(readyTimeoutMs, undefined, { signal: timer.signal }).then(() => {
    throw new TimeoutError(
      `discord bot: gateway not ready after ${readyTimeoutMs} ms (GET /gateway/bot, HELLO, READY, GUILD_CREATE)`,
    );
  });
  try {
    await Promise.race([login.then(() => ready), timeout]);
  } finally {
    timer.abort();
    await timeout.catch(() => {});
  }
}
