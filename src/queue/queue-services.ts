/** @module Opens everything bots and workers share through Redis: connection, queues, thread state, limits, artifacts. */
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import { ArtifactStore } from './artifact-store.ts';
import { checkRedisSettings } from './check-redis-settings.ts';
import { DeliveryQueue } from './delivery-queue.ts';
import { EditQueue } from './edit-queue.ts';
import { type EmbeddedRedis, startEmbeddedRedis } from './embedded-redis.ts';
import { RateLimiter } from './rate-limiter.ts';
import { closeRedisConnection, createRedisConnection } from './redis-connection.ts';
import { RedisThreadStore } from './thread-store.ts';

export interface QueueServices {
  redisUrl: string;
  /** Set when this process started its own redis-server (REDIS_URL unset). */
  embeddedRedis?: EmbeddedRedis;
  redis: Redis;
  editQueue: EditQueue;
  deliveries: DeliveryQueue;
  threads: RedisThreadStore;
  rateLimiter: RateLimiter;
  artifacts: ArtifactStore;
  /** Closes in reverse order of opening; the embedded Redis stops last. Idempotent. */
  close(): Promise<void>;
}

export interface OpenQueueServicesOptions {
  config: Config;
  logger: Logger;
  /** @defaultValue 'cutroom' */
  prefix?: string;
}

export async function openQueueServices(options: OpenQueueServicesOptions): Promise<QueueServices> {
  const { config, logger, prefix } = options;
  let embeddedRedis: EmbeddedRedis | undefined;
  let redisUrl = config.redisUrl;
  if (!redisUrl) {
    embeddedRedis = await startEmbeddedRedis({ dataDir: config.dataDir, logger });
    redisUrl = embeddedRedis.url;
  }
  const redis = createRedisConnection(redisUrl, { name: 'cutroom', logger });
  try {
    await redis.ping();
    await checkRedisSettings(redis, logger);
  } catch (error) {
    redis.disconnect();
    await embeddedRedis?.close();
    throw error;
  }
  const deliveries = new DeliveryQueue({ connection: redis, prefix });
  const editQueue = new EditQueue({ connection: redis, prefix });
  let closing: Promise<void> | undefined;
  return {
    redisUrl,
    embeddedRedis,
    redis,
    editQueue,
    deliveries,
    threads: new RedisThreadStore({
      redis,
      prefix,
      lifetimeMs: config.limits.retentionDays * 24 * 3600 * 1000,
    }),
    rateLimiter: new RateLimiter({
      redis,
      prefix,
      userLimit: config.limits.userRequestsPerHour,
      channelLimit: config.limits.channelRequestsPerHour,
    }),
    artifacts: new ArtifactStore({ root: path.join(config.dataDir, 'artifacts') }),
    close() {
      closing ??= (async () => {
        for (const step of [
          () => editQueue.close(),
          () => deliveries.close(),
          () => closeRedisConnection(redis),
          () => embeddedRedis?.close(),
        ]) {
          try {
            await step();
          } catch (error) {
            logger.warn({ err: error }, 'closing queue services');
          }
        }
      })();
      return closing;
    },
  };
}
