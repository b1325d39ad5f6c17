/** @module The `deliveries` queues: messages and files workers want posted, consumed by each platform's bot. */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type Job, Queue, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isCutroomError } from '../errors.ts';
import { metrics } from '../http/metrics.ts';
import { DEFAULT_PREFIX, deliveriesQueueName, jobIdFor, RedisKeys } from './redis-keys.ts';
import { retryAfterMsOf } from './retry-after-error.ts';
import type { Delivery, Platform } from './types.ts';
import { DeliverySchema } from './types.ts';

export interface DeliveryJobData {
  delivery: Delivery;
  /** Status deliveries only: their order among the request's statuses, for coalescing. */
  statusSeq?: number;
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

export interface EnqueueDeliveryOptions {
  /**
   * Idempotency key (unique per request). A second delivery with the same key is ignored, so a
   * retried edit job never posts twice. Default: status deliveries get a fresh sequence number
   * (only the latest is posted); others a hash of their content.
   */
  key?: string;
}

const STATUS_SEQ_TTL_SECONDS = 7 * 24 * 3600;

/** Producer side, used by workers (and by bots for immediate refusals). */
export class DeliveryQueue {
  readonly prefix: string;
  private readonly connection: Redis;
  private readonly queues = new Map<Platform, Queue<DeliveryJobData>>();
  private readonly options: Required<Omit<DeliveryQueueOptions, 'connection' | 'prefix'>>;
  private closing?: Promise<void>;

  constructor(options: DeliveryQueueOptions) {
    this.connection = options.connection;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
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

  async enqueue(delivery: Delivery, options: EnqueueDeliveryOptions = {}): Promise<void> {
    const parsed = DeliverySchema.parse(delivery);
    const data: DeliveryJobData = { delivery: parsed };
    let key = options.key;
    if (parsed.kind === 'status') {
      const seqKey = new RedisKeys(this.prefix).statusSeq(parsed.requestId);
      const [[, seq]] = (await this.connection
        .multi()
        .incr(seqKey)
        .expire(seqKey, STATUS_SEQ_TTL_SECONDS)
        .exec()) as [[null, number], [null, number]];
      data.statusSeq = seq;
      key ??= `${parsed.requestId}:status:${seq}`;
    }
    key ??= `${parsed.requestId}:${parsed.kind}:${contentHash(parsed)}`;
    await this.queueFor(parsed.thread.platform).add(parsed.kind, data, {
      jobId: jobIdFor(key),
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: { age: 24 * 3600, count: 10_000 },
      removeOnFail: { age: 7 * 24 * 3600 },
    });
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

export interface DeliveryContext {
  jobId: string;
  /** 1 on the first try. */
  attempt: number;
}

export type DeliveryHandler = (delivery: Delivery, context: DeliveryContext) => Promise<void>;

export interface DeliveryConsumerOptions {
  connection: Redis;
  platform: Platform;
  /** Posts one delivery. Throw an error with `retryAfterMs` on HTTP 429, a non-retryable CutroomError when retrying cannot help. */
  handler: DeliveryHandler;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Parallel posts. 1 keeps the order of messages within a thread. @defaultValue 1 */
  concurrency?: number;
}

export const DeliveryConsumerEvents = {
  Delivered: 'delivered',
  Coalesced: 'coalesced',
  Failed: 'failed',
  Error: 'error',
} as const;

export interface DeliveryConsumerListener {
  delivered: (delivery: Delivery, jobId: string) => void;
  coalesced: (delivery: Delivery, jobId: string) => void;
  failed: (delivery: Delivery | undefined, error: Error, final: boolean) => void;
  error: (error: Error) => void;
}

/** Consumer side: each bot process runs one for its platform with its platform-specific handler. */
export class DeliveryConsumer extends EventEmitter {
  private readonly options: DeliveryConsumerOptions & { prefix: string };
  private worker?: Worker<DeliveryJobData>;
  private readonly queue: Queue<DeliveryJobData>;
  private closing?: Promise<void>;

  constructor(options: DeliveryConsumerOptions) {
    super();
    this.options = { ...options, prefix: options.prefix ?? DEFAULT_PREFIX };
    this.queue = new Queue<DeliveryJobData>(deliveriesQueueName(options.platform), {
      connection: options.connection,
      prefix: this.options.prefix,
    });
  }

  override on<E extends keyof DeliveryConsumerListener>(
    event: E,
    listener: DeliveryConsumerListener[E],
  ): this {
    return super.on(event, listener);
  }

  async start(): Promise<void> {
    if (this.worker) return;
    const worker = new Worker<DeliveryJobData>(
      deliveriesQueueName(this.options.platform),
      (job) => this.process(job),
      {
        connection: this.options.connection,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency ?? 1,
      },
    );
    worker.on('failed', (job, error) => {
      const final =
        !job || job.attemptsMade >= (job.opts.attempts ?? 1) || error instanceof UnrecoverableError;
      metrics.deliveries.inc({ platform: this.options.platform, outcome: final ? 'failed' : 'retried' });
      this.emit(DeliveryConsumerEvents.Failed, job?.data.delivery, error, final);
    });
    worker.on('error', (error) => this.reportError(error));
    this.worker = worker;
    await worker.waitUntilReady();
  }

  private async process(job: Job<DeliveryJobData>): Promise<void> {
    const { delivery, statusSeq } = job.data;
    if (delivery.kind === 'status' && statusSeq !== undefined) {
      const latest = Number(
        await this.options.connection.get(new RedisKeys(this.options.prefix).statusSeq(delivery.requestId)),
      );
      if (latest > statusSeq) {
        metrics.deliveries.inc({ platform: this.options.platform, outcome: 'coalesced' });
        this.emit(DeliveryConsumerEvents.Coalesced, delivery, job.id ?? '');
        return;
      }
    }
    try {
      await this.options.handler(delivery, { jobId: job.id ?? '', attempt: job.attemptsMade + 1 });
    } catch (error) {
      const retryAfterMs = retryAfterMsOf(error);
      if (retryAfterMs !== undefined) {
        // Pausing the whole queue (not just this job) keeps the thread's messages in order.
        await this.queue.rateLimit(retryAfterMs);
        throw Worker.RateLimitError();
      }
      if (isCutroomError(error) && !error.retryable) throw new UnrecoverableError(error.message);
      throw error;
    }
    metrics.deliveries.inc({ platform: this.options.platform, outcome: 'posted' });
    this.emit(DeliveryConsumerEvents.Delivered, delivery, job.id ?? '');
  }

  // EventEmitter throws on an unheard 'error'; a consumer must never crash its bot that way.
  private reportError(error: unknown): void {
    if (this.listenerCount(DeliveryConsumerEvents.Error) > 0) this.emit(DeliveryConsumerEvents.Error, error);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const results = await Promise.allSettled([this.worker?.close(), this.queue.close()]);
      for (const r of results) if (r.status === 'rejected') this.reportError(r.reason);
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

function contentHash(delivery: Delivery): string {
  return createHash('sha256').update(JSON.stringify(delivery)).digest('hex').slice(0, 16);
}
