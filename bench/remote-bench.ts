/**
 * @module Remote versus local browser sessions for the 5 s 720p edit (trim + title): acquire time, moving the media
 * in (loadAssets), render time including the MP4 coming back, renders per minute per browser, and Chromium memory
 * per session. The remote side is a `cutroom browser-server` child process on loopback, so the WebSocket hop is real
 * but the network is not. Run directly (`node --import tsx bench/remote-bench.ts`) or through `runRemoteBench()`.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BrowserPool } from '../src/browser/browser-pool.ts';
import {
  type BrowserProvider,
  LocalBrowserProvider,
  RemoteBrowserProvider,
} from '../src/browser/browser-provider.ts';
import { localAsset } from '../src/browser/local-asset.ts';
import { RemoteBrowserConnector } from '../src/browser/remote-browser-connector.ts';
import type { LoadableAsset } from '../src/browser/types.ts';
import { createSilentLogger } from '../src/logger.ts';
import { type BrowserServerProcess, spawnBrowserServer } from '../tests/helpers/browser-server-process.ts';
import { MediaFixtures } from '../tests/helpers/media-fixtures.ts';
import { descendantRss, trackPeakRss } from './process-memory.ts';
import { median, printTable } from './stats.ts';

const TOKEN = 'remote-bench-token';
const EDIT = `
const main = await composition.add(new core.Layer());
await main.add(new core.VideoClip(assets[0].source, { range: [1, 6] }));
const texts = await composition.add(new core.Layer());
await texts.add(new core.TextClip({
  text: 'Remote bench', position: 'center', align: 'center', baseline: 'middle',
  font: { family: 'DejaVu Sans', size: 80, weight: 'bold' }, color: '#ffffff', delay: 0, duration: 3,
}));
`;

export interface EditTimings {
  acquireMs: number;
  loadMs: number;
  codeMs: number;
  renderMs: number;
  releaseMs: number;
  totalMs: number;
}

export interface SideResult {
  runs: EditTimings[];
  median: EditTimings;
  /** Chromium RSS with the browser up and no session. */
  idleRssBytes: number;
  /** Highest Chromium RSS seen while the edits ran (one session at a time). */
  peakRssBytes: number;
}

export interface RemoteBenchResult {
  local: SideResult;
  remote: SideResult;
  assetBytes: number;
  outputBytes: number;
}

export interface RemoteBenchOptions {
  /** Measured edits per side, after one warm-up edit. @defaultValue 3 */
  runs?: number;
  /** @defaultValue true */
  print?: boolean;
}

function medianTimings(runs: EditTimings[]): EditTimings {
  const pick = (k: keyof EditTimings) => median(runs.map((r) => r[k]));
  return {
    acquireMs: pick('acquireMs'),
    loadMs: pick('loadMs'),
    codeMs: pick('codeMs'),
    renderMs: pick('renderMs'),
    releaseMs: pick('releaseMs'),
    totalMs: pick('totalMs'),
  };
}

async function oneEdit(pool: BrowserPool, asset: LoadableAsset, outPath: string): Promise<EditTimings> {
  const t0 = performance.now();
  const session = await pool.acquire({ timeoutMs: 120_000 });
  const t1 = performance.now();
  await session.loadAssets([asset], { timeoutMs: 120_000 });
  const t2 = performance.now();
  const code = await session.runCode(EDIT, { timeoutMs: 60_000 });
  if (!code.ok) throw new Error(`bench edit failed: ${code.error?.message}`);
  const t3 = performance.now();
  await session.render({ outPath, timeoutMs: 300_000 });
  const t4 = performance.now();
  await session.release();
  const t5 = performance.now();
  return {
    acquireMs: t1 - t0,
    loadMs: t2 - t1,
    codeMs: t3 - t2,
    renderMs: t4 - t3,
    releaseMs: t5 - t4,
    totalMs: t5 - t0,
  };
}

