/** @module Test helper: the whole Slack stack in-process — Slack fake, OpenAI fake, real Redis, the Slack bot and an edit worker with the real processor. */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type SlackBot, startSlackBot } from '../../src/bots/slack/slack-bot.ts';
import { type Config, loadConfig } from '../../src/config.ts';
import { createSilentLogger, type Logger } from '../../src/logger.ts';
import { openServices, type Services } from '../../src/open-services.ts';
import type { EditRequest } from '../../src/queue/types.ts';
import { OpenAiFakeServer } from '../fakes/openai-fake-server.ts';
import { SlackFakeServer } from '../fakes/slack-fake-server.ts';
import { StackWorker } from './stack-worker.ts';

export const STACK_SIGNING_SECRET = 'stack-signing-secret';
export const STACK_AGENT_MODEL = 'agent-model';
export const STACK_VISION_MODEL = 'vision-model';
const STACK_API_KEY = 'sk-test-stack';

export interface SlackStack {
  slack: SlackFakeServer;
  llm: OpenAiFakeServer;
  config: Config;
  services: Services;
  bot: SlackBot;
  worker: StackWorker;
  /** Jobs not finished yet. */
  pendingJobs(): Promise<EditRequest[]>;
  /** Closes everything in reverse order of starting and deletes the data directory. Idempotent. */
  close(): Promise<void>;
}

export interface StartSlackStackOptions {
  redisUrl: string;
  /** Extra environment (limits, allowlists …). */
  env?: Record<string, string>;
  logger?: Logger;
}

/**
 * Starts, in this process: the Slack and OpenAI-compatible fakes, the Slack bot over HTTP on a free
 * loopback port and one edit worker running the real processor (agent + a local Chromium pool), all on a
 * unique Redis prefix. Script the LLM with `stack.llm.enqueueFor(STACK_AGENT_MODEL, …)`.
 */
export async function startSlackStack(options: StartSlackStackOptions): Promise<SlackStack> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const logger = options.logger ?? createSilentLogger();
  try {
    const slack = await new SlackFakeServer().start();
    cleanups.push(() => slack.close());
    const llm = await OpenAiFakeServer.start({
      apiKey: STACK_API_KEY,
      models: [STACK_AGENT_MODEL, STACK_VISION_MODEL],
    });
    cleanups.push(() => llm.close());
    const dataDir = await mkdtemp(path.join(tmpdir(), 'cutroom-slack-stack-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const env = {
      REDIS_URL: options.redisUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: STACK_SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
      OPENAI_API_KEY: STACK_API_KEY,
      OPENAI_BASE_URL: llm.baseURL,
      CUTROOM_MODEL: STACK_AGENT_MODEL,
      CUTROOM_VISION_MODEL: STACK_VISION_MODEL,
      CUTROOM_DATA_DIR: dataDir,
      ...options.env,
    };
    const config = loadConfig(env, { readDotenv: false });
    const services = await openServices({ config, logger, prefix: `t${randomUUID().slice(0, 8)}` });
    cleanups.push(() => services.close());

    const worker = new StackWorker({ services, config, env, logger });
    cleanups.push(() => worker.close());
    await worker.start();

    const bot = await startSlackBot({
      config,
      logger,
      services,
      listen: { port: 0, host: '127.0.0.1' },
      // A whole job takes a few seconds here: at the production 1 s, a fast machine could skip every
      // progress edit between the first status and Done.
      statusIntervalMs: 100,
    });
    cleanups.push(() => bot.close());

    let closing: Promise<void> | undefined;
    return {
      slack,
      llm,
      config,
      services,
      bot,
      worker,
      async pendingJobs() {
        const jobs = await services.edits.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
        return jobs.map((j) => j.data);
      },
      close() {
        closing ??= runCleanups(cleanups);
        return closing;
      },
    };
  } catch (error) {
    await runCleanups(cleanups);
    throw error;
  }
}

async function runCleanups(cleanups: (() => Promise<unknown>)[]): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch {
      // Every step runs even when an earlier one failed: a test must not leak processes.
    }
  }
}
