// Real ffmpeg and a real artifact store: the worker stores a copy of a render that fits a platform's
// upload limit (bots only upload), or refuses plainly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { probeMedia } from '../../../src/media/probe-media.ts';
import { ArtifactStore, fittedRenderKey, renderKey } from '../../../src/queue/artifact-store.ts';
import type { ArtifactRef, ThreadRef } from '../../../src/queue/types.ts';
import { fitRender } from '../../../src/worker/fit-render.ts';

const thread: ThreadRef = { platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadId: 'T1' };

let dir: string;
let bigRender: Buffer;
let store: ArtifactStore;
let render: ArtifactRef;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-fit-render-'));
  const file = path.join(dir, 'render.mp4');
  // Noise at a high bitrate: several times a small limit, as a real 1080p render is over Discord's 10 MB.
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=30:duration=6'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=330:duration=6'],
    ...['-vf', 'noise=alls=40:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '5M'],
    ...['-c:a', 'aac', '-shortest', '-movflags', '+faststart', file],
  ]);
  bigRender = readFileSync(file);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeEach(async () => {
  store = new ArtifactStore({ root: mkdtempSync(path.join(dir, 'artifacts-')) });
  render = await store.write(renderKey(thread, 'discord:1'), bigRender, {
    name: 'cutroom.mp4',
    mimeType: 'video/mp4',
  });
});

const fitTo = (limitBytes: number | undefined) =>
  fitRender({ artifacts: store, render, limitBytes, durationSeconds: 6, workDir: path.join(dir, 'work') });

describe('fitRender', () => {
  it('posts the render itself when there is no limit or it fits', async () => {
    expect(await fitTo(undefined)).toEqual({ file: render });
    expect(await fitTo(render.size)).toEqual({ file: render });
  });

  it('stores a re-encoded copy that fits beside the render, says so, and encodes it once', async () => {
    const limit = Math.floor(render.size / 6);
    const first = await fitTo(limit);
    expect(first.file.key).toBe(fittedRenderKey(render.key, limit));
    expect(first.file.size).toBeLessThanOrEqual(limit);
    expect(first.note).toMatch(/over this server's [\d.]+ MB upload limit, so I re-encoded it at \d+p/);
    const info = await probeMedia(store.pathFor(first.file.key));
    expect(info.hasAudio).toBe(true);
    expect(Math.abs(info.duration - 6)).toBeLessThan(0.5);
    expect(info.height).toBeLessThan(720);

    const writtenAt = (await stat(store.pathFor(first.file.key))).mtimeMs;
    const again = await fitTo(limit);
    expect(again).toEqual(first);
    expect((await stat(store.pathFor(first.file.key))).mtimeMs).toBe(writtenAt);
  });

  it('refuses with upload_too_large, asking for a shorter cut, when no watchable copy fits', async () => {
    const error = await fitTo(64 * 1024).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'upload_too_large' });
    expect((error as { userMessage: string }).userMessage).toMatch(/upload limit.*shorter cut/);
    expect(await store.stat(fittedRenderKey(render.key, 64 * 1024))).toBeUndefined();
  });
});
