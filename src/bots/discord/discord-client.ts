/** @module Builds the discord.js client with the intents and partials cutroom's thread UX depends on, and its upload REST client. */
import { Client, GatewayIntentBits, Partials, REST, type ResponseLike } from 'discord.js';

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
    // Whatever a post says, it pings no one unless it asks to (deliveries never do).
    allowedMentions: { parse: [], repliedUser: false },
    rest: { version: '10', ...(options.apiUrl ? { api: options.apiUrl.replace(/\/+$/, '') } : {}) },
  });
}

/**
 * A REST client with the bot token for uploads only: discord.js's timeout (15 s) covers a request's whole body, so a
 * render of tens of MB on a slow link needs a client of its own with a long one.
 */
export function createDiscordUploadRest(options: {
  token: string;
  apiUrl?: string;
  timeoutMs: number;
}): REST {
  return new REST({
    version: '10',
    timeout: options.timeoutMs,
    // The delivery queue retries a failed upload, with backoff and across restarts; the client's own three retries
    // on a timeout would make one stalled upload wait four upload timeouts before the queue even heard of it.
    retries: 0,
    // Node's fetch sends Node's FormData; @discordjs/rest's own undici hands it to whichever undici installed the
    // global dispatcher first (@slack/socket-mode brings another major), which cannot send it.
    makeRequest: async (url, init) => (await fetch(url, init as RequestInit)) as unknown as ResponseLike,
    ...(options.apiUrl ? { api: options.apiUrl.replace(/\/+$/, '') } : {}),
  }).setToken(options.token);
}
