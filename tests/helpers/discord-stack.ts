/** @module Test helper: the whole Discord stack in-process — Discord fake, OpenAI fake, real Redis, the Discord bot and an edit worker with the real processor. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type DiscordBot, startDiscordBot } from '../../src/bots/discord/discord-bot.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createSilentLogger } from '../../src/logger.ts';
import { openServices, type Services } from '../../src/open-services.ts';
import { DiscordFakeServer } from '../fakes/discord-fake-server.ts';
import { OpenAiFakeServer } from '../fakes/openai-fake-server.ts';
import { StackWorker } from './stack-worker.ts';

export const DISCORD_STACK_AGENT_MODEL = 'agent-model';
export const DISCORD_STACK_VISION_MODEL = 'vision-model';
const API_KEY = 'sk-test-discord-stack';

export interface DiscordStack {
  discord: DiscordFakeServer;
  llm: OpenAiFakeServer;
  config: Config;
  services: Services;
  bot: DiscordBot;
  worker: StackWorker;
  /** The guild's first text channel, where requests start. */
  channelId: string;
  /** Closes everything in reverse order of starting and deletes the data directory. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts, in this process: the Discord and OpenAI-compatible fakes, queue services on a unique Redis prefix, one
 * edit worker running the real processor (agent + a local Chromium pool) and the Discord bot. Script the LLM with
 * `stack.llm.enqueueFor(DISCORD_STACK_AGENT_MODEL, …)`.
 */
export async function startDiscordStack(options: {
  redisUrl: string;
  env?: Record<string, string>;
}): Promise<DiscordStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const logger = createSilentLogger();
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const discord = await DiscordFakeServer.start();
    cleanups.push(() => discord.close());
    const llm = await OpenAiFakeServer.start({
      apiKey: API_KEY,
      models: [DISCORD_STACK_AGENT_MODEL, DISCORD_STACK_VISION_MODEL],
    });
    cleanups.push(() => llm.close());
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cutroom-discord-stack-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = {
      REDIS_URL: options.redisUrl,
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      OPENAI_API_KEY: API_KEY,
      OPENAI_BASE_URL: llm.baseURL,
      CUTROOM_MODEL: DISCORD_STACK_AGENT_MODEL,
      CUTROOM_VISION_MODEL: DISCORD_STACK_VISION_MODEL,
      CUTROOM_DATA_DIR: dataDir,
      ...options.env,
    };
    const config = loadConfig(env, { readDotenv: false });
    const prefix = `d${randomUUID().slice(0, 8)}`;
    const services = await openServices({ config, logger, prefix });
    cleanups.push(() => services.close());
    const worker = new StackWorker({ services, config, env, logger });
    cleanups.push(() => worker.close());
    await worker.start();
    const bot = await startDiscordBot({ config, logger, services });
    cleanups.push(() => bot.close());
    let closing: Promise<void> | undefined;
    return {
      discord,
      llm,
      config,
      services,
      bot,
      worker,
      channelId: discord.guilds[0].channels[0].id,
      close() {
        closing ??= closeAll();
        return closing;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
