/** @module Builds the discord.js client with the intents and partials cutroom's thread UX depends on. */
import { Client, GatewayIntentBits, Partials } from 'discord.js';

export interface CreateDiscordClientOptions {
  /** REST base without the version, e.g. `http://127.0.0.1:4000/api` (DISCORD_API_URL). @defaultValue Discord's */
  apiUrl?: string;
}

/**
 * Guilds + GuildMessages + MessageContent let the bot read thread replies and their attachments.
 * The Channel partial matters: without it discord.js drops messages from threads it has not cached.
 * The gateway URL is whatever `GET /gateway/bot` on the REST base answers, so a fake serves both.
 */
export function createDiscordClient(options: CreateDiscordClientOptions = {}): Client {
  return new Client({
    intents: [GatewayIntentBits.Guilds, GatewayIntentBits.GuildMessages, GatewayIntentBits.MessageContent],
    partials: [Partials.Channel],
    rest: { version: '10', ...(options.apiUrl ? { api: options.apiUrl.replace(/\/+$/, '') } : {}) },
  });
}
