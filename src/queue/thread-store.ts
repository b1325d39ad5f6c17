/**
 * @module A thread's state in Redis: versions, clips, ownership, the latest request, the upload limit, the
 * per-thread run lock and event dedupe, all under one lifetime policy.
 */
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX, RedisKeys, type ThreadKeys } from './redis-keys.ts';
import type {
  MoveResult,
  PendingQuestion,
  StoredAsset,
  ThreadRef,
  ThreadState,
  Version,
  VersionMove,
} from './types.ts';

export interface RedisThreadStoreOptions {
  redis: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /**
   * How long a thread lives after its last activity: its versions, clips, ownership and (through
   * the artifact sweeper) its files expire together. 0 keeps threads for ever.
   * @defaultValue 30 days (CUTROOM_RETENTION_DAYS)
   */
  lifetimeMs?: number;
  /** How long a platform event id is remembered as handled. @defaultValue 24 h (platforms retry within minutes) */
  eventDedupeMs?: number;
  /**
   * How long after its last activity an expired thread is still recognised, so a reply there is told its clips
   * expired instead of being ignored. @defaultValue 365 days
   */
  tombstoneMs?: number;
}

// The order of a thread's keys in every script below; `touch` refreshes all of them together.
const THREAD_KEY_ORDER = [
  'versions',
  'counter',
  'byRequest',
  'undone',
  'clips',
  'owner',
  'latestRequest',
  'uploadLimit',
  'artifactsLive',
  'question',
  'trail',
  'redo',
  'starter',
  'requesters',
  'links',
] as const satisfies readonly (keyof ThreadKeys)[];

// ARGV[1] is the lifetime in ms ('0': keep). Every script that writes thread state ends in touch(),
// so a write and the refresh of the whole thread's lifetime are one atomic step.
const TOUCH = `
local function touch()
  local ttl = tonumber(ARGV[1])
  redis.call('SET', KEYS[9], '1')
  for i = 1, #KEYS do
    if ttl > 0 then redis.call('PEXPIRE', KEYS[i], ttl) else redis.call('PERSIST', KEYS[i]) end
  end
end
`;

// The versions list keeps every version ever made; the trail (KEYS[11]) says which is current. A thread from
// before trails existed gets one on its first write: every version in order, the last current.
const VERSIONS = `
local function seedTrail()
  if redis.call('LLEN', KEYS[11]) > 0 then return end
  for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    redis.call('RPUSH', KEYS[11], cjson.decode(item).number)
  end
end
local function versionNumbered(n)
  for _, item in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
    if cjson.decode(item).number == n then return item end
  end
  return nil
end
`;

// Appends atomically so two workers never hand out the same number; numbers are never reused, so a render named
// after its request is never overwritten. The new version becomes current and nothing is left to redo.
const APPEND_SCRIPT = `${TOUCH}${VERSIONS}
if ARGV[3] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[3])
  if existing then touch() return existing end
end
seedTrail()
local n = redis.call('INCR', KEYS[2])
local json = '{"number":' .. n .. ',' .. string.sub(ARGV[2], 2)
redis.call('RPUSH', KEYS[1], json)
redis.call('RPUSH', KEYS[11], n)
redis.call('DEL', KEYS[12])
if ARGV[3] ~= '' then redis.call('HSET', KEYS[3], ARGV[3], json) end
touch()
return json
`;

