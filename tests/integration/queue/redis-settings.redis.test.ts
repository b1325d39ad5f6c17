// Redis-only suite: reads the settings of a real redis-server.
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkRedisSettings } from '../../../src/queue/check-redis-settings.ts';
import { closeRedisConnection, createRedisConnection } from '../../../src/queue/redis-connection.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

describe('checkRedisSettings', () => {
  let redis: TestRedis;
  let connection: Redis;

  beforeEach(async () => {
    redis = await startTestRedis();
    connection = createRedisConnection(redis.url);
  });

  afterEach(async () => {
    await closeRedisConnection(connection);
    await redis.close();
  });

  it('accepts the embedded server settings without warnings', async () => {
    expect(await checkRedisSettings(connection)).toMatchObject({
      maxmemoryPolicy: 'noeviction',
      warnings: [],
    });
  });

  it('warns, naming the fix, when Redis may evict jobs', async () => {
    await connection.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    const logged: string[] = [];
    const logger = {
      debug() {},
      info() {},
      error() {},
      warn(_obj: object | string, msg?: string) {
        logged.push(msg ?? '');
      },
      child() {
        return logger;
      },
    };
    const report = await checkRedisSettings(connection, logger);
    expect(report.maxmemoryPolicy).toBe('allkeys-lru');
    expect(logged).toEqual([expect.stringContaining('CONFIG SET maxmemory-policy noeviction')]);
  });
});