async function measure(
  provider: BrowserProvider,
  browserRoot: number,
  asset: LoadableAsset,
  dir: string,
  runs: number,
): Promise<SideResult> {
  const pool = new BrowserPool({ provider, size: 0, logger: createSilentLogger() });
  try {
    // The warm-up launches Chromium (local) and fills caches on both sides; it is not counted.
    await oneEdit(pool, asset, path.join(dir, 'warmup.mp4'));
    const idleRssBytes = descendantRss(browserRoot, 'chromium');
    const peak = trackPeakRss(browserRoot, 'chromium');
    const results: EditTimings[] = [];
    for (let i = 0; i < runs; i++) results.push(await oneEdit(pool, asset, path.join(dir, `run-${i}.mp4`)));
    const peakRssBytes = peak.stop();
    return { runs: results, median: medianTimings(results), idleRssBytes, peakRssBytes };
  } finally {
    await pool.close();
  }
}

const ms = (n: number) => `${Math.round(n)} ms`;
const delta = (n: number) => `${n >= 0 ? '+' : '−'}${Math.abs(Math.round(n))} ms`;
const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(0)} MB`;

export function printRemoteBench(result: RemoteBenchResult): void {
  const { local, remote } = result;
  const perMinute = (t: EditTimings) => (60_000 / t.totalMs).toFixed(1);
  printTable('Remote vs local browser session, 5 s 720p edit (median)', [
    [
      'acquire (context + operator page)',
      `local ${ms(local.median.acquireMs)}, remote ${ms(remote.median.acquireMs)}`,
    ],
    [
      `load ${mb(result.assetBytes)} of media`,
      `local ${ms(local.median.loadMs)}, remote ${ms(remote.median.loadMs)} (${delta(remote.median.loadMs - local.median.loadMs)})`,
    ],
    ['run code', `local ${ms(local.median.codeMs)}, remote ${ms(remote.median.codeMs)}`],
    [
      `render + ${mb(result.outputBytes)} MP4 back`,
      `local ${ms(local.median.renderMs)}, remote ${ms(remote.median.renderMs)} (${delta(remote.median.renderMs - local.median.renderMs)})`,
    ],
    ['whole edit', `local ${ms(local.median.totalMs)}, remote ${ms(remote.median.totalMs)}`],
    [
      'renders per minute per browser',
      `local ${perMinute(local.median)}, remote ${perMinute(remote.median)}`,
    ],
    ['Chromium RSS idle', `local ${mb(local.idleRssBytes)}, remote ${mb(remote.idleRssBytes)}`],
    ['Chromium RSS peak, one session', `local ${mb(local.peakRssBytes)}, remote ${mb(remote.peakRssBytes)}`],
  ]);
}

export async function runRemoteBench(options: RemoteBenchOptions = {}): Promise<RemoteBenchResult> {
  const runs = options.runs ?? 3;
  const fixtures = await MediaFixtures.create();
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-remote-bench-'));
  let server: BrowserServerProcess | undefined;
  try {
    const source = await fixtures.clip('bench-720p.mp4', { seconds: 8, audio: true });
    const asset = await localAsset(source);
    const logger = createSilentLogger();
    // Local first: the server's Chromium is a descendant of this process too and would count as local memory.
    const local = await measure(new LocalBrowserProvider({ logger }), process.pid, asset, dir, runs);
    server = await spawnBrowserServer({ token: TOKEN, maxSessions: 2, env: { CUTROOM_LOG_LEVEL: 'warn' } });
    const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: TOKEN, logger });
    const remote = await measure(
      new RemoteBrowserProvider({ connector }),
      server.child.pid ?? 0,
      asset,
      dir,
      runs,
    );
    const result: RemoteBenchResult = {
      local,
      remote,
      assetBytes: (await stat(source)).size,
      outputBytes: (await stat(path.join(dir, 'run-0.mp4'))).size,
    };
    if (options.print ?? true) printRemoteBench(result);
    return result;
  } finally {
    await server?.stop();
    await fixtures.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runRemoteBench();
}
