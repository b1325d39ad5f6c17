/** When a render's sound is copied from its source rather than mixed by ffmpeg. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyableAudio } from '../../../src/media/audio-copy.ts';
import type { AudioSegmentInput } from '../../../src/media/mix-audio.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';

let fixtures: MediaFixtures;
let clip: string;
let wav: string;
let late: string;

const untouched = (file: string): AudioSegmentInput => ({
  path: file,
  at: 0,
  from: 0.5,
  to: 2.5,
  volume: 1,
  fadeIn: 0,
  fadeOut: 0,
});

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  clip = await fixtures.clip('tone.mp4', { seconds: 3, audio: true });
  wav = path.join(fixtures.dir, 'tone.wav');
  late = path.join(fixtures.dir, 'late.mp4');
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=d=3', wav]);
  // The sound starts a second into the file, as in a clip whose audio was cut later than its picture.
  await promisify(execFile)('ffmpeg', ['-v', 'error', '-itsoffset', '1', '-i', clip, '-c', 'copy', late]);
});

afterAll(async () => {
  await fixtures?.close();
});

it('copies one untouched stretch of AAC sound that starts the render', async () => {
  expect(await copyableAudio([untouched(clip)])).toEqual({ path: clip, from: 0.5, to: 2.5 });
});

describe('leaves to the mix', () => {
  it.each([
    ['a clip that starts later', { at: 1 }],
    ['a clip at another volume', { volume: 0.5 }],
    ['a fade in', { fadeIn: 0.2 }],
    ['a fade out', { fadeOut: 0.2 }],
    ['a cut past the end of the sound', { from: 3.5, to: 4 }],
  ])('%s', async (_, change) => {
    expect(await copyableAudio([{ ...untouched(clip), ...change }])).toBeNull();
  });

  it('two clips', async () => {
    expect(await copyableAudio([untouched(clip), { ...untouched(clip), at: 2 }])).toBeNull();
  });

  it('a cut from before the sound starts', async () => {
    expect(await copyableAudio([untouched(late)])).toBeNull();
  });

  it('sound that is not AAC', async () => {
    expect(await copyableAudio([untouched(wav)])).toBeNull();
  });
});
