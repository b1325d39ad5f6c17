// Shot changes, silences and loudness measured with real ffmpeg on clips generated with known cuts and gaps.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseMedia } from '../../../src/media/analyse-media.ts';
import { type CutsAndGapsClip, cutsAndGapsClip } from '../../helpers/analysis-fixtures.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';

describe('analyseMedia', () => {
  let dir: string;
  let keyframed: CutsAndGapsClip;
  let longGop: CutsAndGapsClip;
  let media: MediaFixtures;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cutroom-analyse-'));
    media = await MediaFixtures.create();
    [keyframed, longGop] = await Promise.all([
      cutsAndGapsClip(dir, 'keyframed.mp4'),
      cutsAndGapsClip(dir, 'long-gop.mp4', {
        encoding: 'long-gop',
        seconds: 7,
        cuts: [0.9, 2.0333, 4.6, 5.1],
        gaps: [[0.4, 1.25]],
      }),
    ]);
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await media?.close();
  });

  const analyse = (clip: CutsAndGapsClip) =>
    analyseMedia({ path: clip.path, kind: 'video', duration: clip.seconds, hasAudio: true });

  it('finds every cut within one frame when the encoder put a key frame on it', async () => {
    const { shots, fps } = await analyse(keyframed);
    expect(fps).toBe(30);
    expect(shots).toHaveLength(keyframed.cuts.length);
    for (const [i, cut] of keyframed.cuts.entries())
      expect(Math.abs(shots[i] - cut)).toBeLessThanOrEqual(1 / 30 + 1e-6);
  });

  it('finds every cut within one frame when cuts fall between key frames of a long GOP with B-frames', async () => {
    const { shots } = await analyse(longGop);
    expect(shots).toHaveLength(longGop.cuts.length);
    for (const [i, cut] of longGop.cuts.entries())
      expect(Math.abs(shots[i] - cut)).toBeLessThanOrEqual(1 / 30 + 1e-6);
  });

  it('finds the silent gaps of the tone within 50 ms', async () => {
    for (const clip of [keyframed, longGop]) {
      const { silences } = await analyse(clip);
      expect(silences).toHaveLength(clip.gaps.length);
      for (const [i, [start, end]] of clip.gaps.entries()) {
        expect(Math.abs(silences[i][0] - start)).toBeLessThanOrEqual(0.05);
        expect(Math.abs(silences[i][1] - end)).toBeLessThanOrEqual(0.05);
      }
    }
  });

  it('gives times on the frame grid and a loudness curve with a point a second', async () => {
    const analysis = await analyse(keyframed);
    for (const t of [...analysis.shots, ...analysis.silences.flat()]) {
      expect(Math.abs(t * 30 - Math.round(t * 30))).toBeLessThan(1e-4);
    }
    expect(analysis.loudness?.stepSeconds).toBe(1);
    expect(analysis.loudness?.db).toHaveLength(5);
    // The tone sits at −9 dBFS; the second with a 0.6 s gap is about 4 dB quieter on average.
    expect(analysis.loudness?.db[0]).toBeCloseTo(-9, 0);
    expect(analysis.loudness?.db[1]).toBeLessThan(-11);
  });

  it('finds no cut in one continuous moving shot', async () => {
    const clip = await media.clip('moving.mp4', { seconds: 4, width: 640, height: 360, gop: 30 });
    const analysis = await analyseMedia({ path: clip, kind: 'video', duration: 4, hasAudio: true });
    expect(analysis.shots).toEqual([]);
    expect(analysis.silences).toEqual([]);
  });

  it('measures sound alone, and a picture without sound, leaving out what is not there', async () => {
    const silent = await media.colourClip('colours.mp4', { seconds: 3, width: 320, height: 180 });
    const picture = await analyseMedia({ path: silent, kind: 'video', duration: 3, hasAudio: false });
    expect(picture.shots).toHaveLength(2);
    expect(picture.silences).toEqual([]);
    expect(picture.loudness).toBeUndefined();
    const sound = await analyseMedia({ path: keyframed.path, kind: 'audio', duration: 5, hasAudio: true });
    expect(sound.shots).toEqual([]);
    expect(sound.fps).toBeUndefined();
    expect(sound.silences).toHaveLength(2);
  });

  it('rejects a file ffmpeg cannot read with ffmpeg_failed', async () => {
    const text = await media.textFile('not-video.mp4');
    await expect(
      analyseMedia({ path: text, kind: 'video', duration: 3, hasAudio: true }),
    ).rejects.toMatchObject({
      code: 'ffmpeg_failed',
    });
  });
});
