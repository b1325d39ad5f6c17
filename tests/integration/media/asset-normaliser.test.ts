// The normaliser with real ffmpeg and a real Chromium page answering the decoder questions (one browser for the file).
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { createBrowserPool } from '../../../src/browser/create-browser-pool.ts';
import { loadConfig } from '../../../src/config.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { AssetNormaliser, type NormaliseProgress } from '../../../src/media/asset-normaliser.ts';
import { type LendPage, pagesFromPool } from '../../../src/media/decoder-support.ts';
import { probedFields } from '../../../src/media/probe-media.ts';
import { validateMedia } from '../../../src/media/validate-media.ts';
import type { StoredAsset } from '../../../src/queue/types.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';
import {
  durationOf,
  makePhoneClips,
  nameColours,
  PALETTES,
  type PhoneClips,
  PhoneFootage,
  quadrantColours,
  saturation,
} from '../../helpers/phone-footage.ts';

const run = promisify(execFile);
let footage: PhoneFootage;
let clips: PhoneClips;
let pool: BrowserPool;
let plainH264: string;
let pageLoans = 0;
let pages: LendPage;

beforeAll(async () => {
  footage = new PhoneFootage(await mkdtemp(path.join(tmpdir(), 'cutroom-normalise-')));
  clips = await makePhoneClips(footage);
  plainH264 = footage.file('sdr-source.mp4');
  pool = createBrowserPool(loadConfig({}, { readDotenv: false }), createSilentLogger(), { size: 0 });
  const fromPool = pagesFromPool(pool);
  pages = (use, options) => {
    pageLoans++;
    return fromPool(use, options);
  };
}, 120_000);

afterAll(async () => {
  await pool?.close();
  if (footage) await rm(footage.dir, { recursive: true, force: true });
});

/** A clip as a bot stores it: validated, keyed by its path. */
async function stored(file: string): Promise<StoredAsset> {
  const info = await validateMedia(file);
  return { key: file, name: path.basename(file), mimeType: info.mimeType, ...probedFields(info) };
}

async function prepare(normaliser: AssetNormaliser, files: string[] | StoredAsset[]) {
  const progress: NormaliseProgress[] = [];
  const assets = await Promise.all(files.map((f) => (typeof f === 'string' ? stored(f) : f)));
  const result = await normaliser.prepare(assets, {
    originalPath: (asset) => asset.key,
    onProgress: (p) => progress.push(p),
  });
  return { ...result, progress };
}

async function newNormaliser() {
  return new AssetNormaliser({ root: await mkdtemp(path.join(footage.dir, 'store-')), pages });
}

it('takes a plain H.264 clip as it is, without asking the page', async () => {
  const loansBefore = pageLoans;
  const { ready, progress } = await prepare(await newNormaliser(), [plainH264]);
  expect(ready[0].path).toBe(plainH264);
  expect(ready[0].playable?.key).toBe(plainH264);
  expect(progress).toEqual([]);
  expect(pageLoans).toBe(loansBefore);
});

it('converts an iPhone HEVC clip once: the same bytes uploaded again, or replayed, convert nothing', async () => {
  const normaliser = await newNormaliser();
  const first = await prepare(normaliser, [clips.hevc]);
  expect(first.progress[0]).toEqual({ text: 'HEVC clip "IMG_0001.MP4"', percent: 0 });
  expect(first.progress.at(-1)?.percent).toBe(100);
  const converted = first.ready[0];
  expect(converted.playable?.key).toMatch(/^converted\/v1\/[0-9a-f]{64}\.mp4$/);
  const probe = await ffprobe(converted.path);
  expect(probe.streams.map((s) => [s.codec_type, s.codec_name])).toEqual([
    ['video', 'h264'],
    ['audio', 'aac'],
  ]);
  const madeAt = (await stat(converted.path)).mtimeMs;

  const again = footage.file('IMG_0001 (1).MP4');
  await copyFile(clips.hevc, again);
  const second = await prepare(normaliser, [again]);
  const replay = await prepare(normaliser, first.stored);
  expect(second.progress).toEqual([]);
  expect(replay.progress).toEqual([]);
  expect(second.ready[0].path).toBe(converted.path);
  expect(replay.ready[0].path).toBe(converted.path);
  expect((await stat(converted.path)).mtimeMs).toBe(madeAt);
});

it('asks the page once per decoder configuration, however many clips share it', async () => {
  const normaliser = await newNormaliser();
  const other = await footage.quadClip('IMG_0010.MP4', {
    framesPerSecond: [30],
    encode: ['-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1', '-x265-params', 'log-level=error'],
  });
  await prepare(normaliser, [clips.hevc]);
  const loansBefore = pageLoans;
  await prepare(normaliser, [other]);
  expect(pageLoans).toBe(loansBefore);
});

