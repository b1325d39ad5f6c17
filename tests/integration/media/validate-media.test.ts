// validateMedia against real files made by ffmpeg: what a bot refuses before queueing, and what it lets through.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutroomError } from '../../../src/errors.ts';
import { validateMedia } from '../../../src/media/validate-media.ts';
import {
  type BrokenUploads,
  makeBrokenUploads,
  makePhoneClips,
  type PhoneClips,
  PhoneFootage,
} from '../../helpers/phone-footage.ts';

const run = promisify(execFile);
const LIMITS = { maxAssetDimensions: { width: 4096, height: 4096 } };
let footage: PhoneFootage;
let clips: PhoneClips;
let broken: BrokenUploads;
let containers: string[];

/** Short complete files in the containers and codecs people upload (2 s, 160x120, with sound). */
const CONTAINERS: [string, string[]][] = [
  ['bframes.mp4', ['-c:v', 'libx264', '-preset', 'medium', '-c:a', 'aac']],
  ['clip.webm', ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-c:a', 'libopus']],
  ['clip.mkv', ['-c:v', 'libx264', '-c:a', 'libvorbis']],
  ['clip.ts', ['-c:v', 'libx264', '-c:a', 'aac']],
  ['clip.avi', ['-c:v', 'mpeg4', '-c:a', 'libmp3lame']],
  ['ntsc.mov', ['-r', '30000/1001', '-c:v', 'libx264', '-c:a', 'aac']],
  ['short-sound.mp4', ['-c:v', 'libx264', '-c:a', 'aac', '-af', 'atrim=0:1.5']],
  ['song.mp3', ['-vn', '-c:a', 'libmp3lame']],
  ['voice.m4a', ['-vn', '-c:a', 'aac']],
  ['take.wav', ['-vn']],
  ['take.flac', ['-vn', '-c:a', 'flac']],
];

async function encode(name: string, args: string[]): Promise<string> {
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=30:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=duration=2:sample_rate=48000', '-shortest'],
    ...args,
    footage.file(name),
  ]);
  return footage.file(name);
}

beforeAll(async () => {
  footage = new PhoneFootage(await mkdtemp(path.join(tmpdir(), 'cutroom-validate-')));
  [clips, broken, containers] = await Promise.all([
    makePhoneClips(footage),
    makeBrokenUploads(footage),
    Promise.all(CONTAINERS.map(([name, args]) => encode(name, args))),
  ]);
}, 180_000);

afterAll(async () => {
  if (footage) await rm(footage.dir, { recursive: true, force: true });
});

async function refusal(file: string): Promise<CutroomError> {
  const error = await validateMedia(file, { limits: LIMITS }).then(
    () => undefined,
    (e: CutroomError) => e,
  );
  if (!error) throw new Error(`${path.basename(file)} was accepted`);
  expect(error.userMessage).toContain(`"${path.basename(file)}"`);
  return error;
}

describe('refuses, naming the file', () => {
  it('a moov-first MP4 cut at 35 % of its bytes, saying it was cut short', async () => {
    const error = await refusal(broken.cut);
    expect(error.code).toBe('asset_corrupt');
    expect(error.userMessage).toMatch(/is incomplete: it stops at \d+\.\d s of 4\.0 s/);
  });

  it('an MP4 that loses only its last tenth', async () => {
    const error = await refusal(await footage.cut('nearly.mp4', footage.file('busy.mp4'), 0.9));
    expect(error.userMessage).toMatch(/is incomplete/);
  });

  it('a DRM-encrypted MP4 with asset_protected', async () => {
    expect((await refusal(broken.drm)).code).toBe('asset_protected');
  });

  it('a password-protected archive with asset_protected', async () => {
    const error = await refusal(broken.zip);
    expect(error.code).toBe('asset_protected');
    expect(error.userMessage).toMatch(/password-protected/);
  });

  it('an image over the pixel limit with asset_too_large, giving both sizes', async () => {
    const error = await refusal(broken.huge);
    expect(error.code).toBe('asset_too_large');
    expect(error.userMessage).toContain('10000×10000');
    expect(error.userMessage).toContain('4096×4096');
  });

  it('a still image named as a video with asset_unsupported', async () => {
    const error = await refusal(broken.misnamed);
    expect(error.code).toBe('asset_unsupported');
    expect(error.userMessage).toMatch(/named like a video .* \(\.mp4\) but is a PNG image/);
  });

  it('a zero-byte file with asset_empty', async () => {
    expect((await refusal(broken.empty)).code).toBe('asset_empty');
  });
});

describe('accepts', () => {
  it('every phone clip, reporting its display size after rotation', async () => {
    for (const file of Object.values(clips)) {
      const info = await validateMedia(file, { limits: LIMITS });
      expect([path.basename(file), info.width, info.height]).toEqual([path.basename(file), 240, 320]);
    }
  });

  it('a portrait clip larger than the limit is measured either way round', async () => {
    const info = await validateMedia(clips.portrait, {
      limits: { maxAssetDimensions: { width: 320, height: 240 } },
    });
    expect(info.rotation).not.toBe(0);
  });

  it('complete files in every common container without calling them cut short', async () => {
    for (const file of containers) {
      await expect(validateMedia(file), path.basename(file)).resolves.toMatchObject({
        duration: expect.any(Number),
      });
    }
  });
});
