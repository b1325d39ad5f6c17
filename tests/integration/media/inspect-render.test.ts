/** Real MP4s written by ffmpeg, read in-process the way a finished render is checked. */
import { stat } from 'node:fs/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CutroomError, ErrorCode } from '../../../src/errors.ts';
import { inspectRender } from '../../../src/media/inspect-render.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';

let fixtures: MediaFixtures;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
});

afterAll(async () => {
  await fixtures?.close();
});

it('reads the size, duration, dimensions and audio ffprobe reports', async () => {
  const clip = await fixtures.clip('with-audio.mp4', { seconds: 2, width: 640, height: 360, audio: true });
  const probe = await ffprobe(clip);
  const video = probe.streams.find((s) => s.codec_type === 'video');
  const facts = await inspectRender(clip);
  expect(facts).toMatchObject({
    bytes: (await stat(clip)).size,
    width: video?.width,
    height: video?.height,
    hasAudio: true,
  });
  expect(facts.durationSeconds).toBeCloseTo(probe.duration, 1);
});

it('says a video-only file has no audio', async () => {
  const clip = await fixtures.clip('silent.mp4', { seconds: 1, audio: false });
  expect((await inspectRender(clip)).hasAudio).toBe(false);
});

it('fails with render_failed on a file that is not a readable MP4', async () => {
  const text = await fixtures.textFile('broken.mp4');
  const error = await inspectRender(text).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(CutroomError);
  expect((error as CutroomError).code).toBe(ErrorCode.RenderFailed);
});
