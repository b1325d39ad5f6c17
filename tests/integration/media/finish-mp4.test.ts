/** Real ffmpeg: the audio mix and the final mux that chat players need. */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { finishMp4, mixAudio } from '../../../src/media/finish-mp4.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { ffprobe, topLevelBoxes } from '../../helpers/mp4-inspect.ts';

let fixtures: MediaFixtures;
let clip: string;
let silent: string;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  [clip, silent] = await Promise.all([
    fixtures.clip('tone.mp4', { seconds: 3, audio: true }),
    fixtures.clip('silent.mp4', { seconds: 2, audio: false }),
  ]);
});

afterAll(async () => {
  await fixtures?.close();
});

it('mixes the same source range twice (a replayed moment) without hanging, to the exact duration', async () => {
  const out = path.join(fixtures.dir, 'mix.m4a');
  await mixAudio({
    segments: [
      { path: clip, at: 0, from: 1, to: 2, volume: 1, fadeIn: 0, fadeOut: 0 },
      { path: clip, at: 1, from: 1, to: 2, volume: 0.5, fadeIn: 0.2, fadeOut: 0.2 },
      { path: clip, at: 2.5, from: 0, to: 0.5, volume: 1, fadeIn: 0, fadeOut: 0 },
    ],
    durationSeconds: 4,
    outPath: out,
    timeoutMs: 30_000,
  });
  const probe = await ffprobe(out);
  expect(probe.duration).toBeCloseTo(4, 1);
  expect(probe.streams.map((s) => s.codec_name)).toEqual(['aac']);
});

it('muxes video and a mixed AAC track by stream copy, with moov before mdat', async () => {
  const audio = path.join(fixtures.dir, 'a.m4a');
  await mixAudio({
    segments: [{ path: clip, at: 0, from: 0, to: 2, volume: 1, fadeIn: 0, fadeOut: 0 }],
    durationSeconds: 2,
    outPath: audio,
  });
  const out = path.join(fixtures.dir, 'final.mp4');
  await finishMp4({ inputPath: silent, outPath: out, audio: { mode: 'file', path: audio } });
  const probe = await ffprobe(out);
  expect(probe.streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  const boxes = await topLevelBoxes(out);
  expect(boxes.indexOf('moov')).toBeLessThan(boxes.indexOf('mdat'));
});

it('reports an ffmpeg failure with the operation and the log tail', async () => {
  const error = await finishMp4({
    inputPath: path.join(fixtures.dir, 'missing.mp4'),
    outPath: path.join(fixtures.dir, 'never.mp4'),
    audio: { mode: 'none' },
  }).catch((e: unknown) => e as Error & { code?: string });
  expect(error).toMatchObject({ code: 'ffmpeg_failed' });
  expect((error as Error).message).toMatch(/finish render: ffmpeg exited with 1: .*missing\.mp4/);
});
