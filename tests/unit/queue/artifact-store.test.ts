import { mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactStore,
  artifactScopeOf,
  fittedRenderKey,
  previewKey,
  renderKey,
  safeFileName,
  uploadKey,
} from '../../../src/queue/artifact-store.ts';

describe('ArtifactStore', () => {
  let root: string;
  let store: ArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'cutroom-artifacts-'));
    store = new ArtifactStore({ root });
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('streams a file in chunk by chunk and reads it back', async () => {
    const chunks = Array.from({ length: 64 }, (_, i) => Buffer.alloc(16 * 1024, i));
    const ref = await store.write('uploads/r1/0-clip.mp4', Readable.from(chunks), {
      name: 'clip.mp4',
      mimeType: 'video/mp4',
    });
    expect(ref).toEqual({
      key: 'uploads/r1/0-clip.mp4',
      name: 'clip.mp4',
      mimeType: 'video/mp4',
      size: 64 * 16 * 1024,
    });
    const back = await readFile(store.pathFor(ref.key));
    expect(back.equals(Buffer.concat(chunks))).toBe(true);
    expect((await store.stat(ref.key))?.size).toBe(ref.size);
  });

  it('writes buffers as well as streams', async () => {
    await store.write('previews/p/sheet.txt', Buffer.from('contact sheet'), {
      name: 'sheet.txt',
      mimeType: 'text/plain',
    });
    expect(await readFile(store.pathFor('previews/p/sheet.txt'), 'utf8')).toBe('contact sheet');
  });

  it.each(['../escape', 'uploads/../../etc/passwd', '/abs/path', 'a//b', '.hidden', 'uploads/x\\..\\y', ''])(
    'refuses the key %j that could leave the store',
    (key) => {
      expect(() => store.pathFor(key)).toThrow(TypeError);
    },
  );

  it('stops an upload over the size limit with asset_too_large and leaves no file behind', async () => {
    const big = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    await expect(
      store.write('uploads/r2/0-big.mp4', big, { name: 'big.mp4', mimeType: 'video/mp4', maxBytes: 1000 }),
    ).rejects.toMatchObject({ code: 'asset_too_large' });
    expect(await readdir(path.join(root, 'uploads', 'r2'))).toEqual([]);
    expect(await store.stat('uploads/r2/0-big.mp4')).toBeUndefined();
  });

  const DAY_MS = 24 * 3600 * 1000;
  const thread = { platform: 'slack', channelId: 'C', threadId: '1.2' } as const;
  const write = (key: string) => store.write(key, Buffer.from('x'), { name: 'x', mimeType: 'video/mp4' });
  const age = (key: string, days: number) => {
    const then = new Date(Date.now() - days * DAY_MS);
    return utimes(store.pathFor(key), then, then);
  };

  it('sweeps a thread’s files together once its state has expired and they are old', async () => {
    const clip = uploadKey(thread, 'slack:Ev1', 0, 'a.mp4');
    const render = renderKey(thread, 'slack:Ev1');
    await write(clip);
    await write(render);
    await age(clip, 10);
    await age(render, 10);

    expect(await store.sweep({ olderThanMs: 7 * DAY_MS, isLive: async () => true })).toBe(0);
    expect(await store.sweep({ olderThanMs: 7 * DAY_MS, isLive: async () => false })).toBe(2);
    expect(await readdir(path.join(root, 'threads'))).toEqual([]);
  });

  it('keeps an expired thread’s folder while anything in it is recent (a request being taken in)', async () => {
    const old = uploadKey(thread, 'slack:Ev1', 0, 'a.mp4');
    await write(old);
    await age(old, 10);
    await write(uploadKey(thread, 'slack:Ev2', 0, 'b.mp4'));
    expect(await store.sweep({ olderThanMs: 7 * DAY_MS, isLive: async () => false })).toBe(0);
    expect(await store.stat(old)).toBeDefined();
  });

  it('sweeps files outside thread folders one by one by age', async () => {
    await write('renders/t/v1.mp4');
    await write('renders/t/v2.mp4');
    await write('uploads/old/0-a.mp4');
    await age('renders/t/v1.mp4', 10);
    await age('uploads/old/0-a.mp4', 10);

    expect(await store.sweep({ olderThanMs: 7 * DAY_MS, isLive: async () => true })).toBe(2);
    expect(await store.stat('renders/t/v1.mp4')).toBeUndefined();
    expect(await store.stat('renders/t/v2.mp4')).toBeDefined();
    expect(await readdir(root)).toEqual(['renders']);
  });

  it('builds keys that are always valid, whatever the user named the file', () => {
    for (const name of ['../../etc/passwd', 'my clip (final).MOV', '.env', 'ünïcødé.mp4', '']) {
      expect(() => store.pathFor(uploadKey(thread, 'slack:Ev1', 0, name))).not.toThrow();
    }
    expect(safeFileName('my clip (final).MOV')).toBe('my_clip_final_.MOV');
    expect(renderKey(thread, 'slack:Ev1')).toMatch(/^threads\/[0-9a-f]{24}\/renders\/[0-9a-f]{24}\.mp4$/);
  });

  it('keeps every artifact of a thread under one folder, and fitted copies beside their render', () => {
    const scope = `threads/${artifactScopeOf(thread)}/`;
    const render = renderKey(thread, 'slack:Ev1');
    for (const key of [uploadKey(thread, 'r', 0, 'a.mp4'), previewKey(thread, 'r', 'p.jpg'), render]) {
      expect(key.startsWith(scope)).toBe(true);
    }
    expect(fittedRenderKey(render, 1000)).toBe(render.replace(/\.mp4$/, '-fit-1000.mp4'));
  });
});
