import { mkdtemp, readdir, readFile, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactStore, renderKey, safeFileName, uploadKey } from '../../../src/queue/artifact-store.ts';

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

  it('writes buffers and reads them as streams', async () => {
    await store.write('previews/p/sheet.txt', Buffer.from('contact sheet'), {
      name: 'sheet.txt',
      mimeType: 'text/plain',
    });
    expect(await text(store.createReadStream('previews/p/sheet.txt'))).toBe('contact sheet');
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

  it('sweeps files older than the retention and keeps newer ones', async () => {
    await store.write('renders/t/v1.mp4', Buffer.from('old'), { name: 'v1.mp4', mimeType: 'video/mp4' });
    await store.write('renders/t/v2.mp4', Buffer.from('new'), { name: 'v2.mp4', mimeType: 'video/mp4' });
    await store.write('uploads/old/0-a.mp4', Buffer.from('old'), { name: 'a.mp4', mimeType: 'video/mp4' });
    const tenDaysAgo = new Date(Date.now() - 10 * 24 * 3600 * 1000);
    await utimes(store.pathFor('renders/t/v1.mp4'), tenDaysAgo, tenDaysAgo);
    await utimes(store.pathFor('uploads/old/0-a.mp4'), tenDaysAgo, tenDaysAgo);

    expect(await store.sweep({ olderThanMs: 7 * 24 * 3600 * 1000 })).toBe(2);
    expect(await store.stat('renders/t/v1.mp4')).toBeUndefined();
    expect(await store.stat('renders/t/v2.mp4')).toBeDefined();
    expect(await readdir(root)).toEqual(['renders']);
  });

  it('builds keys that are always valid, whatever the user named the file', () => {
    for (const name of ['../../etc/passwd', 'my clip (final).MOV', '.env', 'ünïcødé.mp4', '']) {
      expect(() => store.pathFor(uploadKey('slack:Ev1', 0, name))).not.toThrow();
    }
    expect(safeFileName('my clip (final).MOV')).toBe('my_clip_final_.MOV');
    expect(renderKey({ platform: 'slack', channelId: 'C', threadId: '1.2' }, 3)).toMatch(
      /^renders\/[0-9a-f]{24}\/v3\.mp4$/,
    );
  });
});
