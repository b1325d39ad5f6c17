// Redis-only suite: the windows are sorted sets in a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../../src/queue/rate-limiter.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import type { ThreadRef } from '../../../src/queue/types.ts';
import { uniquePrefix } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const thread: ThreadRef = { platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: '1.1' };

describe('RateLimiter', () => {
  let redis: TestRedis;
  let connection: Redis;
  let prefix: string;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
    prefix = uniquePrefix();
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('gives a refunded request’s slot back to the user and the channel', async () => {
    const limiter = new RateLimiter({ redis: connection, prefix, userLimit: 1, channelLimit: 1 });
    const subject = { thread, userId: 'U1', requestId: 'answered' };
    expect(await limiter.consume(subject)).toEqual({ allowed: true });
    await limiter.refund(subject);
    expect(await limiter.consume({ ...subject, requestId: 'next' })).toEqual({ allowed: true });
  });

  it('refuses a user over the hourly limit, saying when to try again', async () => {
    const limiter = new RateLimiter({ redis: connection, prefix, userLimit: 2, channelLimit: 0 });
    const now = 1_000_000_000;
    expect(await limiter.consume({ thread, userId: 'U1', requestId: 'a' }, now)).toEqual({ allowed: true });
    expect(await limiter.consume({ thread, userId: 'U1', requestId: 'b' }, now + 60_000)).toEqual({
      allowed: true,
    });
    const refusal = await limiter.consume({ thread, userId: 'U1', requestId: 'c' }, now + 120_000);
    expect(refusal).toMatchObject({ allowed: false, scope: 'user', retryAfterMs: 3_480_000 });
    expect(refusal.allowed === false && refusal.message).toBe(
      'You have reached 2 edits per hour; try again in 58 minutes.',
    );
    expect(await limiter.consume({ thread, userId: 'U2', requestId: 'd' }, now + 120_000)).toEqual({
      allowed: true,
    });
    expect(await limiter.consume({ thread, userId: 'U1', requestId: 'e' }, now + 3_600_001)).toEqual({
      allowed: true,
    });
  });

  it('refuses a busy channel with its own message, without charging the refused user', async () => {
    const limiter = new RateLimiter({ redis: connection, prefix, userLimit: 5, channelLimit: 1 });
    await limiter.consume({ thread, userId: 'U1', requestId: 'a' });
    await expect(limiter.assertAllowed({ thread, userId: 'U2', requestId: 'b' })).rejects.toMatchObject({
      code: 'rate_limited',
      userMessage: expect.stringMatching(
        /^This channel has reached 1 edits per hour; try again in \d+ minutes\.$/,
      ),
    });
    const otherChannel = { ...thread, channelId: 'C2' };
    expect(await limiter.consume({ thread: otherChannel, userId: 'U2', requestId: 'c' })).toEqual({
      allowed: true,
    });
  });

  it('charges a repeated event only once', async () => {
    const limiter = new RateLimiter({ redis: connection, prefix, userLimit: 1, channelLimit: 1 });
    expect(await limiter.consume({ thread, userId: 'U1', requestId: 'same' })).toEqual({ allowed: true });
    expect(await limiter.consume({ thread, userId: 'U1', requestId: 'same' })).toEqual({ allowed: true });
    expect((await limiter.consume({ thread, userId: 'U1', requestId: 'new' })).allowed).toBe(false);
  });
});
