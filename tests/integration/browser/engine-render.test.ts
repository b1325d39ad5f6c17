/**
 * Real Chromium + real ffmpeg: code actions, sampling and rendering through the warm pool.
 * Fixtures are generated with ffmpeg when the file starts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import type { LoadableAsset } from '../../../src/browser/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { averageColour, COLOURS, MediaFixtures, nearestColour } from '../../helpers/media-fixtures.ts';
import { audioSamples, ffprobe, topLevelBoxes } from '../../helpers/mp4-inspect.ts';

const run = promisify(execFile);
let fixtures: MediaFixtures;
let pool: BrowserPool;
let out: string;
let wide: LoadableAsset;
let small: LoadableAsset;
let silent: LoadableAsset;
let colours: LoadableAsset;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  out = await mkdtemp(path.join(tmpdir(), 'cutroom-out-'));
  const logger = createSilentLogger();
  pool = new BrowserPool({ provider: new LocalBrowserProvider({ logger }), logger, size: 1 });
  const [a, b, c, d] = await Promise.all([
    fixtures.clip('wide.mp4', { seconds: 8, audio: true }),
    fixtures.clip('small.mp4', { seconds: 4, width: 640, height: 480, audio: true }),
    fixtures.clip('silent.mp4', { seconds: 3, audio: false }),
    fixtures.colourClip('colours.mp4', { seconds: 10, gop: 150 }),
    pool.warmUp(),
  ]);
  [wide, small, silent, colours] = await Promise.all([
    localAsset(a),
    localAsset(b),
    localAsset(c),
    localAsset(d),
  ]);
}, 120_000);

afterAll(async () => {
  await pool?.close();
  await fixtures?.close();
  await rm(out, { recursive: true, force: true });
});

async function withSession<T>(
  assets: LoadableAsset[],
  fn: (s: Awaited<ReturnType<BrowserPool['acquire']>>) => Promise<T>,
) {
  const session = await pool.acquire();
  try {
    await session.loadAssets(assets);
    return await fn(session);
  } finally {
    await session.release();
  }
}

describe('rendering', () => {
  it('trims a clip to the requested range and writes H.264 + AAC with faststart', async () => {
    await withSession([wide], async (session) => {
      const result = await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source, { range: [2, 5], start: 0 }));
      `);
      expect(result.ok).toBe(true);
      expect(result.duration).toBeCloseTo(3, 1);
      const file = path.join(out, 'trim.mp4');
      const progress: number[] = [];
      const rendered = await session.render({ outPath: file, onProgress: (p) => progress.push(p.percent) });
      const probe = await ffprobe(file);
      expect(probe.duration).toBeCloseTo(3, 0);
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
      const boxes = await topLevelBoxes(file);
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
      expect(rendered).toMatchObject({ width: 1280, height: 720, hasAudio: true });
      expect(progress.at(-1)).toBe(100);
    });
  });

  it('renders a text overlay on top of the video', async () => {
    await withSession([colours], async (session) => {
      const result = await session.runCode(`
        const video = await composition.add(new core.Layer());
        await video.add(new core.VideoClip(assets[0].source, { range: [0, 2] }));
        const titles = await composition.add(new core.Layer());
        await titles.add(new core.TextClip({ text: 'LAUNCH DAY', position: 'center', fontSize: 140, color: '#000000', duration: 2 }));
      `);
      expect(result.ok).toBe(true);
      expect(result.outline).toContain('TEXT');
      const withText = await session.sample({ times: [0.5] });
      const plain = await session.runCode('composition.layers[0].disabled = true;');
      expect(plain.ok).toBe(true);
      const without = await session.sample({ times: [0.5] });
      // Black text over a red frame darkens the frame: the overlay really is drawn.
      const [r1] = await averageColour(withText.frames[0].jpeg);
      const [r2] = await averageColour(without.frames[0].jpeg);
      expect(r2 - r1).toBeGreaterThan(5);
      await session.runCode('composition.layers[0].disabled = false;');
      const file = path.join(out, 'text.mp4');
      const rendered = await session.render({ outPath: file });
      expect(rendered.durationSeconds).toBeCloseTo(2, 0);
    });
  });

  it('concatenates two clips of different sizes into one 1280x720 video', async () => {
    await withSession([wide, small], async (session) => {
      const result = await session.runCode(`
        const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
        await layer.add(new core.VideoClip(assets[0].source, { range: [0, 2] }));
        await layer.add(new core.VideoClip(assets[1].source, { range: [0, 2], height: '100%', position: 'center' }));
      `);
      expect(result.ok).toBe(true);
      expect(result.duration).toBeCloseTo(4, 1);
      const file = path.join(out, 'concat.mp4');
      await session.render({ outPath: file });
      const probe = await ffprobe(file);
      expect(probe.duration).toBeCloseTo(4, 0);
      expect(probe.streams.find((s) => s.codec_type === 'video')).toMatchObject({ width: 1280, height: 720 });
      expect(probe.streams.some((s) => s.codec_type === 'audio')).toBe(true);
    });
  });

  it('renders a clip without audio as a video-only MP4', async () => {
    await withSession([silent], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source));
      `);
      const file = path.join(out, 'silent.mp4');
      const rendered = await session.render({ outPath: file });
      const probe = await ffprobe(file);
      expect(rendered.hasAudio).toBe(false);
      expect(probe.streams.map((s) => s.codec_type)).toEqual(['video']);
      const boxes = await topLevelBoxes(file);
      expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
    });
  });

  it('renders a keyframed volume through core’s own mixer, as AAC that gets louder', async () => {
    await withSession([wide], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source, {
          range: [0, 3],
          animations: [{ key: 'volume', frames: [{ time: 0, value: 0 }, { time: 3, value: 1 }] }],
        }));
      `);
      const file = path.join(out, 'volume-ramp.mp4');
      const rendered = await session.render({ outPath: file });
      const probe = await ffprobe(file);
      expect(rendered.hasAudio).toBe(true);
      expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
      expect(await loudness(file, 0.2, 0.8)).toBeLessThan((await loudness(file, 2.2, 2.8)) / 2);
    });
  });
});

/** The RMS level of the file's audio between two times. */
async function loudness(file: string, from: number, to: number): Promise<number> {
  const samples = await audioSamples(file, `atrim=start=${from}:end=${to}`);
  return Math.sqrt(samples.reduce((sum, x) => sum + x * x, 0) / samples.length);
}