it('turns a portrait clip upright: its display size, and the colours where ffmpeg shows them', async () => {
  const { ready, stored: kept } = await prepare(await newNormaliser(), [clips.portrait]);
  expect([kept[0].width, kept[0].height]).toEqual([240, 320]);
  const probe = await ffprobe(ready[0].path);
  expect([probe.streams[0].width, probe.streams[0].height]).toEqual([240, 320]);
  expect(nameColours(await quadrantColours(ready[0].path, 0.5))).toEqual(
    nameColours(await quadrantColours(clips.portrait, 0.5)),
  );
});

it('turns clips rotated by 180° and 270° the way ffmpeg shows them', async () => {
  const normaliser = await newNormaliser();
  for (const degrees of [180, 270]) {
    const turned = await footage.rotated(`turned-${degrees}.mov`, footage.file('landscape.mp4'), degrees);
    const { ready } = await prepare(normaliser, [turned]);
    expect(nameColours(await quadrantColours(ready[0].path, 0.5)), `${degrees}°`).toEqual(
      nameColours(await quadrantColours(turned, 0.5)),
    );
  }
});

describe('tone-maps HDR to SDR without washing its colours out', () => {
  for (const transfer of ['smpte2084', 'arib-std-b67'] as const) {
    it(transfer === 'smpte2084' ? 'PQ (HDR10)' : 'HLG', async () => {
      const hdr =
        transfer === 'smpte2084'
          ? clips.hdr
          : await footage.hdr('hlg.mp4', footage.file('sdr-source.mp4'), transfer);
      const { ready } = await prepare(await newNormaliser(), [hdr]);
      const colours = await quadrantColours(ready[0].path, 0.5);
      expect(nameColours(colours)).toEqual(nameColours(PALETTES[0]));
      // Red, green and blue keep their saturation (untone-mapped they read about 0.5); yellow is bright either way.
      for (const colour of colours.slice(0, 3)) expect(saturation(colour)).toBeGreaterThan(0.7);
      const [video] = (await ffprobe(ready[0].path)).streams;
      expect(video.profile).toBe('High');
    });
  }
});

describe('converts to 8-bit H.264 with the same duration', () => {
  for (const which of ['hevc10', 'avi', 'prores'] as const) {
    it(which, async () => {
      const source =
        which === 'prores'
          ? await footage.reencode('edit.mov', clips.avi, ['-c:v', 'prores_ks', '-profile:v', '0'])
          : clips[which];
      const { ready } = await prepare(await newNormaliser(), [source]);
      const { stdout } = await run('ffprobe', [
        ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,pix_fmt'],
        ...['-of', 'csv=p=0', ready[0].path],
      ]);
      expect(stdout.trim()).toBe('h264,yuv420p');
      expect(await durationOf(ready[0].path)).toBeCloseTo(await durationOf(source), 1);
      expect(nameColours(await quadrantColours(ready[0].path, 1.5))).toEqual(nameColours(PALETTES[1]));
    });
  }
});

it('keeps a variable-frame-rate H.264 clip as it is', async () => {
  const { ready } = await prepare(await newNormaliser(), [clips.vfr]);
  expect(ready[0].path).toBe(clips.vfr);
});

it('evens out an odd picture size', async () => {
  const odd = await footage.reencode('screen.mp4', clips.vfr, [
    ...['-vf', 'scale=321:241', '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv444p'],
  ]);
  const { stored: kept, ready } = await prepare(await newNormaliser(), [odd]);
  expect([kept[0].width % 2, kept[0].height % 2]).toEqual([0, 0]);
  expect(ready[0].path).not.toBe(odd);
});

it('converts AMR and WMA recordings to AAC, keeping their length', async () => {
  const amr = await footage.amr('voice-memo.amr', 2);
  const wma = await footage.sound('interview.wma', 2, ['-c:a', 'wmav2']);
  const { ready, stored: kept } = await prepare(await newNormaliser(), [amr, wma]);
  for (const [i, asset] of ready.entries()) {
    expect(asset.playable?.mimeType).toBe('audio/mp4');
    const probe = await ffprobe(asset.path);
    expect(probe.streams.map((s) => s.codec_name)).toEqual(['aac']);
    expect(kept[i].duration).toBeCloseTo(2, 0);
  }
  expect(await readdir(path.dirname(ready[0].path))).toHaveLength(2);
});
