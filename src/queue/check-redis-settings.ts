/** @module Start-up check of the Redis settings BullMQ depends on. */
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

export interface RedisSettingsReport {
  maxmemoryPolicy?: string;
  version?: string;
  warnings: string[];
}

/**
 * Reads `maxmemory-policy` and the server version and warns about values that lose jobs.
 * Managed Redis often forbids CONFIG GET; that is reported as a warning, not a failure.
 */
export async function checkRedisSettings(redis: Redis, logger?: Logger): Promise<RedisSettingsReport> {
  const warnings: string[] = [];
  let maxmemoryPolicy: string | undefined;
  let version: string | undefined;
  try {
    const reply = (await redis.call('CONFIG', 'GET', 'maxmemory-policy')) as string[];
    maxmemoryPolicy = reply[1];
  } catch (error) {
    warnings.push(
      `could not read maxmemory-policy (${(error as Error).message}); make sure it is "noeviction", or Redis may evict queued jobs`,
    );
  }
  if (maxmemoryPolicy !== undefined && maxmemoryPolicy !== 'noeviction') {
    warnings.push(
      `Redis maxmemory-policy is "${maxmemoryPolicy}"; BullMQ needs "noeviction" or jobs can silently disappear under memory pressure. Fix: CONFIG SET maxmemory-policy noeviction (and in redis.conf)`,
    );
  }
  try {
    const info = await redis.info('server');
    version = /redis_version:([^\r\n]+)/.exec(info)?.[1];
    const major = Number(version?.split('.')[0]);
    if (Number.isFinite(major) && major < 6) {
      warnings.push(`Redis ${version} is too old for BullMQ; use Redis 6.2 or newer`);
    }
  } catch (error) {
    warnings.push(`could not read the Redis version (${(error as Error).message})`);
  }
  for (const warning of warnings) logger?.warn({ maxmemoryPolicy, version }, warning);
  return { maxmemoryPolicy, version, warnings };
}
