/** @module Thread state in Redis: the versions of each thread, which threads the bot owns, and status message ids. */
import type { Redis } from 'ioredis';
import { CutroomError, ErrorCode } from '../errors.ts';
import { DEFAULT_PREFIX } from './queue-names.ts';
import { type ThreadRef, threadKey, type Version, type VersionStore } from './types.ts';

export interface ThreadStateOptions {
  redis: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
}

// Appends atomically so two workers never hand out the same number; numbers are never reused after an
// undo, so a render file named after its version is never overwritten.
const APPEND_SCRIPT = `
if ARGV[2] ~= '' then
  local existing = redis.call('HGET', KEYS[3], ARGV[2])
  if existing then return existing end
end
local n = redis.call('INCR', KEYS[2])
local json = '{"number":' .. n .. ',' .. string.sub(ARGV[1], 2)
redis.call('RPUSH', KEYS[1], json)
if ARGV[2] ~= '' then redis.call('HSET', KEYS[3], ARGV[2], json) end
return json
`;

const UNDO_SCRIPT = `
if ARGV[1] ~= '' then
  local done = redis.call('HGET', KEYS[2], ARGV[1])
  if done then return done end
end
if redis.call('LLEN', KEYS[1]) == 0 then return false end
redis.call('RPOP', KEYS[1])
local latest = redis.call('LINDEX', KEYS[1], -1) or ''
if ARGV[1] ~= '' then redis.call('HSET', KEYS[2], ARGV[1], latest) end
return latest
`;

/** The Redis-backed store behind the agent's version interface, keyed by platform + channel + thread. */
export class RedisVersionStore implements VersionStore {
  private readonly redis: Redis;
  private readonly prefix: string;

  constructor(options: ThreadStateOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
  }

  private key(thread: ThreadRef, part: string): string {
    return `${this.prefix}:thread:${threadKey(thread)}:${part}`;
  }

  async latest(thread: ThreadRef): Promise<Version | undefined> {
    const json = await this.redis.lindex(this.key(thread, 'versions'), -1);
    return json ? (JSON.parse(json) as Version) : undefined;
  }

  async list(thread: ThreadRef): Promise<Version[]> {
    const items = await this.redis.lrange(this.key(thread, 'versions'), 0, -1);
    return items.map((json) => JSON.parse(json) as Version);
  }

  async append(thread: ThreadRef, version: Omit<Version, 'number'>): Promise<Version> {
    const { number: _ignored, ...rest } = version as Version;
    const json = (await this.redis.eval(
      APPEND_SCRIPT,
      3,
      this.key(thread, 'versions'),
      this.key(thread, 'counter'),
      this.key(thread, 'by-request'),
      JSON.stringify(rest),
      version.requestId ?? '',
    )) as string;
    return JSON.parse(json) as Version;
  }

  /** @throws CutroomError nothing_to_undo when the thread has no version. */
  async undo(thread: ThreadRef, options: { requestId?: string } = {}): Promise<Version | undefined> {
    const result = (await this.redis.eval(
      UNDO_SCRIPT,
      2,
      this.key(thread, 'versions'),
      this.key(thread, 'undone'),
      options.requestId ?? '',
    )) as string | null;
    if (result === null) {
      throw new CutroomError(ErrorCode.NothingToUndo, `undo: thread ${threadKey(thread)} has no versions`, {
        userMessage: 'There is nothing to undo in this thread yet.',
      });
    }
    return result === '' ? undefined : (JSON.parse(result) as Version);
  }
}

export interface ThreadRegistryOptions extends ThreadStateOptions {
  /** How long an idle thread stays owned. @defaultValue 90 days */
  ownershipTtlMs?: number;
}

/** Which threads the bot started (bots ignore replies elsewhere) and where each request's status message is. */
export class ThreadRegistry {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ownershipTtlMs: number;

  constructor(options: ThreadRegistryOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.ownershipTtlMs = options.ownershipTtlMs ?? 90 * 24 * 3600 * 1000;
  }

  /** Marks the thread as the bot's; each new request in it extends the ownership. */
  async claim(thread: ThreadRef): Promise<void> {
    await this.redis.set(this.ownerKey(thread), String(Date.now()), 'PX', this.ownershipTtlMs);
  }

  async owns(thread: ThreadRef): Promise<boolean> {
    return (await this.redis.exists(this.ownerKey(thread))) === 1;
  }

  async release(thread: ThreadRef): Promise<void> {
    await this.redis.del(this.ownerKey(thread));
  }

  /** Remembers the platform message that shows a request's status, so later statuses edit it in place. */
  async setStatusMessage(requestId: string, messageId: string): Promise<void> {
    await this.redis.set(this.statusKey(requestId), messageId, 'EX', 7 * 24 * 3600);
  }

  async getStatusMessage(requestId: string): Promise<string | undefined> {
    return (await this.redis.get(this.statusKey(requestId))) ?? undefined;
  }

  private ownerKey(thread: ThreadRef): string {
    return `${this.prefix}:thread:${threadKey(thread)}:owned`;
  }

  private statusKey(requestId: string): string {
    return `${this.prefix}:status-message:${requestId}`;
  }
}