// ARGV[2]: request id ('' for none), ARGV[3]: undo | redo | goto, ARGV[4]: goto's number. Returns
// { 'ok', version JSON } or { reason }. A request's answer is kept (KEYS[4]), so its retry moves nothing more.
const MOVE_SCRIPT = `${TOUCH}${VERSIONS}
if ARGV[2] ~= '' then
  local done = redis.call('HGET', KEYS[4], ARGV[2])
  if done then return { 'ok', done } end
end
if redis.call('LLEN', KEYS[1]) == 0 then return { 'no_versions' } end
seedTrail()
local target
if ARGV[3] == 'undo' then
  if redis.call('LLEN', KEYS[11]) < 2 then return { 'nothing_before' } end
  redis.call('RPUSH', KEYS[12], redis.call('RPOP', KEYS[11]))
  target = tonumber(redis.call('LINDEX', KEYS[11], -1))
elseif ARGV[3] == 'redo' then
  local undone = redis.call('RPOP', KEYS[12])
  if not undone then return { 'nothing_to_redo' } end
  redis.call('RPUSH', KEYS[11], undone)
  target = tonumber(undone)
else
  target = tonumber(ARGV[4])
  if not versionNumbered(target) then return { 'no_such_version' } end
  if tonumber(redis.call('LINDEX', KEYS[11], -1)) ~= target then
    redis.call('RPUSH', KEYS[11], target)
    redis.call('DEL', KEYS[12])
  end
end
local json = versionNumbered(target)
if ARGV[2] ~= '' then redis.call('HSET', KEYS[4], ARGV[2], json) end
touch()
return { 'ok', json }
`;

// ARGV[2]: 'replace' also rewrites clips already there (same key), in place; else those are left as they are.
const SAVE_CLIPS_SCRIPT = `${TOUCH}
local at = {}
local count = 0
for i, item in ipairs(redis.call('LRANGE', KEYS[5], 0, -1)) do
  at[cjson.decode(item).key] = i
  count = i
end
for i = 3, #ARGV do
  local key = cjson.decode(ARGV[i]).key
  if at[key] == nil then
    redis.call('RPUSH', KEYS[5], ARGV[i])
    count = count + 1
    at[key] = count
  elseif ARGV[2] == 'replace' then
    redis.call('LSET', KEYS[5], at[key] - 1, ARGV[i])
  end
end
touch()
return redis.call('LRANGE', KEYS[5], 0, -1)
`;

// ARGV[4]: the requester, who becomes the thread's starter when it has none.
const CLAIM_SCRIPT = `${TOUCH}
redis.call('SET', KEYS[6], ARGV[2])
redis.call('SET', KEYS[7], ARGV[3])
redis.call('SETNX', KEYS[13], ARGV[4])
redis.call('HSET', KEYS[14], ARGV[3], ARGV[4])
touch()
return 1
`;

// ARGV[2]: the question's JSON, or '' to forget it.
const SET_QUESTION_SCRIPT = `${TOUCH}
if ARGV[2] == '' then redis.call('DEL', KEYS[10]) else redis.call('SET', KEYS[10], ARGV[2]) end
touch()
return 1
`;

// KEYS[15] is links (THREAD_KEY_ORDER); ARGV[2] the version number, ARGV[3] the link.
const SET_LINK_SCRIPT = `${TOUCH}
redis.call('HSET', KEYS[15], ARGV[2], ARGV[3])
touch()
return 1
`;

const SET_UPLOAD_LIMIT_SCRIPT = `${TOUCH}
redis.call('SET', KEYS[8], ARGV[2])
touch()
return 1
`;

const RENEW_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

const DAY_MS = 24 * 3600 * 1000;

/**
 * The one owner of thread state in Redis. Each write refreshes the lifetime of every key of the
 * thread, so nothing of a thread outlives the rest, and the artifact sweeper deletes the thread's
 * files by the same rule (`hasLiveArtifacts`).
 */
export class RedisThreadStore implements ThreadState {
  readonly keys: RedisKeys;
  readonly lifetimeMs: number;
  private readonly redis: Redis;
  private readonly eventDedupeMs: number;
  private readonly tombstoneMs: number;

  constructor(options: RedisThreadStoreOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.lifetimeMs = options.lifetimeMs ?? 30 * DAY_MS;
    this.eventDedupeMs = options.eventDedupeMs ?? DAY_MS;
    this.tombstoneMs = options.tombstoneMs ?? 365 * DAY_MS;
    for (const [name, value] of [
      ['lifetimeMs', this.lifetimeMs],
      ['eventDedupeMs', this.eventDedupeMs],
      ['tombstoneMs', this.tombstoneMs],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new TypeError(`RedisThreadStoreOptions.${name} must be a non-negative integer, got ${value}`);
      }
    }
  }

