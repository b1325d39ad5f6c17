/** @module `cutroom doctor`: checks everything cutroom runs on and says what to fix. */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { detectChromiumSandbox } from '../browser/chromium-launch.ts';
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { findChromium } from '../browser/find-chromium.ts';
import { describeGpuUsage } from '../browser/gpu.ts';
import { RemoteBrowserConnector } from '../browser/remote-browser-connector.ts';
import { type Config, loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';

const run = promisify(execFile);

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

const VIDEO_CODECS: [string, string][] = [
  ['H.264 baseline', 'avc1.42001f'],
  ['H.264 main', 'avc1.4d0028'],
  ['H.264 high', 'avc1.640028'],
  ['HEVC', 'hvc1.1.6.L93.B0'],
  ['VP8', 'vp8'],
  ['VP9', 'vp09.00.10.08'],
  ['AV1', 'av01.0.04M.08'],
];
const AUDIO_CODECS: [string, string][] = [
  ['AAC', 'mp4a.40.2'],
  ['Opus', 'opus'],
];

export async function doctor(): Promise<void> {
  const checks = await runChecks(loadConfig());
  const width = Math.max(...checks.map((c) => c.name.length));
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  for (const c of checks) {
    process.stdout.write(`${mark[c.status]}  ${c.name.padEnd(width)}  ${c.detail}\n`);
    if (c.fix && c.status !== 'ok') process.stdout.write(`      ${' '.repeat(width)}  fix: ${c.fix}\n`);
  }
  if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
}

export async function runChecks(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(...(await browserChecks(config)));
  checks.push(...(await sandboxChecks(config)));
  checks.push(await toolCheck('ffmpeg', ['-version'], 'apt-get install ffmpeg (or: npm run setup)'));
  checks.push(await toolCheck('ffprobe', ['-version'], 'apt-get install ffmpeg (or: npm run setup)'));
  checks.push(await redisCheck(config));
  checks.push(
    existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')
      ? { name: 'fonts', status: 'ok', detail: 'DejaVu Sans installed (used for titles and captions)' }
      : {
          name: 'fonts',
          status: 'warn',
          detail: 'DejaVu fonts missing',
          fix: 'apt-get install fonts-dejavu-core',
        },
  );
  checks.push(llmCheck(config));
  checks.push(
    config.slack
      ? {
          name: 'Slack',
          status: config.slack.signingSecret || config.slack.appToken ? 'ok' : 'fail',
          detail: config.slack.appToken ? 'bot token + Socket Mode app token' : 'bot token + HTTP events',
          fix: 'set SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode)',
        }
      : {
          name: 'Slack',
          status: 'warn',
          detail: 'not configured',
          fix: 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (docs/slack.md)',
        },
  );
  checks.push(
    config.discord
      ? {
          name: 'Discord',
          status: config.discord.applicationId ? 'ok' : 'warn',
          detail: config.discord.applicationId ? 'bot token + application id' : 'bot token only',
          fix: 'set DISCORD_APPLICATION_ID to register /edit',
        }
      : {
          name: 'Discord',
          status: 'warn',
          detail: 'not configured',
          fix: 'set DISCORD_TOKEN and DISCORD_APPLICATION_ID (docs/discord.md)',
        },
  );
  return checks;
}

async function browserChecks(config: Config): Promise<Check[]> {
  const remote = config.browser.wsEndpoints.length > 0;
  const checks: Check[] = [];
  if (!remote) {
    try {
      const path = findChromium(config.browser.chromiumPath);
      const { stdout } = await run(path, ['--version'], { timeout: 15_000 });
      checks.push({ name: 'Chromium', status: 'ok', detail: `${stdout.trim()} (${path})` });
    } catch (error) {
      return [
        {
          name: 'Chromium',
          status: 'fail',
          detail: (error as Error).message,
          fix: 'npm run setup (installs chromium), or set CHROMIUM_PATH',
        },
      ];
    }
  }
  const pool = createBrowserPool(config, createLogger({ level: 'silent' }), { size: 0 });
  try {
    const session = await pool.acquire({ timeoutMs: 60_000 });
    try {
      const page = session.currentPage;
      const support = await session.codecSupport([
        ...VIDEO_CODECS.map(([name, codec]) => ({ name, codec, kind: 'video' as const })),
        ...AUDIO_CODECS.map(([name, codec]) => ({ name, codec, kind: 'audio' as const })),
      ]);
      const codecs = Object.fromEntries(support.map((s) => [s.name, s]));
      const list = (pick: 'encode' | 'decode') =>
        Object.entries(codecs)
          .filter(([, v]) => v[pick])
          .map(([k]) => k)
          .join(', ') || 'none';
      const h264 = codecs['H.264 high']?.encode || codecs['H.264 baseline']?.encode;
      checks.push({
        name: 'WebCodecs encode',
        status: h264 ? 'ok' : 'fail',
        detail: list('encode'),
        fix: 'use a Chromium build with H.264 (Debian chromium has it)',
      });
      checks.push({ name: 'WebCodecs decode', status: 'ok', detail: list('decode') });
      if (!codecs.AAC?.encode) {
        checks.push({
          name: 'AAC encoder',
          status: 'ok',
          detail: 'not in this browser: ffmpeg writes AAC audio instead',
        });
      }
      const gpu = await describeGpuUsage(page);
      checks.push({ name: 'GPU', status: 'ok', detail: gpu.summary });
      checks.unshift({
        name: remote ? 'remote browser' : 'browser session',
        status: 'ok',
        detail: remote
          ? `connected to ${config.browser.wsEndpoints.length} endpoint(s)`
          : 'operator page loads',
      });
    } finally {
      await session.release();
    }
  } catch (error) {
    checks.push({
      name: remote ? 'remote browser' : 'browser session',
      status: 'fail',
      detail: (error as Error).message,
      fix: remote
        ? 'check BROWSER_WS_ENDPOINT and CUTROOM_BROWSER_TOKEN'
        : 'run `npm run setup`; check CHROMIUM_PATH',
    });
  } finally {
    await pool.close();
  }
  return checks;
}

async function toolCheck(tool: string, args: string[], fix: string): Promise<Check> {
  try {
    const { stdout } = await run(tool, args, { timeout: 10_000 });
    return { name: tool, status: 'ok', detail: stdout.split('\n')[0].trim() };
  } catch {
    return { name: tool, status: 'fail', detail: 'not found', fix };
  }
}

async function redisCheck(config: Config): Promise<Check> {
  if (!config.redisUrl) {
    const check = await toolCheck(
      'redis-server',
      ['--version'],
      'apt-get install redis-server, or set REDIS_URL',
    );
    return check.status === 'ok'
      ? { ...check, name: 'Redis', detail: `embedded (REDIS_URL unset): ${check.detail}` }
      : { ...check, name: 'Redis' };
  }
  const { Redis } = await import('ioredis');
  const redis = new Redis(config.redisUrl, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 1,
  });
  try {
    await redis.connect();
    const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
    const ok = policy[1] === 'noeviction';
    return {
      name: 'Redis',
      status: ok ? 'ok' : 'warn',
      detail: `reachable; maxmemory-policy ${policy[1] ?? 'unknown'}`,
      fix: 'set maxmemory-policy noeviction (BullMQ loses jobs otherwise)',
    };
  } catch (error) {
    return {
      name: 'Redis',
      status: 'fail',
      detail: `REDIS_URL unreachable: ${(error as Error).message}`,
      fix: 'check REDIS_URL',
    };
  } finally {
    redis.disconnect();
  }
}

