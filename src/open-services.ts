/**
 * @module The composition root: opens the one Redis connection and builds every queue and store from
 * it, for the bots, the workers and the CLI alike.
 */
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Config } from './config.ts';
import { DeliveryConsumer, DeliveryConsumerEvents } from './deliveries/delivery-consumer.ts';
import { DeliveryQueue } from './deliveries/delivery-queue.ts';
import { createThreadDeliverer } from './deliveries/thread-deliverer.ts';
import type { ThreadSurface } from './deliveries/thread-surface.ts';
import type { Logger } from './logger.ts';
import { ArtifactStore } from './queue/artifact-store.ts';
import { checkRedisSettings } from './queue/check-redis-settings.ts';
import { EditQueue } from './queue/edit-queue.ts';
import { type EmbeddedRedis, startEmbeddedRedis } from './queue/embedded-redis.ts';
import { RateLimiter } from './queue/rate-limiter.ts';
import { closeRedisConnection, createRedisConnection } from './queue/redis-connection.ts';
import { DEFAULT_PREFIX } from './queue/redis-keys.ts';
import { RedisThreadStore } from './queue/thread-store.ts';
import type { Platform } from './queue/types.ts';

export interface StartDeliveriesOptions {
  /** Least time between two statuses shown for one request. @defaultValue 1000 */
  statusIntervalMs?: number;
  /** Failed deliveries are logged here. */
  logger: Logger;
}

export interface Services {
  redisUrl: string;
  /** Set when this process started its own redis-server (REDIS_URL unset). */
  embeddedRedis?: EmbeddedRedis;
  /** The connection every queue and store shares (workers duplicate it for their blocking commands). */
  redis: Redis;
  prefix: string;
  edits: EditQueue;
  deliveries: DeliveryQueue;
  threads: RedisThreadStore;
  /** Absent when both request limits are off. */
  rateLimiter?: RateLimiter;
  artifacts: ArtifactStore;
  /**
   * Starts posting `platform`'s deliveries onto `surface` (each bot process runs one). The caller
   * closes the consumer it gets.
   */
  startDeliveries(
    platform: Platform,
    surface: ThreadSurface,
    options: StartDeliveriesOptions,
  ): Promise<DeliveryConsumer>;
  /** Closes in reverse order of opening; the embedded Redis stops last. Idempotent. */
  close(): Promise<void>;
}

export interface OpenServicesOptions {
  config: Config;
  logger: Logger;
  /** Key prefix of every queue and key (tests pass a unique one). @defaultValue CUTROOM_REDIS_PREFIX, else 'cutroom' */
  prefix?: string;
}

const DAY_MS = 24 * 3600 * 1000;

/** Connects to REDIS_URL (or starts an embedded redis-server), checks its settings and builds the services. */
export async function openServices(options: OpenServicesOptions): Promise<Services> {
  const { config, logger } = options;
  const prefix = options.prefix ?? config.redisPrefix ?? DEFAULT_PREFIX;
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
  const { limits } = config;
  const edits = new EditQueue({ connection: redis, prefix });
  const deliveries = new DeliveryQueue({ connection: redis, prefix });
  const threads = new RedisThreadStore({ redis, prefix, lifetimeMs: limits.retentionDays * DAY_MS });
  const artifacts = new ArtifactStore({ root: path.join(config.dataDir, 'artifacts') });
  const limited = limits.userRequestsPerHour > 0 || limits.channelRequestsPerHour > 0;
  let closing: Promise<void> | undefined;
  return {
    redisUrl,
    embeddedRedis,
    redis,
    prefix,
    edits,
    deliveries,
    threads,
    rateLimiter: limited
      ? new RateLimiter({
          redis,
          prefix,
          userLimit: limits.userRequestsPerHour,
          channelLimit: limits.channelRequestsPerHour,
        })
      : undefined,
    artifacts,
    async startDeliveries(platform, surface, startOptions) {
      const consumer = new DeliveryConsumer({
        connection: redis,
        prefix,
        platform,
        statusIntervalMs: startOptions.statusIntervalMs,
        handler: createThreadDeliverer({
          surface,
          statuses: deliveries.statuses,
          store: artifacts,
          redis,
          prefix,
          onResultPosted: (thread, version, link) => threads.setVersionLink(thread, version, link),
          logger: startOptions.logger,
        }),
      });
      const log = startOptions.logger;
      consumer.on(DeliveryConsumerEvents.Failed, (delivery, error, final) => {
        log[final ? 'error' : 'warn'](
          { err: error, kind: delivery?.kind, requestId: delivery?.requestId, final },
          `${platform} delivery failed`,
        );
      });
      consumer.on(DeliveryConsumerEvents.Error, (error) =>
        log.error({ err: error }, 'delivery consumer error'),
      );
      await consumer.start();
      return consumer;
    },
    close() {
      closing ??= (async () => {
        for (const step of [
          () => edits.close(),
          () => deliveries.close(),
          () => closeRedisConnection(redis),
          () => embeddedRedis?.close(),
        ]) {
          try {
            await step();
          } catch (error) {
            logger.warn({ err: error }, 'closing services');
          }
        }
      })();
      return closing;
    },
  };
}