  async latest(thread: ThreadRef): Promise<Version | undefined> {
    const keys = this.keys.thread(thread);
    const [current, versions] = await Promise.all([this.redis.lindex(keys.trail, -1), this.list(thread)]);
    if (current === null) return versions.at(-1);
    return versions.find((v) => v.number === Number(current));
  }

  /** Version `number` of the thread, whether current or not. */
  async version(thread: ThreadRef, number: number): Promise<Version | undefined> {
    return (await this.list(thread)).find((v) => v.number === number);
  }

  async list(thread: ThreadRef): Promise<Version[]> {
    const items = await this.redis.lrange(this.keys.thread(thread).versions, 0, -1);
    return items.map((json) => JSON.parse(json) as Version);
  }

  async append(thread: ThreadRef, version: Omit<Version, 'number'>): Promise<Version> {
    const { number: _ignored, ...rest } = version as Version;
    const json = await this.run<string>(APPEND_SCRIPT, thread, JSON.stringify(rest), version.requestId ?? '');
    return JSON.parse(json) as Version;
  }

  async move(
    thread: ThreadRef,
    move: VersionMove,
    options: { requestId?: string } = {},
  ): Promise<MoveResult> {
    const [status, json] = await this.run<[string, string?]>(
      MOVE_SCRIPT,
      thread,
      options.requestId ?? '',
      move.kind,
      move.kind === 'goto' ? String(move.number) : '',
    );
    if (status === 'ok' && json) return { moved: true, version: JSON.parse(json) as Version };
    return { moved: false, reason: status as Extract<MoveResult, { moved: false }>['reason'] };
  }

  async clips(thread: ThreadRef): Promise<StoredAsset[]> {
    const items = await this.redis.lrange(this.keys.thread(thread).clips, 0, -1);
    return items.map((json) => JSON.parse(json) as StoredAsset);
  }

  async addClips(thread: ThreadRef, clips: StoredAsset[]): Promise<StoredAsset[]> {
    return this.saveClipsWith('add', thread, clips);
  }

  async replaceClips(thread: ThreadRef, clips: StoredAsset[]): Promise<StoredAsset[]> {
    return this.saveClipsWith('replace', thread, clips);
  }

  private async saveClipsWith(
    mode: 'add' | 'replace',
    thread: ThreadRef,
    clips: StoredAsset[],
  ): Promise<StoredAsset[]> {
    const items = await this.run<string[]>(
      SAVE_CLIPS_SCRIPT,
      thread,
      mode,
      ...clips.map((clip) => JSON.stringify(clip)),
    );
    return items.map((json) => JSON.parse(json) as StoredAsset);
  }

  /** Remembers where a version's render was posted, for the `versions` list. */
  async setVersionLink(thread: ThreadRef, version: number, link: string): Promise<void> {
    await this.run(SET_LINK_SCRIPT, thread, String(version), link);
  }

  /** Version number → link to the message its render was posted in, for the versions posted so far. */
  async versionLinks(thread: ThreadRef): Promise<Map<number, string>> {
    const links = await this.redis.hgetall(this.keys.thread(thread).links);
    return new Map(Object.entries(links).map(([version, link]) => [Number(version), link]));
  }

  async pendingQuestion(thread: ThreadRef): Promise<PendingQuestion | undefined> {
    const json = await this.redis.get(this.keys.thread(thread).question);
    return json ? (JSON.parse(json) as PendingQuestion) : undefined;
  }

  async setPendingQuestion(thread: ThreadRef, question: PendingQuestion | undefined): Promise<void> {
    await this.run(SET_QUESTION_SCRIPT, thread, question ? JSON.stringify(question) : '');
  }

  /**
   * Marks the thread as the bot's and `requestId` (sent by `userId`) as its latest request (what `cancel` stops);
   * the first requester becomes the thread's starter. Remembers the thread well past its lifetime, so a reply
   * after it expired is told so (`expired`).
   */
  async claim(thread: ThreadRef, requestId: string, userId: string): Promise<void> {
    await this.run(CLAIM_SCRIPT, thread, String(Date.now()), requestId, userId);
    if (this.lifetimeMs > 0) {
      await this.redis.set(
        this.keys.threadTombstone(thread),
        '1',
        'PX',
        Math.max(this.tombstoneMs, this.lifetimeMs),
      );
    }
  }