function llmCheck(config: Config): Check {
  const { apiKey, baseURL, model, visionModel } = config.openai;
  if (!apiKey && !baseURL) {
    return {
      name: 'LLM',
      status: 'warn',
      detail: 'not configured',
      fix: 'set OPENAI_API_KEY (and OPENAI_BASE_URL for other providers)',
    };
  }
  return {
    name: 'LLM',
    status: 'ok',
    detail: `${baseURL ?? 'OpenAI'}; model ${model}, vision ${visionModel}`,
  };
}

/** Which sandbox mode Chromium runs in and why: here, or on each remote browser-server (from its /healthz). */
async function sandboxChecks(config: Config): Promise<Check[]> {
  const fix =
    'run cutroom as an ordinary user, or `npm run setup` as root (creates cutroom-chromium); allow unprivileged user namespaces';
  const check = (name: string, mode: string, reason: string): Check => ({
    name,
    status: mode.startsWith('sandbox') ? 'ok' : 'warn',
    detail: `${mode}: ${reason}`,
    fix,
  });
  if (config.browser.wsEndpoints.length === 0) {
    const { mode, reason } = detectChromiumSandbox(config.browser.chromiumUser);
    return [check('Chromium sandbox', mode, reason)];
  }
  const connector = new RemoteBrowserConnector({
    endpoints: config.browser.wsEndpoints,
    token: config.browser.token,
  });
  const reports = await connector.health({ timeoutMs: 5000 });
  return reports.map(({ endpoint, health, error }) =>
    health?.sandbox
      ? check(`sandbox ${endpoint}`, health.sandbox.mode, health.sandbox.reason)
      : {
          name: `sandbox ${endpoint}`,
          status: 'warn',
          detail: error ?? 'this browser-server does not report its sandbox mode',
          fix: 'upgrade the browser-server',
        },
  );
}
