import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fitToUploadLimit } from '../../../src/media/fit-to-upload-limit.ts';
import { probeMedia } from '../../../src/media/probe-media.ts';

// Real ffmpeg: a noisy 8 s 720p clip at a high bitrate, so it is several times a small limit.
let dir: string;
let clip: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-fit-'));
  clip = path.join(dir, 'render.mp4');
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=8'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=8'],
    ...['-vf', 'noise=alls=40:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '6M'],
    ...['-c:a', 'aac', '-shortest', '-movflags', '+faststart', clip],
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fitToUploadLimit', () => {
  it('returns the render untouched when it is under the limit', async () => {
    const size = statSync(clip).size;
    const result = await fitToUploadLimit({
      inputPath: clip,
      outputPath: path.join(dir, 'a.mp4'),
      limitBytes: size,
    });
    expect(result).toMatchObject({ path: clip, reencoded: false, size });
  });

  it('re-encodes a render over the limit to a valid MP4 that fits, at a lower resolution', async () => {
    const limitBytes = Math.floor(statSync(clip).size / 8);
    const out = path.join(dir, 'fit.mp4');
    const result = await fitToUploadLimit({ inputPath: clip, outputPath: out, limitBytes });
    expect(result.reencoded).toBe(true);
    expect(result.path).toBe(out);
    expect(statSync(out).size).toBe(result.size);
    expect(result.size).toBeLessThanOrEqual(limitBytes);
    const info = await probeMedia(out);
    expect(info.kind).toBe('video');
    expect(info.hasAudio).toBe(true);
    expect(info.height).toBe(result.height);
    expect(info.height).toBeLessThan(720);
    expect(Math.abs(info.duration - 8)).toBeLessThan(0.5);
  });

  it('refuses with upload_too_large when the bitrate would be unwatchable', async () => {
    const limitBytes = 100 * 1024;
    const error = await fitToUploadLimit({
      inputPath: clip,
      outputPath: path.join(dir, 'tiny.mp4'),
      limitBytes,
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'upload_too_large' });
    expect((error as { userMessage: string }).userMessage).toMatch(/upload limit/);
    expect((error as { userMessage: string }).userMessage).not.toContain(dir);
  });
});
