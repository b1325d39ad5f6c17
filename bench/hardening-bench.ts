/**
 * @module What the browser hardening costs: the warm render of the engine bench's edit on a hardened Chromium (the
 * launcher's memory cap and clean environment, the dedicated user and the sandbox where this machine allows them,
 * the closed-network flags) against a plain one (as launched before: no sandbox, no cap, cutroom's environment, no
 * network flags), in alternating rounds of one run, each against ffmpeg medium in the same round. The page lockdown
 * (SES, action fence) is in the operator bundle and so in both.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BrowserPool } from '../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../src/browser/browser-provider.ts';
import { chromiumLaunchArgs } from '../src/browser/chromium-args.ts';
import { detectChromiumSandbox } from '../src/browser/chromium-launch.ts';
import { findChromium } from '../src/browser/find-chromium.ts';
import { localAsset } from '../src/browser/local-asset.ts';
import { createSilentLogger } from '../src/logger.ts';
import { MediaFixtures } from '../tests/helpers/media-fixtures.ts';
import { EDIT_SCRIPT, ffmpegEdit } from './engine-bench.ts';
import { median, printTable, timeIt } from './stats.ts';

const ROUNDS = 5;

/** The flags cutroom launched with before the hardening: the same list without the closed-network and memory flags. */
function plainArgs(): string[] {
  return chromiumLaunchArgs().filter(
    (flag) => !/^--(proxy|host-resolver|force-webrtc|webrtc|js-flags)/.test(flag),
  );
}

export async function runHardeningBench(): Promise<Record<string, number | string>> {
  const fixtures = await MediaFixtures.create();
  const out = await mkdtemp(path.join(tmpdir(), 'cutroom-hardening-'));
  const logger = createSilentLogger();
  const hardened = new BrowserPool({ provider: new LocalBrowserProvider({ logger }), logger, size: 1 });
  const plain = new BrowserPool({
    provider: new LocalBrowserProvider({
      logger,
      prepare: async () => ({
        options: { executablePath: findChromium(), args: plainArgs() },
        sandbox: { mode: 'no-sandbox', reason: 'the launch before the hardening' },
        cleanup: async () => {},
      }),
    }),
    logger,
    size: 1,
  });
  try {
    const clip = await fixtures.clip('clip.mp4', { seconds: 10, audio: true, gop: 30 });
    const asset = await localAsset(clip);
    const renders = { hardened: [] as number[], plain: [] as number[], medium: [] as number[] };
    const renderOn = async (pool: BrowserPool, name: string) => {
      await pool.warmUp();
      const session = await pool.acquire();
      try {
        await session.loadAssets([asset]);
        const result = await session.runCode(EDIT_SCRIPT);
        if (!result.ok) throw new Error(`bench edit failed: ${result.error?.message}`);
        return await timeIt(() => session.render({ outPath: path.join(out, `${name}.mp4`) }));
      } finally {
        await session.release();
      }
    };
    for (let i = 0; i < ROUNDS + 1; i++) {
      // Alternate which goes first, so neither always meets the warmer machine.
      const order = i % 2 === 0 ? (['hardened', 'plain'] as const) : (['plain', 'hardened'] as const);
      const times: Record<string, number> = {};
      for (const name of order)
        times[name] = await renderOn(name === 'hardened' ? hardened : plain, `${name}-${i}`);
      const mediumMs = await timeIt(() => ffmpegEdit(clip, path.join(out, `medium-${i}.mp4`), 'medium'));
      // The first round warms caches on every side.
      if (i === 0) continue;
      renders.hardened.push(times.hardened);
      renders.plain.push(times.plain);
      renders.medium.push(mediumMs);
    }
    const m = median(renders.medium);
    const sandbox = detectChromiumSandbox();
    const figures = {
      sandbox_mode: sandbox.mode,
      ffmpeg_medium_ms: Math.round(m),
      plain_warm_render_ms: Math.round(median(renders.plain)),
      hardened_warm_render_ms: Math.round(median(renders.hardened)),
      plain_render_vs_medium: Number((median(renders.plain) / m).toFixed(2)),
      hardened_render_vs_medium: Number((median(renders.hardened) / m).toFixed(2)),
      hardening_cost_pct: Math.round(
        (100 * (median(renders.hardened) - median(renders.plain))) / median(renders.plain),
      ),
    };
    printTable('hardening: warm render of the 5 s 720p trim + title, same run', [
      ['ffmpeg libx264 medium', `${figures.ffmpeg_medium_ms} ms (baseline 1.00x)`],
      ['plain Chromium (before)', `${figures.plain_warm_render_ms} ms (${figures.plain_render_vs_medium}x)`],
      [
        `hardened Chromium (${figures.sandbox_mode})`,
        `${figures.hardened_warm_render_ms} ms (${figures.hardened_render_vs_medium}x)`,
      ],
      ['what the hardening costs', `${figures.hardening_cost_pct} % of the plain render`],
    ]);
    return figures;
  } finally {
    await hardened.close();
    await plain.close();
    await fixtures.close();
    await rm(out, { recursive: true, force: true });
  }
}
