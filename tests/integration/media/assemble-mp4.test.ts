/** The final MP4 assembled in-process: copied packets, a sample-exact audio cut, the index first. */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { assembleMp4 } from '../../../src/media/assemble-mp4.ts';
import { mixAudio } from '../../../src/media/mix-audio.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { audioSamples, ffprobe, topLevelBoxes } from '../../helpers/mp4-inspect.ts';

const run = promisify(execFile);
let fixtures: MediaFixtures;
let silent: string;
let chirp: string;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  silent = await fixtures.clip('silent.mp4', { seconds: 2, audio: false });
  // A rising tone never repeats itself, so an audio cut that is off by even one sample no longer matches.
  chirp = path.join(fixtures.dir, 'chirp.m4a');
  await run('ffmpeg', [
    '-v',
    'error',
    '-f',
    'lavfi',
    '-i',
    'aevalsrc=0.5*sin(2*PI*(200+300*t)*t):s=48000:d=4',
    '-c:a',
    'aac',
    '-b:a',
    '192k',
    chirp,
  ]);
});

afterAll(async () => {
  await fixtures?.close();
});

it('copies a cut of a source’s AAC audio so it plays from time 0, sample for sample', async () => {
  const out = path.join(fixtures.dir, 'cut.mp4');
  await assembleMp4({ videoPath: silent, audio: { path: chirp, from: 1.23, to: 3.23 }, outPath: out });
  const [ours, reference] = await Promise.all([
    audioSamples(out),
    audioSamples(chirp, 'atrim=start=1.23:end=3.23'),
  ]);
  const compared = Math.min(ours.length, reference.length);
  expect(compared).toBeGreaterThan(0.99 * 2 * 48_000);
  let worst = 0;
  for (let i = 0; i < compared; i++) worst = Math.max(worst, Math.abs(ours[i] - reference[i]));
  expect(worst).toBeLessThan(1e-3);
});

it('muxes video and a mixed AAC file by stream copy, with moov before mdat', async () => {
  const audio = path.join(fixtures.dir, 'mixed.m4a');
  await mixAudio({
    segments: [{ path: chirp, at: 0.5, from: 0, to: 1, volume: 0.8, fadeIn: 0.1, fadeOut: 0 }],
    durationSeconds: 2,
    outPath: audio,
  });
  const out = path.join(fixtures.dir, 'final.mp4');
  await assembleMp4({
    videoPath: silent,
    audio: { path: audio, from: 0, to: Number.POSITIVE_INFINITY },
    outPath: out,
  });
  const probe = await ffprobe(out);
  expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  expect(probe.duration).toBeCloseTo(2, 1);
  const boxes = await topLevelBoxes(out);
  expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
});

it('writes a video-only MP4 when there is no audio', async () => {
  const out = path.join(fixtures.dir, 'video-only.mp4');
  await assembleMp4({ videoPath: silent, outPath: out });
  const probe = await ffprobe(out);
  expect(probe.streams.map((s) => s.codec_name)).toEqual(['h264']);
  expect(probe.duration).toBeCloseTo(2, 1);
});

it('fails with render_failed and leaves no file when the browser’s video is unreadable', async () => {
  const garbage = await fixtures.textFile('raw.mp4');
  const out = path.join(fixtures.dir, 'never.mp4');
  const error = await assembleMp4({ videoPath: garbage, outPath: out }).catch((e: unknown) => e);
  expect(error).toMatchObject({
    code: 'render_failed',
    userMessage: 'The video could not be finished. Please try again.',
  });
  expect((error as Error).message).toMatch(/^finish render: /);
  await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
});
