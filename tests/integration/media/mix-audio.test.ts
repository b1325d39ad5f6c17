/** Real ffmpeg: the audio mix that runs beside the render, and the AAC re-encode for core's own audio. */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mixAudio } from '../../../src/media/mix-audio.ts';
import { reencodeAudioToAac } from '../../../src/media/reencode-audio.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';

let fixtures: MediaFixtures;
let clip: string;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  clip = await fixtures.clip('tone.mp4', { seconds: 3, audio: true });
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

it('reports an ffmpeg failure with the operation and the log tail', async () => {
  const error = await reencodeAudioToAac({
    inputPath: path.join(fixtures.dir, 'missing.mp4'),
    outPath: path.join(fixtures.dir, 'never.mp4'),
  }).catch((e: unknown) => e as Error & { code?: string });
  expect(error).toMatchObject({ code: 'ffmpeg_failed' });
  expect((error as Error).message).toMatch(/finish render: ffmpeg exited with 1: .*missing\.mp4/);
});