  /** Whether the bot once took part in the thread whose state has since expired. */
  async expired(thread: ThreadRef): Promise<boolean> {
    const keys = this.keys.thread(thread);
    const [gone, owned] = await Promise.all([
      this.redis.exists(this.keys.threadTombstone(thread)),
      this.redis.exists(keys.owner),
    ]);
    return gone === 1 && owned === 0;
  }

  /** Who started the thread (its first request), if known. */
  async starter(thread: ThreadRef): Promise<string | undefined> {
    return (await this.redis.get(this.keys.thread(thread).starter)) ?? undefined;
  }

  /** Who sent the thread's request `requestId`, if known. */
  async requester(thread: ThreadRef, requestId: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys.thread(thread).requesters, requestId)) ?? undefined;
  }

  /** Whether the bot takes part in the thread (replies elsewhere are ignored). */
  async owns(thread: ThreadRef): Promise<boolean> {
    return (await this.redis.exists(this.keys.thread(thread).owner)) === 1;
  }

  async latestRequest(thread: ThreadRef): Promise<string | undefined> {
    return (await this.redis.get(this.keys.thread(thread).latestRequest)) ?? undefined;
  }

  /**
   * Remembers the largest upload the platform accepts in the thread and its workspace (Discord
   * reports it only on interactions; replies and mentions then use the remembered value).
   */
  async rememberUploadLimit(thread: ThreadRef, bytes: number): Promise<void> {
    await this.run(SET_UPLOAD_LIMIT_SCRIPT, thread, String(bytes));
    if (thread.workspaceId) {
      const key = this.keys.workspaceUploadLimit(thread.platform, thread.workspaceId);
      if (this.lifetimeMs > 0) await this.redis.set(key, String(bytes), 'PX', this.lifetimeMs);
      else await this.redis.set(key, String(bytes));
    }
  }

  /** The thread's upload limit, else its workspace's, else undefined. */
  async uploadLimit(thread: ThreadRef): Promise<number | undefined> {
    const keys = [this.keys.thread(thread).uploadLimit];
    if (thread.workspaceId) keys.push(this.keys.workspaceUploadLimit(thread.platform, thread.workspaceId));
    const values = await this.redis.mget(...keys);
    const value = Number(values.find((v) => v !== null));
    return Number.isFinite(value) && value > 0 ? value : undefined;
  }

  /** Whether the thread whose artifacts live under `threads/<scope>` is still alive (for the sweeper). */
  async hasLiveArtifacts(scope: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.artifactsLive(scope))) === 1;
  }

  /**
   * Takes the thread's run lock for `holder` (a job id), or confirms `holder` already has it (a
   * recovered job). One request runs per thread at a time: each builds on the version before it.
   */
  async acquireLock(thread: ThreadRef, holder: string, ttlMs: number): Promise<boolean> {
    const key = this.keys.threadLock(thread);
    if ((await this.redis.set(key, holder, 'PX', ttlMs, 'NX')) === 'OK') return true;
    return (await this.redis.get(key)) === holder;
  }

  async renewLock(thread: ThreadRef, holder: string, ttlMs: number): Promise<void> {
    await this.redis.eval(RENEW_LOCK, 1, this.keys.threadLock(thread), holder, ttlMs);
  }

  async releaseLock(thread: ThreadRef, holder: string): Promise<void> {
    await this.redis.eval(RELEASE_LOCK, 1, this.keys.threadLock(thread), holder);
  }

  /** true the first time an event id is seen; platforms retry events, and a retry must do nothing. */
  async firstSighting(eventId: string): Promise<boolean> {
    const key = this.keys.eventSeen(eventId);
    return (await this.redis.set(key, '1', 'PX', this.eventDedupeMs, 'NX')) === 'OK';
  }

  private async run<T>(script: string, thread: ThreadRef, ...args: string[]): Promise<T> {
    const keys = this.keys.thread(thread);
    return (await this.redis.eval(
      script,
      THREAD_KEY_ORDER.length,
      ...THREAD_KEY_ORDER.map((name) => keys[name]),
      String(this.lifetimeMs),
      ...args,
    )) as T;
  }
}
