/** @module The `deliveries-<platform>` queues, producer side: what workers and bots want posted into a thread. */
import { createHash } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX, deliveriesQueueName, jobIdFor } from '../queue/redis-keys.ts';
import type { Platform } from '../queue/types.ts';
import { type ReportOptions, StatusBoard } from './status-board.ts';
import { type Delivery, DeliverySchema } from './types.ts';

export interface DeliveryJobData {
  /** For a status: the one that asked for the job; the consumer shows the request's latest instead. */
  delivery: Delivery;
}

export interface DeliveryQueueOptions {
  connection: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Attempts per delivery before it is dropped. @defaultValue 8 */
  attempts?: number;
  /** First retry delay, doubled each time. @defaultValue 1000 */
  backoffMs?: number;
}

export interface EnqueueDeliveryOptions extends ReportOptions {
  /**
   * Idempotency key (unique per request). A second delivery with the same key is ignored, so a
   * retried edit job never posts twice. Default: a hash of the delivery. Statuses need none: the
   * status board keeps one per request.
   */
  key?: string;
}

/** Producer side, used by workers, and by bots for their replies and a request's first status. */
export class DeliveryQueue {
  readonly prefix: string;
  readonly statuses: StatusBoard;
  private readonly connection: Redis;
  private readonly queues = new Map<Platform, Queue<DeliveryJobData>>();
  private readonly options: Required<Omit<DeliveryQueueOptions, 'connection' | 'prefix'>>;
  private closing?: Promise<void>;

  constructor(options: DeliveryQueueOptions) {
    this.connection = options.connection;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.statuses = new StatusBoard({ redis: options.connection, prefix: this.prefix });
    this.options = { attempts: options.attempts ?? 8, backoffMs: options.backoffMs ?? 1000 };
  }

  queueFor(platform: Platform): Queue<DeliveryJobData> {
    let queue = this.queues.get(platform);
    if (!queue) {
      queue = new Queue<DeliveryJobData>(deliveriesQueueName(platform), {
        connection: this.connection,
        prefix: this.prefix,
      });
      this.queues.set(platform, queue);
    }
    return queue;
  }

  /**
   * Queues a delivery for the bot of its thread's platform. A status is stored on the status board
   * and queued only when no status job of its request is pending: the consumer shows the newest.
   */
  async enqueue(delivery: Delivery, options: EnqueueDeliveryOptions = {}): Promise<void> {
    const parsed = DeliverySchema.parse(delivery);
    let key = options.key;
    if (parsed.kind === 'status') {
      const { kind: _kind, thread: _thread, requestId, ...status } = parsed;
      const { seq, queueJob } = await this.statuses.report(requestId, status, options);
      if (!queueJob) return;
      key = `${requestId}:status:${seq}`;
    }
    key ??= `${parsed.requestId}:${parsed.kind}:${contentHash(parsed)}`;
    await this.queueFor(parsed.thread.platform).add(
      parsed.kind,
      { delivery: parsed },
      {
        jobId: jobIdFor(key),
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { age: 24 * 3600, count: 10_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    );
  }

  /** Queued deliveries per platform (for metrics). */
  async depths(): Promise<Record<string, number>> {
    const result: Record<string, number> = {};
    for (const [platform, queue] of this.queues) {
      result[platform] = await queue.count();
    }
    return result;
  }

  close(): Promise<void> {
    this.closing ??= Promise.allSettled([...this.queues.values()].map((q) => q.close())).then(() => {});
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function contentHash(delivery: Delivery): string {
  return createHash('sha256').update(JSON.stringify(delivery)).digest('hex').slice(0, 16);
}
