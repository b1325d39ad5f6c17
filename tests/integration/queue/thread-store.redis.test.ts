// Redis-only suite: a thread's versions, clips, ownership, lock and lifetime are state in a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { RedisThreadStore } from '../../../src/queue/thread-store.ts';
import type { StoredAsset, ThreadRef, Version } from '../../../src/queue/types.ts';
import { uniquePrefix, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const thread: ThreadRef = { platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadId: 'T1' };
const draft = (prompt: string, extra: Partial<Version> = {}): Omit<Version, 'number'> => ({
  prompt,
  assets: [],
  script: [`composition.add(${JSON.stringify(prompt)})`],
  verdicts: [],
  createdAt: 1,
  ...extra,
});

const clip = (key: string): StoredAsset => ({
  key,
  name: `${key}.mp4`,
  mimeType: 'video/mp4',
  size: 10,
  kind: 'video',
  duration: 2.5,
  width: 320,
  height: 240,
  hasAudio: true,
});

describe('RedisThreadStore', () => {
  let redis: TestRedis;
  let connection: Redis;
  let store: RedisThreadStore;
  let prefix: string;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
    store = new RedisThreadStore({ redis: connection, prefix });
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('numbers versions per thread and keeps the full script and empty lists intact', async () => {
    const v1 = await store.append(thread, draft('first'));
    const v2 = await store.append(thread, draft('second'));
    const other = await store.append({ ...thread, threadId: 'T2' }, draft('elsewhere'));
    expect([v1.number, v2.number, other.number]).toEqual([1, 2, 1]);
    expect(await store.latest(thread)).toEqual(v2);
    expect((await store.list(thread)).map((v) => v.prompt)).toEqual(['first', 'second']);
    expect(v2.assets).toEqual([]);
    expect(v2.script).toEqual(['composition.add("second")']);
  });

  it('keeps one version when the same request appends twice', async () => {
    const a = await store.append(thread, draft('retry me', { requestId: 'discord:1' }));
    const b = await store.append(thread, draft('retry me again', { requestId: 'discord:1' }));
    expect(b).toEqual(a);
    expect(await store.list(thread)).toHaveLength(1);
  });

  it('undo makes the previous version current, keeps the undone one, and never reuses its number', async () => {
    await store.append(thread, draft('one'));
    await store.append(thread, draft('two'));
    expect(await store.move(thread, { kind: 'undo' })).toMatchObject({
      moved: true,
      version: { prompt: 'one' },
    });
    expect((await store.latest(thread))?.prompt).toBe('one');
    expect((await store.list(thread)).map((v) => v.prompt)).toEqual(['one', 'two']);
    expect((await store.append(thread, draft('three'))).number).toBe(3);
  });

  it('undoes once per request, however often the request runs', async () => {
    await store.append(thread, draft('one'));
    await store.append(thread, draft('two'));
    await store.append(thread, draft('three'));
    const first = await store.move(thread, { kind: 'undo' }, { requestId: 'u1' });
    const again = await store.move(thread, { kind: 'undo' }, { requestId: 'u1' });
    expect(again).toEqual(first);
    expect((await store.latest(thread))?.prompt).toBe('two');
  });

  it('redoes what was undone, until a new version makes nothing redoable', async () => {
    await store.append(thread, draft('one'));
    await store.append(thread, draft('two'));
    await store.move(thread, { kind: 'undo' });
    expect(await store.move(thread, { kind: 'redo' })).toMatchObject({ version: { number: 2 } });
    expect(await store.move(thread, { kind: 'redo' })).toEqual({ moved: false, reason: 'nothing_to_redo' });
    await store.move(thread, { kind: 'undo' });
    await store.append(thread, draft('three'));
    expect(await store.move(thread, { kind: 'redo' })).toEqual({ moved: false, reason: 'nothing_to_redo' });
  });

  it('goes back to any version by number, and undo then returns to where the thread was', async () => {
    for (const prompt of ['one', 'two', 'three']) await store.append(thread, draft(prompt));
    expect(await store.move(thread, { kind: 'goto', number: 1 })).toMatchObject({
      version: { prompt: 'one' },
    });
    expect((await store.latest(thread))?.number).toBe(1);
    expect(await store.move(thread, { kind: 'undo' })).toMatchObject({ version: { number: 3 } });
    expect(await store.move(thread, { kind: 'goto', number: 9 })).toEqual({
      moved: false,
      reason: 'no_such_version',
    });
  });

  it('refuses to move in a thread without versions, or before its first', async () => {
    expect(await store.move(thread, { kind: 'undo' })).toEqual({ moved: false, reason: 'no_versions' });
    await store.append(thread, draft('one'));
    expect(await store.move(thread, { kind: 'undo' })).toEqual({ moved: false, reason: 'nothing_before' });
  });

  it('remembers who started the thread and who sent each request', async () => {
    await store.claim(thread, 'r1', 'U1');
    await store.claim(thread, 'r2', 'U2');
    expect(await store.starter(thread)).toBe('U1');
    expect(await store.requester(thread, 'r2')).toBe('U2');
  });

  it('keeps the thread’s clips in upload order, each once, apart from its versions', async () => {
    expect(await store.clips(thread)).toEqual([]);
    await store.addClips(thread, [clip('a'), clip('b')]);
    const all = await store.addClips(thread, [clip('b'), clip('c')]);
    expect(all).toEqual([clip('a'), clip('b'), clip('c')]);
    expect(await store.clips(thread)).toEqual(all);
    expect(await store.list(thread)).toEqual([]);
    expect(await store.clips({ ...thread, threadId: 'T2' })).toEqual([]);
  });

  it('replaces a clip in place with what was learnt of it, and adds new ones after', async () => {
    await store.addClips(thread, [clip('a'), clip('b')]);
    const playable = { key: 'converted/a.mp4', name: 'a.mp4', mimeType: 'video/mp4', size: 5 };
    const all = await store.replaceClips(thread, [{ ...clip('a'), playable }, clip('c')]);
    expect(all.map((c) => [c.key, c.playable?.key])).toEqual([
      ['a', 'converted/a.mp4'],
      ['b', undefined],
      ['c', undefined],
    ]);
    expect(await store.addClips(thread, [clip('a')])).toEqual(all);
  });

  it('remembers which threads the bot owns and each thread’s latest request', async () => {
    expect(await store.owns(thread)).toBe(false);
    expect(await store.latestRequest(thread)).toBeUndefined();
    await store.claim(thread, 'discord:1', 'U1');
    await store.claim(thread, 'discord:2', 'U1');
    expect(await store.owns(thread)).toBe(true);
    expect(await store.latestRequest(thread)).toBe('discord:2');
    expect(await store.owns({ ...thread, threadId: 'T9' })).toBe(false);
  });

  it('remembers where each version was posted', async () => {
    await store.setVersionLink(thread, 1, 'https://chat.example/1');
    await store.setVersionLink(thread, 2, 'https://chat.example/2');
    expect(await store.versionLinks(thread)).toEqual(
      new Map([
        [1, 'https://chat.example/1'],
        [2, 'https://chat.example/2'],
      ]),
    );
  });

  it('keeps the agent’s pending question until it is answered', async () => {
    const question = { requestId: 'discord:2', conversation: { asked: 'Which title?' } };
    await store.setPendingQuestion(thread, question);
    expect(await store.pendingQuestion(thread)).toEqual(question);
    await store.setPendingQuestion(thread, undefined);
    expect(await store.pendingQuestion(thread)).toBeUndefined();
  });

  it('sees each event id once', async () => {
    expect(await store.firstSighting('discord:42')).toBe(true);
    expect(await store.firstSighting('discord:42')).toBe(false);
    expect(await store.firstSighting('discord:43')).toBe(true);
  });

  it('gives the run lock to one holder at a time, and again to the same holder', async () => {
    expect(await store.acquireLock(thread, 'job-a', 10_000)).toBe(true);
    expect(await store.acquireLock(thread, 'job-b', 10_000)).toBe(false);
    expect(await store.acquireLock(thread, 'job-a', 10_000)).toBe(true);
    await store.releaseLock(thread, 'job-b');
    expect(await store.acquireLock(thread, 'job-b', 10_000)).toBe(false);
    await store.releaseLock(thread, 'job-a');
    expect(await store.acquireLock(thread, 'job-b', 10_000)).toBe(true);
  });

  it('uses the thread’s upload limit, else its workspace’s', async () => {
    expect(await store.uploadLimit(thread)).toBeUndefined();
    await store.rememberUploadLimit(thread, 25_000_000);
    expect(await store.uploadLimit(thread)).toBe(25_000_000);
    expect(await store.uploadLimit({ ...thread, threadId: 'T2' })).toBe(25_000_000);
    expect(await store.uploadLimit({ ...thread, workspaceId: 'G2', threadId: 'T3' })).toBeUndefined();
  });

  it('lets a thread’s versions, clips, question, ownership and artifacts expire together after its last activity', async () => {
    const short = new RedisThreadStore({ redis: connection, prefix, lifetimeMs: 1500 });
    await short.claim(thread, 'discord:1', 'U1');
    await short.addClips(thread, [clip('a')]);
    await short.append(thread, draft('one'));
    await short.setPendingQuestion(thread, {
      requestId: 'discord:2',
      conversation: { asked: 'Which title?' },
    });
    const { versions, counter, clips, owner, latestRequest, artifactsLive, question } =
      short.keys.thread(thread);
    const ttls = await Promise.all(
      [versions, counter, clips, owner, latestRequest, artifactsLive, question].map((key) =>
        connection.pttl(key),
      ),
    );
    for (const ttl of ttls) expect(ttl).toBeGreaterThan(0);
    expect(Math.max(...ttls) - Math.min(...ttls)).toBeLessThan(200);

    await waitUntil(async () => !(await short.owns(thread)), { what: 'the thread to expire' });
    expect(await short.list(thread)).toEqual([]);
    expect(await short.clips(thread)).toEqual([]);
    expect(await short.latestRequest(thread)).toBeUndefined();
    expect(await short.pendingQuestion(thread)).toBeUndefined();
    expect(await short.expired(thread)).toBe(true);
    expect(await short.expired({ ...thread, threadId: 'never-seen' })).toBe(false);
  });

  it('refreshes the whole thread’s lifetime on activity', async () => {
    const short = new RedisThreadStore({ redis: connection, prefix, lifetimeMs: 60_000 });
    await short.append(thread, draft('one'));
    await connection.pexpire(short.keys.thread(thread).versions, 500);
    await short.addClips(thread, [clip('a')]);
    expect(await connection.pttl(short.keys.thread(thread).versions)).toBeGreaterThan(30_000);
  });

  it('keeps a thread for ever when the lifetime is 0', async () => {
    const forever = new RedisThreadStore({ redis: connection, prefix, lifetimeMs: 0 });
    await forever.claim(thread, 'discord:1', 'U1');
    await forever.append(thread, draft('one'));
    expect(await connection.pttl(forever.keys.thread(thread).versions)).toBe(-1);
    expect(await connection.pttl(forever.keys.thread(thread).owner)).toBe(-1);
  });
});
