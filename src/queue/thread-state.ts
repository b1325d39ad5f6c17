/** @module Where each request's status message is, so later statuses edit it in place. */
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX, RedisKeys } from './redis-keys.ts';

export interface StatusMessagesOptions {
  redis: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
}

/** The platform message that shows a request's status. */
export class StatusMessages {
  private readonly redis: Redis;
  private readonly keys: RedisKeys;

  constructor(options: StatusMessagesOptions) {
    this.redis = options.redis;
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
  }

  async setStatusMessage(requestId: string, messageId: string): Promise<void> {
    await this.redis.set(this.keys.status(requestId), messageId, 'EX', 7 * 24 * 3600);
  }

  async getStatusMessage(requestId: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.status(requestId))) ?? undefined;
  }
}
