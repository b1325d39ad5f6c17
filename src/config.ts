/** @module Configuration: the only place that reads the environment. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { z } from 'zod';
import { CutroomError, ErrorCode } from './errors.ts';

const SECRET_VARS = new Set([
  'OPENAI_API_KEY',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'SLACK_APP_TOKEN',
  'DISCORD_TOKEN',
  'DIFFUSION_STUDIO_LICENSE_KEY',
  'CUTROOM_BROWSER_TOKEN',
  'CUTROOM_DASHBOARD_TOKEN',
  'CUTROOM_METRICS_TOKEN',
  'CUTROOM_TRANSCRIBE_API_KEY',
]);

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const list = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

function int(min: number, max: number, fallback: number) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be an integer ${min}–${max}` });
        return z.NEVER;
      }
      return n;
    });
}

function optionalInt(min: number, max: number) {
  return int(min, max, 0).transform((n) => (n === 0 ? undefined : n));
}

/** `WxH` in pixels, e.g. `4096x4096`. */
function dimensions(fallback: { width: number; height: number }) {
  return z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === '') return fallback;
      const match = /^\s*(\d{1,6})\s*[xX×]\s*(\d{1,6})\s*$/.exec(v);
      const [width, height] = match ? [Number(match[1]), Number(match[2])] : [0, 0];
      if (width < 16 || height < 16) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be WIDTHxHEIGHT in pixels, each at least 16 (e.g. 4096x4096)',
        });
        return z.NEVER;
      }
      return { width, height };
    });
}

const url = optionalString.refine((v) => v === undefined || URL.canParse(v), 'must be a URL');

const EnvSchema = z.object({
  OPENAI_API_KEY: optionalString,
  OPENAI_BASE_URL: url,
  CUTROOM_MODEL: optionalString,
  CUTROOM_VISION_MODEL: optionalString,
  CUTROOM_EMBEDDING_MODEL: optionalString,
  REDIS_URL: url,
  CUTROOM_REDIS_PREFIX: optionalString.refine(
    (v) => v === undefined || /^[A-Za-z0-9_-]{1,32}$/.test(v),
    'must be 1–32 letters, digits, "-" or "_" (it begins every Redis key)',
  ),
  CHROMIUM_PATH: optionalString,
  BROWSER_WS_ENDPOINT: list,
  CUTROOM_BROWSER_TOKEN: optionalString,
  CUTROOM_BROWSER_POOL_SIZE: int(1, 64, 1),
  CUTROOM_BROWSER_GPU: z.enum(['auto', 'off']).default('auto'),
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: url,
  SLACK_ALLOWED_TEAMS: list,
  SLACK_ALLOWED_CHANNELS: list,
  DISCORD_TOKEN: optionalString,
  DISCORD_APPLICATION_ID: optionalString,
  DISCORD_API_URL: url,
  DISCORD_DEV_GUILD_ID: optionalString,
  DISCORD_ALLOWED_GUILDS: list,
  DISCORD_ALLOWED_CHANNELS: list,
  CUTROOM_DATA_DIR: optionalString,
  CUTROOM_PORT: int(1, 65535, 3000),
  CUTROOM_HOST: optionalString,
  CUTROOM_DASHBOARD_TOKEN: optionalString,
  CUTROOM_WORKER_CONCURRENCY: int(1, 64, 1),
  CUTROOM_MAX_ASSET_MB: int(1, 100_000, 500),
  CUTROOM_MAX_ASSET_SECONDS: int(1, 86_400, 600),
  CUTROOM_MAX_ASSETS: int(1, 50, 8),
  CUTROOM_MAX_ASSET_DIMENSIONS: dimensions({ width: 4096, height: 4096 }),
  CUTROOM_RATE_USER_PER_HOUR: int(0, 100_000, 20),
  CUTROOM_RATE_CHANNEL_PER_HOUR: int(0, 100_000, 60),
  CUTROOM_RETENTION_DAYS: int(0, 3650, 30),
  CUTROOM_AGENT_MAX_STEPS: int(1, 500, 24),
  CUTROOM_AGENT_MAX_LLM_CALLS: int(1, 1000, 40),
  CUTROOM_AGENT_MAX_TOKENS: int(1000, 100_000_000, 400_000),
  CUTROOM_AGENT_MAX_SECONDS: int(10, 86_400, 900),
  CUTROOM_CODE_TIMEOUT_MS: int(100, 3_600_000, 30_000),
  CUTROOM_RENDER_TIMEOUT_MS: int(1000, 86_400_000, 600_000),
  DIFFUSION_STUDIO_LICENSE_KEY: optionalString,
  CUTROOM_CONTEXT_TOKENS: optionalInt(1024, 10_000_000),
  CUTROOM_LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  CUTROOM_BROWSER_MEMORY_MB: int(256, 262_144, 4096),
  CUTROOM_CHROMIUM_USER: optionalString,
  CUTROOM_METRICS_TOKEN: optionalString,
  CUTROOM_MAX_CONCURRENT_INGESTS: int(1, 256, 4),
  CUTROOM_JOB_DEADLINE_SECONDS: int(60, 86_400, 1800),
  CUTROOM_TRANSCRIBE_MODEL: optionalString,
  CUTROOM_TRANSCRIBE_BASE_URL: url,
  CUTROOM_TRANSCRIBE_API_KEY: optionalString,
  CUTROOM_TRANSCRIBE_MAX_UPLOAD_MB: int(1, 10_000, 25),
  CUTROOM_WORKER_LOCK_SECONDS: int(1, 3600, 30),
  CUTROOM_DOWNLOAD_IDLE_TIMEOUT_SECONDS: int(1, 3600, 30),
  CUTROOM_UPLOAD_TIMEOUT_SECONDS: int(10, 86_400, 600),
  CUTROOM_THREAD_ADMINS: list,
});

