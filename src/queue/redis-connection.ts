/** @module Redis connections for queues and thread state (ioredis, configured the way BullMQ needs). */
import { Redis } from 'ioredis';
import type { Logger } from '../logger.ts';

export interface RedisConnectionOptions {
  /** Shown in `CLIENT LIST`, handy when several processes share one Redis. */
  name?: string;
  /** Fail commands at once while disconnected instead of queueing them. @defaultValue false */
  failFast?: boolean;
  /** Connection errors are logged here (ioredis reconnects by itself); without it they are dropped. */
  logger?: Logger;
}

/**
 * A new ioredis client for `url`. BullMQ requires `maxRetriesPerRequest: null` so that blocking
 * commands wait through reconnects instead of failing after 20 retries.
 */
export function createRedisConnection(url: string, options: RedisConnectionOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: options.failFast ? 1 : null,
    enableOfflineQueue: !options.failFast,
    connectionName: options.name,
    // Reconnect quickly at first, then at most every 2 s: a restarted Redis is back within seconds.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  });
  const { logger } = options;
  let lastLoggedAt = 0;
  redis.on('error', (error: Error) => {
    // Reconnect attempts fail many times a second while Redis is down; one line in ten seconds is enough.
    if (logger && Date.now() - lastLoggedAt > 10_000) {
      lastLoggedAt = Date.now();
      logger.warn({ err: error.message, name: options.name }, 'redis connection error; reconnecting');
    }
  });
  return redis;
}

/** Closes a client, treating "already closed" as success. */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  // QUIT would wait for a reconnect that may never come.
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
