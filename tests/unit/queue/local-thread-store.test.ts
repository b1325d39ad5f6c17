import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalThreadStore } from '../../../src/queue/local-thread-store.ts';
import type { StoredAsset, ThreadRef, Version } from '../../../src/queue/types.ts';

const thread: ThreadRef = { platform: 'cli', channelId: 'local', threadId: 'default' };
const other: ThreadRef = { platform: 'slack', channelId: 'C1', threadId: '123.456' };

function draft(prompt: string): Omit<Version, 'number'> {
  return { prompt, assets: [], script: [`// ${prompt}`], verdicts: [], createdAt: Date.now() };
}

describe('LocalThreadStore', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'cutroom-versions-'));
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('numbers versions from 1 and lists them in order, per thread', async () => {
    const store = new LocalThreadStore(root);
    expect(await store.latest(thread)).toBeUndefined();
    await store.append(thread, draft('a'));
    const second = await store.append(thread, draft('b'));
    await store.append(other, draft('elsewhere'));
    expect(second.number).toBe(2);
    expect((await store.list(thread)).map((v) => v.prompt)).toEqual(['a', 'b']);
    expect((await store.latest(other))?.number).toBe(1);
  });

  it('undo makes the previous version current and keeps the undone one, whose number is not reused', async () => {
    const store = new LocalThreadStore(root);
    await store.append(thread, draft('a'));
    await store.append(thread, draft('b'));
    expect(await store.move(thread, { kind: 'undo' })).toMatchObject({ version: { prompt: 'a' } });
    expect((await store.latest(thread))?.prompt).toBe('a');
    expect(await store.list(thread)).toHaveLength(2);
    const again = await store.append(thread, draft('c'));
    expect(again.number).toBe(3);
    expect(await store.move(thread, { kind: 'undo' })).toMatchObject({ version: { prompt: 'a' } });
    expect(await store.move(thread, { kind: 'undo' })).toEqual({ moved: false, reason: 'nothing_before' });
  });

  it('redoes, goes back by number, and answers a repeated request the same', async () => {
    const store = new LocalThreadStore(root);
    for (const prompt of ['a', 'b', 'c']) await store.append(thread, draft(prompt));
    await store.move(thread, { kind: 'undo' });
    expect(await store.move(thread, { kind: 'redo' })).toMatchObject({ version: { number: 3 } });
    expect(await store.move(thread, { kind: 'goto', number: 1 }, { requestId: 'g' })).toMatchObject({
      version: { number: 1 },
    });
    expect(await store.move(thread, { kind: 'goto', number: 1 }, { requestId: 'g' })).toMatchObject({
      version: { number: 1 },
    });
    expect(await store.move(thread, { kind: 'redo' })).toEqual({ moved: false, reason: 'nothing_to_redo' });
  });

  it('leaves no temporary files after writes', async () => {
    const store = new LocalThreadStore(root);
    await Promise.all([store.append(thread, draft('x'))]);
    const files = await readdir(store.threadDir(thread));
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('keeps the thread’s clips in upload order, each once', async () => {
    const store = new LocalThreadStore(root);
    const clip = (key: string): StoredAsset => ({
      key,
      name: `${key}.mp4`,
      mimeType: 'video/mp4',
      size: 1,
      kind: 'video',
      duration: 1,
      width: 2,
      height: 2,
      hasAudio: false,
    });
    expect(await store.clips(thread)).toEqual([]);
    await store.addClips(thread, [clip('a'), clip('b')]);
    const all = await store.addClips(thread, [clip('b'), clip('c')]);
    expect(all.map((c) => c.key)).toEqual(['a', 'b', 'c']);
    expect(await store.clips(thread)).toEqual(all);
    expect(await store.clips(other)).toEqual([]);
    const playable = { key: 'converted/b.mp4', name: 'b.mp4', mimeType: 'video/mp4', size: 1 };
    const replaced = await store.replaceClips(thread, [{ ...clip('b'), playable }]);
    expect(replaced.map((c) => c.playable?.key)).toEqual([undefined, 'converted/b.mp4', undefined]);
  });
});