export type Env = Record<string, string | undefined>;

export interface Config {
  dataDir: string;
  http: { port: number; host: string; dashboardToken?: string; metricsToken?: string };
  logLevel: string;
  redisUrl?: string;
  /** Begins every queue and key in Redis, so deployments (staging, production) can share one Redis. */
  redisPrefix?: string;
  openai: {
    apiKey?: string;
    baseURL?: string;
    model: string;
    visionModel: string;
    embeddingModel?: string;
  };
  browser: {
    chromiumPath?: string;
    wsEndpoints: string[];
    token?: string;
    poolSize: number;
    /** `off` keeps Chromium on software rendering even when a GPU is visible (browser-server). */
    gpu?: 'auto' | 'off';
    codeTimeoutMs: number;
    renderTimeoutMs: number;
    licenseKey?: string;
    /** Memory each Chromium process (each page) may use. */
    memoryMb: number;
    /** The unprivileged user Chromium runs as when cutroom runs as root (default cutroom-chromium). */
    chromiumUser?: string;
  };
  slack?: {
    botToken: string;
    signingSecret?: string;
    appToken?: string;
    apiUrl?: string;
    allowedTeams: string[];
    allowedChannels: string[];
  };
  discord?: {
    token: string;
    applicationId?: string;
    apiUrl?: string;
    devGuildId?: string;
    allowedGuilds: string[];
    allowedChannels: string[];
  };
  worker: {
    concurrency: number;
    jobDeadlineMs: number;
    /**
     * How long a job stays with a worker that stopped renewing its lock (crashed, killed) before another worker
     * takes it over; also how often workers look for such jobs.
     */
    lockDurationMs: number;
  };
  /** Time limits of the bots' transfers with the chat platform. */
  transfers: {
    /** A download with no byte for this long fails (however long the whole file takes). */
    downloadIdleTimeoutMs: number;
    /** The most one upload into a thread (a render, a file) may take. */
    uploadTimeoutMs: number;
  };
  limits: {
    maxAssetBytes: number;
    maxAssetSeconds: number;
    maxAssets: number;
    /** Largest picture a clip or image may have, either way round (a portrait clip fits a landscape box). */
    maxAssetDimensions: { width: number; height: number };
    maxConcurrentIngests: number;
    userRequestsPerHour: number;
    channelRequestsPerHour: number;
    /** Days a thread (versions, clips, renders) lives after its last activity; 0 keeps everything. */
    retentionDays: number;
  };
  agent: {
    maxSteps: number;
    maxLlmCalls: number;
    maxTokens: number;
    maxWallMs: number;
    /** The agent loop's context budget in tokens; unset: the model's reported context, else 32768. */
    contextTokens?: number;
  };
  /** Speech to text through an OpenAI-compatible `/v1/audio/transcriptions`; unset: transcription is off. */
  transcribe?: {
    model: string;
    /** @defaultValue the LLM's (`OPENAI_BASE_URL`) */
    baseURL?: string;
    /** @defaultValue the LLM's (`OPENAI_API_KEY`) */
    apiKey?: string;
    /** Largest file the endpoint accepts; longer audio is sent in parts. @defaultValue 25 MB, OpenAI's limit */
    maxUploadBytes: number;
  };
  /**
   * Slack user ids, Discord user ids and Discord role ids who may cancel, undo, redo and go back in any thread
   * (besides the thread's starter and a run's requester). Empty: only those.
   */
  threadAdmins: string[];
}