/** The colour index of the video's frame at `t` seconds, extracted with ffmpeg. */
async function colourAt(file: string, t: number): Promise<number> {
  const frame = path.join(out, `${path.basename(file, '.mp4')}-${t}.png`);
  await run('ffmpeg', ['-v', 'error', '-y', '-ss', String(t), '-i', file, '-frames:v', '1', frame]);
  return nearestColour(await averageColour(frame));
}

describe('rendered frames', () => {
  it('show at each time the source frame the composition puts there', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source, { range: [2, 6], start: 0 }));
      `);
      const file = path.join(out, 'colours.mp4');
      await session.render({ outPath: file });
      for (const t of [0.2, 0.9, 1.1, 2.5, 3.8]) {
        expect({ t, colour: await colourAt(file, t) }).toEqual({
          t,
          colour: Math.floor(t) + 2,
        });
      }
    });
  });
});

describe('rendered clips', () => {
  it('show from their very first frame, at the start and where a clip comes on over another', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const base = await composition.add(new core.Layer());
        await base.add(new core.VideoClip(assets[0].source, { range: [1, 3], start: 0 }));
        const top = await composition.add(new core.Layer());
        await top.add(new core.VideoClip(assets[0].source, { range: [5, 6], start: 1 }));
      `);
      const file = path.join(out, 'first-frames.mp4');
      await session.render({ outPath: file });
      const seen: { t: number; colour: number }[] = [];
      for (const t of [0, 1, 1.5]) seen.push({ t, colour: await colourAt(file, t) });
      expect(seen).toEqual([
        { t: 0, colour: 1 },
        { t: 1, colour: 5 },
        { t: 1.5, colour: 5 },
      ]);
    });
  });

  it('show through their very last frame, and match the preview where one clip hands over to the next', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source, { range: [1, 3], start: 0 }));
        await layer.add(new core.VideoClip(assets[0].source, { range: [6, 7], start: 2 }));
      `);
      const file = path.join(out, 'last-frames.mp4');
      await session.render({ outPath: file });
      // At 30 fps the frames at 1.967 s and 2.967 s are the last full frames of each clip. At 2 s exactly core draws
      // the first clip at its end time; whatever it draws, the preview must show the same.
      const [handOver] = (await session.sample({ times: [2], width: 320 })).frames;
      const previewed = nearestColour(await averageColour(handOver.jpeg));
      const seen: { t: number; colour: number }[] = [];
      for (const t of [1.95, 2, 2.95]) seen.push({ t, colour: await colourAt(file, t) });
      expect(seen).toEqual([
        { t: 1.95, colour: 2 },
        { t: 2, colour: previewed },
        { t: 2.95, colour: 6 },
      ]);
    });
  });
});

describe('sampling', () => {
  it('shows at time t the source frame of time t (frame-exact), for every second', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source));
      `);
      const times = [0.1, 0.97, 1.03, 2.5, 3.97, 4.03, 5.5, 6.97, 7.03, 8.5, 9.9];
      const sample = await session.sample({ times, width: 320 });
      expect(sample.frames.map((f) => f.time)).toEqual(times);
      for (const frame of sample.frames) {
        const seen = nearestColour(await averageColour(frame.jpeg));
        expect({ time: frame.time, colour: seen }).toEqual({
          time: frame.time,
          colour: Math.floor(frame.time) % COLOURS.length,
        });
      }
    });
  });

  it('samples clips cut one after another from their own source times, and a time asked for twice', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
        await layer.add(new core.VideoClip(assets[0].source, { range: [1, 3] }));
        await layer.add(new core.VideoClip(assets[0].source, { range: [6, 8] }));
      `);
      const times = [0.5, 1.5, 1.5, 2.5, 3.5];
      const sample = await session.sample({ times, width: 320 });
      expect(sample.frames.map((f) => f.time)).toEqual(times);
      const seen = await Promise.all(
        sample.frames.map(async (f) => nearestColour(await averageColour(f.jpeg))),
      );
      expect(seen).toEqual([1, 2, 2, 6, 7]);
    });
  });

  it('samples a trimmed and shifted clip in composition time, at 1 fps by default', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        const clip = new core.VideoClip(assets[0].source, { range: [3, 7] });
        await layer.add(clip);
        clip.delay = -3 + 1;
      `);
      const sample = await session.sample();
      expect(sample.frames.map((f) => f.time)).toEqual([0, 1, 2, 3, 4]);
      const seen = await Promise.all(
        sample.frames.slice(1).map(async (f) => nearestColour(await averageColour(f.jpeg))),
      );
      // Composition second k (k ≥ 1) shows source second k + 2.
      expect(seen).toEqual([3, 4, 5, 6]);
      expect(sample.sheet.subarray(0, 2).toString('hex')).toBe('ffd8');
      expect(sample.width).toBe(640);
    });
  });
});

describe('live player', () => {
  it('shows the source frame of the time a code action seeks to', async () => {
    await withSession([colours], async (session) => {
      await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source));
        await composition.seek(3.5);
      `);
      const player = session.currentPage.locator('#player canvas');
      await expect
        .poll(async () => nearestColour(await averageColour(await player.screenshot())), { timeout: 10_000 })
        .toBe(3);
    });
  });

  it('keeps its audio suspended while nobody plays, and plays on from where it was', async () => {
    await withSession([wide], async (session) => {
      const result = await session.runCode(`
        const layer = await composition.add(new core.Layer());
        await layer.add(new core.VideoClip(assets[0].source));
        await composition.seek(2);
        console.log(composition.renderer.audioCtx.state);
        await composition.play();
        await new Promise((resolve) => setTimeout(resolve, 600));
        await composition.pause();
        console.log(composition.renderer.audioCtx.state, composition.currentTime);
      `);
      expect(result.ok).toBe(true);
      const [before, after] = result.logs;
      expect(before).toBe('suspended');
      const [state, time] = after.split(' ');
      expect(state).toBe('running');
      expect(Number(time)).toBeGreaterThan(2.3);
      expect(Number(time)).toBeLessThan(3.5);
    });
  });
});
