/**
 * @module Ingest benchmark: converting a 60 s 1080p HEVC phone clip for the page, as a ratio to a bare
 * `ffmpeg -c:v libx264 -preset veryfast` of the same clip in the same run (target ≤ 1.1x), and the time an
 * already-safe 60 s clip spends in ingest, bot check plus worker check (target ≤ 5 % of its duration). The CPU time
 * of both sides (this process and the tools it ran) is reported beside the ratio: on a busy machine it is the
 * steadier figure.
 * Run with `npm run bench ingest`.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { createBrowserPool } from '../src/browser/create-browser-pool.ts';
import { loadConfig } from '../src/config.ts';
import { createSilentLogger } from '../src/logger.ts';
import { AssetNormaliser } from '../src/media/asset-normaliser.ts';
import { pagesFromPool } from '../src/media/decoder-support.ts';
import { probedFields } from '../src/media/probe-media.ts';
import { validateMedia } from '../src/media/validate-media.ts';
import type { StoredAsset } from '../src/queue/types.ts';
import { cpuBetween, cpuSnapshot } from './process-cpu.ts';
import { median, printTable, timeIt } from './stats.ts';

const run = promisify(execFile);
const SECONDS = 60;
const ROUNDS = 2;

async function ffmpeg(args: string[]): Promise<void> {
  await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...args]);
}

/** A phone clip: 1080p30 HEVC with some sensor-like noise, AAC stereo, held upright (90° display matrix), MOV. */
async function makePhoneClip(dir: string, name: string, seconds: number): Promise<string> {
  const landscape = path.join(dir, `landscape-${name}`);
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${seconds},noise=alls=6:allf=t`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`, '-ac', '2'],
    ...['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1', '-x265-params', 'log-level=error'],
    ...['-c:a', 'aac', '-b:a', '128k', '-shortest', landscape],
  ]);
  const phone = path.join(dir, name);
  await ffmpeg(['-i', landscape, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', phone]);
  return phone;
}

async function makeSafeClip(dir: string): Promise<string> {
  const out = path.join(dir, 'safe.mp4');
  await ffmpeg([
    ...['-f', 'lavfi', '-i', `testsrc2=size=1920x1080:rate=30:duration=${SECONDS}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${SECONDS}`],
    // A keyframe every 2 s, as phones write H.264 (the tail check decodes from the last one).
    ...[
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-g',
      '60',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-shortest',
    ],
    ...['-movflags', '+faststart', out],
  ]);
  return out;
}

/** What a bot does with an upload: the checks before queueing. */
async function stored(file: string): Promise<StoredAsset> {
  const info = await validateMedia(file, { limits: { maxAssetDimensions: { width: 4096, height: 4096 } } });
  return {
    key: path.basename(file),
    name: path.basename(file),
    mimeType: info.mimeType,
    ...probedFields(info),
  };
}

/** Runs `work`, adding the CPU milliseconds it cost this process and the tools it ran to `into`. */
async function withCpu<T>(into: number[], work: () => Promise<T>): Promise<T> {
  const before = cpuSnapshot();
  const result = await work();
  const used = cpuBetween(before, cpuSnapshot());
  into.push(used.exitedChildren + used.node);
  return result;
}

export async function runIngestBench(): Promise<Record<string, number | string>> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-ingest-bench-'));
  const pool = createBrowserPool(loadConfig({}, { readDotenv: false }), createSilentLogger(), { size: 1 });
  try {
    const phone = await makePhoneClip(dir, 'IMG_0001.MOV', SECONDS);
    const safe = await makeSafeClip(dir);
    const phoneAsset = await stored(phone);
    const root = path.join(dir, 'store');
    const normaliser = new AssetNormaliser({ root, pages: pagesFromPool(pool) });
    // A worker asks the page about a decoder configuration once: a short clip of the same kind asks it here.
    const first = await makePhoneClip(dir, 'IMG_0000.MOV', 1);
    await normaliser.prepare([await stored(first)], { originalPath: () => first });

    const bare: number[] = [];
    const convert: number[] = [];
    const bareCpu: number[] = [];
    const convertCpu: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bareArgs = ['-i', phone, '-c:v', 'libx264', '-preset', 'veryfast', path.join(dir, 'bare.mp4')];
      bare.push(await timeIt(() => withCpu(bareCpu, () => ffmpeg(bareArgs))));
      await rm(path.join(root, 'converted'), { recursive: true, force: true });
      const converting = () => normaliser.prepare([phoneAsset], { originalPath: () => phone });
      convert.push(await timeIt(() => withCpu(convertCpu, converting)));
    }
    // The same bytes uploaded again under another name: hashed and found.
    const again = path.join(dir, 'IMG_0001 (1).MOV');
    await copyFile(phone, again);
    const cachedMs = await timeIt(() =>
      normaliser.prepare([{ ...phoneAsset, key: 'again' }], { originalPath: () => again }),
    );

    const safeRuns: number[] = [];
    const safeCpu: number[] = [];
    const ingestSafe = async () => {
      const asset = await stored(safe);
      await normaliser.prepare([asset], { originalPath: () => safe });
    };
    for (let round = 0; round < ROUNDS; round++) {
      safeRuns.push(await timeIt(() => withCpu(safeCpu, ingestSafe)));
    }

    const ratio = median(convert) / median(bare);
    const safeShare = median(safeRuns) / (SECONDS * 1000);
    const figures = {
      clip: `${SECONDS} s 1080p30 HEVC 8-bit, rotated 90°, AAC`,
      bare_x264_veryfast_ms: Math.round(median(bare)),
      convert_ms: Math.round(median(convert)),
      convert_vs_bare: Number(ratio.toFixed(2)),
      bare_cpu_ms: Math.round(median(bareCpu)),
      convert_cpu_ms: Math.round(median(convertCpu)),
      convert_cpu_vs_bare: Number((median(convertCpu) / median(bareCpu)).toFixed(2)),
      second_upload_ms: Math.round(cachedMs),
      safe_clip_ingest_ms: Math.round(median(safeRuns)),
      safe_clip_ingest_share: Number((100 * safeShare).toFixed(2)),
      safe_clip_ingest_cpu_ms: Math.round(median(safeCpu)),
    };
    printTable('ingest: phone clip conversion and safe-clip checks', [
      ['ffmpeg -c:v libx264 -preset veryfast', `${figures.bare_x264_veryfast_ms} ms (baseline 1.00x)`],
      [
        'cutroom conversion (hash, checks, convert)',
        `${figures.convert_ms} ms (${figures.convert_vs_bare}x; target ≤ 1.1x)`,
      ],
      [
        'CPU time, conversion vs bare',
        `${figures.convert_cpu_ms} ms vs ${figures.bare_cpu_ms} ms (${figures.convert_cpu_vs_bare}x)`,
      ],
      ['same clip uploaded again (hash + cache hit)', `${figures.second_upload_ms} ms`],
      [
        'already-safe 60 s 1080p H.264 clip in ingest',
        `${figures.safe_clip_ingest_ms} ms (${figures.safe_clip_ingest_share} % of its duration; target ≤ 5 %), CPU ${figures.safe_clip_ingest_cpu_ms} ms`,
      ],
    ]);
    return figures;
  } finally {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  }
}