function redact(name: string, value: unknown): string {
  if (SECRET_VARS.has(name)) return '[redacted]';
  return JSON.stringify(value);
}

/**
 * Parses the environment (plus `.env` in `cwd` when present; real variables win).
 * @throws CutroomError config_invalid naming every bad variable, the rule and the value received.
 */
export function loadConfig(
  env: Env = process.env,
  options: { cwd?: string; readDotenv?: boolean } = {},
): Config {
  const cwd = options.cwd ?? process.cwd();
  let merged: Env = env;
  if (options.readDotenv ?? env === process.env) {
    const file = path.join(cwd, '.env');
    if (existsSync(file)) merged = { ...parseDotenv(readFileSync(file)), ...env };
  }
  const parsed = EnvSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0]);
      return `${name} ${issue.message}, got ${redact(name, merged[name])}`;
    });
    throw new CutroomError(ErrorCode.ConfigInvalid, `Invalid configuration:\n  ${lines.join('\n  ')}`, {
      userMessage: 'cutroom is misconfigured; an operator needs to check the logs.',
    });
  }
  const e = parsed.data;
  return {
    dataDir: path.resolve(cwd, e.CUTROOM_DATA_DIR ?? '.cutroom'),
    http: {
      port: e.CUTROOM_PORT,
      host: e.CUTROOM_HOST ?? '0.0.0.0',
      dashboardToken: e.CUTROOM_DASHBOARD_TOKEN,
      metricsToken: e.CUTROOM_METRICS_TOKEN,
    },
    logLevel: e.CUTROOM_LOG_LEVEL,
    redisUrl: e.REDIS_URL,
    redisPrefix: e.CUTROOM_REDIS_PREFIX,
    openai: {
      apiKey: e.OPENAI_API_KEY,
      baseURL: e.OPENAI_BASE_URL,
      model: e.CUTROOM_MODEL ?? 'gpt-4.1',
      visionModel: e.CUTROOM_VISION_MODEL ?? e.CUTROOM_MODEL ?? 'gpt-4.1',
      embeddingModel: e.CUTROOM_EMBEDDING_MODEL,
    },
    browser: {
      chromiumPath: e.CHROMIUM_PATH,
      wsEndpoints: e.BROWSER_WS_ENDPOINT,
      token: e.CUTROOM_BROWSER_TOKEN,
      poolSize: e.CUTROOM_BROWSER_POOL_SIZE,
      gpu: e.CUTROOM_BROWSER_GPU,
      codeTimeoutMs: e.CUTROOM_CODE_TIMEOUT_MS,
      renderTimeoutMs: e.CUTROOM_RENDER_TIMEOUT_MS,
      licenseKey: e.DIFFUSION_STUDIO_LICENSE_KEY,
      memoryMb: e.CUTROOM_BROWSER_MEMORY_MB,
      chromiumUser: e.CUTROOM_CHROMIUM_USER,
    },
    slack: e.SLACK_BOT_TOKEN
      ? {
          botToken: e.SLACK_BOT_TOKEN,
          signingSecret: e.SLACK_SIGNING_SECRET,
          appToken: e.SLACK_APP_TOKEN,
          apiUrl: e.SLACK_API_URL,
          allowedTeams: e.SLACK_ALLOWED_TEAMS,
          allowedChannels: e.SLACK_ALLOWED_CHANNELS,
        }
      : undefined,
    discord: e.DISCORD_TOKEN
      ? {
          token: e.DISCORD_TOKEN,
          applicationId: e.DISCORD_APPLICATION_ID,
          apiUrl: e.DISCORD_API_URL,
          devGuildId: e.DISCORD_DEV_GUILD_ID,
          allowedGuilds: e.DISCORD_ALLOWED_GUILDS,
          allowedChannels: e.DISCORD_ALLOWED_CHANNELS,
        }
      : undefined,
    worker: {
      concurrency: e.CUTROOM_WORKER_CONCURRENCY,
      jobDeadlineMs: e.CUTROOM_JOB_DEADLINE_SECONDS * 1000,
      lockDurationMs: e.CUTROOM_WORKER_LOCK_SECONDS * 1000,
    },
    transfers: {
      downloadIdleTimeoutMs: e.CUTROOM_DOWNLOAD_IDLE_TIMEOUT_SECONDS * 1000,
      uploadTimeoutMs: e.CUTROOM_UPLOAD_TIMEOUT_SECONDS * 1000,
    },
    limits: {
      maxAssetBytes: e.CUTROOM_MAX_ASSET_MB * 1024 * 1024,
      maxAssetSeconds: e.CUTROOM_MAX_ASSET_SECONDS,
      maxAssets: e.CUTROOM_MAX_ASSETS,
      maxAssetDimensions: e.CUTROOM_MAX_ASSET_DIMENSIONS,
      maxConcurrentIngests: e.CUTROOM_MAX_CONCURRENT_INGESTS,
      userRequestsPerHour: e.CUTROOM_RATE_USER_PER_HOUR,
      channelRequestsPerHour: e.CUTROOM_RATE_CHANNEL_PER_HOUR,
      retentionDays: e.CUTROOM_RETENTION_DAYS,
    },
    agent: {
      maxSteps: e.CUTROOM_AGENT_MAX_STEPS,
      maxLlmCalls: e.CUTROOM_AGENT_MAX_LLM_CALLS,
      maxTokens: e.CUTROOM_AGENT_MAX_TOKENS,
      maxWallMs: e.CUTROOM_AGENT_MAX_SECONDS * 1000,
      contextTokens: e.CUTROOM_CONTEXT_TOKENS,
    },
    transcribe: e.CUTROOM_TRANSCRIBE_MODEL
      ? {
          model: e.CUTROOM_TRANSCRIBE_MODEL,
          baseURL: e.CUTROOM_TRANSCRIBE_BASE_URL ?? e.OPENAI_BASE_URL,
          apiKey: e.CUTROOM_TRANSCRIBE_API_KEY ?? e.OPENAI_API_KEY,
          maxUploadBytes: e.CUTROOM_TRANSCRIBE_MAX_UPLOAD_MB * 1024 * 1024,
        }
      : undefined,
    threadAdmins: e.CUTROOM_THREAD_ADMINS,
  };
}
