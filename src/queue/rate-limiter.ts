/** @module Per-user and per-channel sliding-window rate limits in Redis, refusing with a clear message. */
import type { Redis } from 'ioredis';
import { CutroomError, ErrorCode } from '../errors.ts';
import { DEFAULT_PREFIX, RedisKeys } from './redis-keys.ts';
import type { ThreadRef } from './types.ts';

export interface RateLimiterOptions {
  redis: Redis;
  /** Requests one user may make per window; 0 turns the limit off. */
  userLimit: number;
  /** Requests one channel may make per window; 0 turns the limit off. */
  channelLimit: number;
  /** @defaultValue 3600000 (one hour) */
  windowMs?: number;
  /** @defaultValue 'cutroom' */
  prefix?: string;
}

export type RateLimitDecision =
  | { allowed: true }
  | { allowed: false; scope: 'user' | 'channel'; limit: number; retryAfterMs: number; message: string };

export interface RateLimitSubject {
  thread: ThreadRef;
  userId: string;
  /** Counted once however often it is seen, so a platform's retried event is not charged twice. */
  requestId: string;
}

// Both windows are checked before either is charged, in one script, so a refusal costs nothing and
// two bot processes cannot both take the last slot.
const CONSUME_SCRIPT = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limits = { tonumber(ARGV[3]), tonumber(ARGV[4]) }
for i = 1, 2 do
  if limits[i] > 0 then
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
    if redis.call('ZSCORE', KEYS[i], ARGV[5]) == false and redis.call('ZCARD', KEYS[i]) >= limits[i] then
      local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
      return { i, tonumber(oldest[2]) + window - now }
    end
  end
end
for i = 1, 2 do
  if limits[i] > 0 then
    redis.call('ZADD', KEYS[i], now, ARGV[5])
    redis.call('PEXPIRE', KEYS[i], window)
  end
end
return { 0, 0 }
`;

export class RateLimiter {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  private readonly windowMs: number;
  private readonly userLimit: number;
  private readonly channelLimit: number;

  constructor(options: RateLimiterOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.windowMs = options.windowMs ?? 3_600_000;
    this.userLimit = options.userLimit;
    this.channelLimit = options.channelLimit;
    for (const [name, value] of [
      ['userLimit', this.userLimit],
      ['channelLimit', this.channelLimit],
      ['windowMs', this.windowMs],
    ] as const) {
      if (!Number.isInteger(value) || value < 0) {
        throw new TypeError(`RateLimiterOptions.${name} must be a non-negative integer, got ${value}`);
      }
    }
  }

  /** Counts the request against both windows if both allow it. */
  async consume(subject: RateLimitSubject, now = Date.now()): Promise<RateLimitDecision> {
    const { thread } = subject;
    const [which, retryAfterMs] = (await this.redis.eval(
      CONSUME_SCRIPT,
      2,
      this.keys.rateUser(thread, subject.userId),
      this.keys.rateChannel(thread),
      now,
      this.windowMs,
      this.userLimit,
      this.channelLimit,
      subject.requestId,
    )) as [number, number];
    if (which === 0) return { allowed: true };
    const scope = which === 1 ? 'user' : 'channel';
    const limit = scope === 'user' ? this.userLimit : this.channelLimit;
    const who = scope === 'user' ? 'You have' : 'This channel has';
    const message = `${who} reached ${limit} edits ${describeWindow(this.windowMs)}; try again in ${describeDuration(retryAfterMs)}.`;
    return { allowed: false, scope, limit, retryAfterMs, message };
  }

  /** Gives a request's charge back (an agent that only answered made nothing to count). */
  async refund(subject: RateLimitSubject): Promise<void> {
    await Promise.all([
      this.redis.zrem(this.keys.rateUser(subject.thread, subject.userId), subject.requestId),
      this.redis.zrem(this.keys.rateChannel(subject.thread), subject.requestId),
    ]);
  }

  /** @throws CutroomError rate_limited whose userMessage says which limit and when to try again. */
  async assertAllowed(subject: RateLimitSubject): Promise<void> {
    const decision = await this.consume(subject);
    if (!decision.allowed) {
      throw new CutroomError(
        ErrorCode.RateLimited,
        `rate limit: ${decision.scope} limit of ${decision.limit} reached for ${subject.thread.platform} ${
          decision.scope === 'user' ? `user ${subject.userId}` : `channel ${subject.thread.channelId}`
        }, retry in ${decision.retryAfterMs} ms`,
        { userMessage: decision.message },
      );
    }
  }
}

function describeWindow(windowMs: number): string {
  if (windowMs === 3_600_000) return 'per hour';
  if (windowMs === 86_400_000) return 'per day';
  if (windowMs % 60_000 === 0) return `per ${windowMs / 60_000} minutes`;
  return `per ${Math.ceil(windowMs / 1000)} seconds`;
}

export function describeDuration(ms: number): string {
  if (ms < 60_000) {
    const s = Math.max(1, Math.ceil(ms / 1000));
    return `${s} second${s === 1 ? '' : 's'}`;
  }
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 120) return `${minutes} minute${minutes === 1 ? '' : 's'}`;
  return `${Math.ceil(minutes / 60)} hours`;
}
