/**
 * @module `cutroom doctor`: checks everything cutroom runs on, live where it can (the LLM endpoint, Slack, Discord),
 * and says what to fix; `--json` for scripts.
 */
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
import { llmChecks } from './doctor-llm.ts';
import { discordCheck, slackCheck } from './doctor-platforms.ts';

const run = promisify(execFile);

export interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
  /** Measured facts for `--json` (round-trip times, model names, context size). */
  data?: Record<string, unknown>;
}

/** One check of the list: small and independent, so a new one is one more entry. */
export type CheckFunction = (config: Config) => Promise<Check | Check[]>;

/** What `cutroom doctor` checks, in order. */
export const CHECKS: CheckFunction[] = [
  browserChecks,
  sandboxChecks,
  () => toolCheck('ffmpeg', ['-version'], 'apt-get install ffmpeg (or: npm run setup)'),
  () => toolCheck('ffprobe', ['-version'], 'apt-get install ffmpeg (or: npm run setup)'),
  redisCheck,
  fontsCheck,
  llmChecks,
  slackCheck,
  discordCheck,
];

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

export interface DoctorOptions {
  /** Print `{ ok, checks }` as JSON instead of the table. */
  json?: boolean;
}

export async function doctor(
  options: DoctorOptions = {},
  io: { out: NodeJS.WritableStream } = { out: process.stdout },
): Promise<void> {
  const checks = await runChecks(loadConfig());
  const ok = !checks.some((c) => c.status === 'fail');
  if (!ok) process.exitCode = 1;
  if (options.json) {
    io.out.write(`${JSON.stringify({ ok, checks }, null, 2)}\n`);
    return;
  }
  const width = Math.max(...checks.map((c) => c.name.length));
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  for (const c of checks) {
    io.out.write(`${mark[c.status]}  ${c.name.padEnd(width)}  ${c.detail}\n`);
    if (c.fix && c.status !== 'ok') io.out.write(`      ${' '.repeat(width)}  fix: ${c.fix}\n`);
  }
}

/** Runs the checks one after another (they share two cores with whatever else runs). */
export async function runChecks(config: Config, checks: CheckFunction[] = CHECKS): Promise<Check[]> {
  const results: Check[] = [];
  for (const check of checks) results.push(...[await check(config)].flat());
  return results;
}

async function fontsCheck(): Promise<Check> {
  return existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf')
    ? { name: 'fonts', status: 'ok', detail: 'DejaVu Sans installed (used for titles and captions)' }
    : {
        name: 'fonts',
        status: 'warn',
        detail: 'DejaVu fonts missing',
        fix: 'apt-get install fonts-dejavu-core',
      };
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
