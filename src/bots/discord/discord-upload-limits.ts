/** @module Remembers Discord's upload limit per thread and guild, since only interactions report it. */
import type { Redis } from 'ioredis';

export interface DiscordUploadLimitsOptions {
  redis: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** @defaultValue 90 days, like thread ownership */
  ttlMs?: number;
}

/**
 * An interaction carries `attachment_size_limit` (it grows with the guild's boost level); thread
 * replies and deliveries do not, so the last value seen is kept for the thread and its guild.
 */
export class DiscordUploadLimits {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly ttlMs: number;

  constructor(options: DiscordUploadLimitsOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix ?? 'cutroom';
    this.ttlMs = options.ttlMs ?? 90 * 24 * 3600 * 1000;
  }

  async remember(place: { threadId?: string; guildId?: string | null }, bytes: number): Promise<void> {
    const multi = this.redis.multi();
    if (place.threadId) multi.set(this.key('thread', place.threadId), String(bytes), 'PX', this.ttlMs);
    if (place.guildId) multi.set(this.key('guild', place.guildId), String(bytes), 'PX', this.ttlMs);
    await multi.exec();
  }

  /** The thread's limit, else its guild's, else undefined. */
  async lookup(place: { threadId: string; guildId?: string | null }): Promise<number | undefined> {
    const [thread, guild] = await this.redis.mget(
      this.key('thread', place.threadId),
      this.key('guild', place.guildId ?? '-'),
    );
    const value = Number(thread ?? guild);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  }

  private key(kind: 'thread' | 'guild', id: string): string {
    return `${this.prefix}:discord:upload-limit:${kind}:${id}`;
  }
}
