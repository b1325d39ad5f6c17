/**
 * @module The `deliveries-<platform>` queue, consumer side: posts into many threads at once, in order
 * within each thread, showing each request's newest status at a pace the platform accepts.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { isCutroomError } from '../errors.ts';
import { metrics } from '../http/metrics.ts';
import { DEFAULT_PREFIX, deliveriesQueueName } from '../queue/redis-keys.ts';
import { type Platform, threadKey } from '../queue/types.ts';
import { SerialByKey } from '../serial-by-key.ts';
import { deliveryFailureNotice, isFinalDeliveryFailure } from './delivery-failure-notice.ts';
import type { DeliveryJobData } from './delivery-queue.ts';
import { retryAfterMsOf } from './retry-after-error.ts';
import { StatusBoard } from './status-board.ts';
import type { Delivery, StatusDelivery } from './types.ts';

export interface DeliveryContext {
  /** The delivery's job id: unique per delivery, the same on every retry (an idempotency key). */
  jobId: string;
  /** 1 on the first try. */
  attempt: number;
}

/**
 * Posts one delivery. Throw an error with `retryAfterMs` when the platform says "slow down", a
 * non-retryable CutroomError when retrying cannot help; anything else is retried with backoff.
 */
export type DeliveryHandler = (delivery: Delivery, context: DeliveryContext) => Promise<void>;

export interface DeliveryConsumerOptions {
  connection: Redis;
  platform: Platform;
  handler: DeliveryHandler;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Deliveries in flight at once, each to another thread (one thread's wait their turn). @defaultValue 8 */
  concurrency?: number;
  /** Least time between two statuses shown for one request; platforms limit message edits. @defaultValue 1000 */
  statusIntervalMs?: number;
  /** How often one delivery waits out a platform's "slow down" before it goes back to the queue. @defaultValue 3 */
  maxRetryAfterWaits?: number;
}

export const DeliveryConsumerEvents = {
  Failed: 'failed',
  Error: 'error',
} as const;

export interface DeliveryConsumerListener {
  /** `final`: no attempt is left, the delivery is dropped. */
  failed: (delivery: Delivery | undefined, error: Error, final: boolean) => void;
  error: (error: Error) => void;
}

/**
 * Each bot process runs one for its platform. Jobs are taken in queue order; those of one thread run
 * one after another (so a thread reads in order), those of different threads side by side (so a long
 * upload in one thread holds up no other). A status job shows the request's latest status, not the one
 * that queued it, and waits out `statusIntervalMs` first unless that status is final.
 */
export class DeliveryConsumer extends EventEmitter {
  private readonly options: Required<DeliveryConsumerOptions>;
  private readonly statuses: StatusBoard;
  private readonly threads = new SerialByKey();
  private readonly lastShownAt = new Map<string, number>();
  private readonly stopping = new AbortController();
  private worker?: Worker<DeliveryJobData>;
  private closing?: Promise<void>;

  constructor(options: DeliveryConsumerOptions) {
    super();
    this.options = {
      ...options,
      prefix: options.prefix ?? DEFAULT_PREFIX,
      concurrency: options.concurrency ?? 8,
      statusIntervalMs: options.statusIntervalMs ?? 1000,
      maxRetryAfterWaits: options.maxRetryAfterWaits ?? 3,
    };
    for (const [name, min] of [
      ['concurrency', 1],
      ['statusIntervalMs', 0],
      ['maxRetryAfterWaits', 0],
    ] as const) {
      const value = this.options[name];
      if (!Number.isInteger(value) || value < min) {
        throw new TypeError(`DeliveryConsumerOptions.${name} must be an integer >= ${min}, got ${value}`);
      }
    }
    this.statuses = new StatusBoard({ redis: options.connection, prefix: this.options.prefix });
  }

  override on<E extends keyof DeliveryConsumerListener>(
    event: E,
    listener: DeliveryConsumerListener[E],
  ): this {
    return super.on(event, listener);
  }

  async start(): Promise<void> {
    if (this.worker) return;
    if (this.closing) throw new Error('DeliveryConsumer.start() after close()');
    const worker = new Worker<DeliveryJobData>(
      deliveriesQueueName(this.options.platform),
      (job) => this.threads.run(threadKey(job.data.delivery.thread), () => this.process(job)),
      {
        connection: this.options.connection,
        prefix: this.options.prefix,
        concurrency: this.options.concurrency,
      },
    );
    worker.on('failed', (job, error) => {
      const final = !job || isFinalDeliveryFailure(error, job.attemptsMade, job.opts.attempts ?? 1);
      metrics.deliveries.inc({ platform: this.options.platform, outcome: final ? 'failed' : 'retried' });
      this.emit(DeliveryConsumerEvents.Failed, job?.data.delivery, error, final);
    });
    worker.on('error', (error) => this.reportError(error));
    this.worker = worker;
    await worker.waitUntilReady();
  }

  private async process(job: Job<DeliveryJobData>): Promise<void> {
    const { delivery } = job.data;
    try {
      if (delivery.kind === 'status') await this.showLatestStatus(job, delivery);
      else await this.post(job, delivery);
    } catch (error) {
      if (
        !this.stopping.signal.aborted &&
        isFinalDeliveryFailure(error, job.attemptsMade + 1, job.opts.attempts ?? 1)
      ) {
        await this.giveUp(job, delivery, error);
      }
      throw error;
    }
  }

  /**
   * Tells the thread that a delivery will never be posted (and ends its request's status as failed), in the
   * thread's turn, once: the notice's posting steps are keyed by the dropped delivery's job id.
   */
  private async giveUp(job: Job<DeliveryJobData>, delivery: Delivery, error: unknown): Promise<void> {
    const notice = deliveryFailureNotice(delivery, error);
    if (!notice) return;
    try {
      await this.options.handler(notice, { jobId: `${job.id}:gave-up`, attempt: 1 });
    } catch (noticeError) {
      this.reportError(noticeError);
    }
  }

  private async showLatestStatus(job: Job<DeliveryJobData>, delivery: StatusDelivery): Promise<void> {
    const { requestId } = delivery;
    if (!(await this.statuses.isFinal(requestId))) {
      const waitMs = (this.lastShownAt.get(requestId) ?? 0) + this.options.statusIntervalMs - Date.now();
      // Reports arriving meanwhile queue no job of their own; the newest is taken below.
      if (waitMs > 0) await sleep(waitMs, undefined, { signal: this.stopping.signal });
    }
    const latest = await this.statuses.take(requestId);
    if (!latest) {
      metrics.deliveries.inc({ platform: this.options.platform, outcome: 'coalesced' });
      return;
    }
    await this.post(job, { ...delivery, ...latest.status });
    this.rememberShown(requestId);
    await this.statuses.shown(requestId, latest.seq);
  }

  /** Runs the handler, waiting out a platform's "slow down" in place so the thread keeps its order. */
  private async post(job: Job<DeliveryJobData>, delivery: Delivery): Promise<void> {
    const context: DeliveryContext = { jobId: job.id ?? '', attempt: job.attemptsMade + 1 };
    for (let waits = 0; ; waits++) {
      try {
        await this.options.handler(delivery, context);
        metrics.deliveries.inc({ platform: this.options.platform, outcome: 'posted' });
        return;
      } catch (error) {
        const retryAfterMs = retryAfterMsOf(error);
        if (retryAfterMs !== undefined && waits < this.options.maxRetryAfterWaits) {
          await sleep(retryAfterMs, undefined, { signal: this.stopping.signal });
          continue;
        }
        if (isCutroomError(error) && !error.retryable) throw new UnrecoverableError(error.message);
        throw error;
      }
    }
  }

  private rememberShown(requestId: string): void {
    const now = Date.now();
    this.lastShownAt.set(requestId, now);
    for (const [id, at] of this.lastShownAt) {
      if (at < now - this.options.statusIntervalMs) this.lastShownAt.delete(id);
    }
  }

  // EventEmitter throws on an unheard 'error'; a consumer must never crash its bot that way.
  private reportError(error: unknown): void {
    if (this.listenerCount(DeliveryConsumerEvents.Error) > 0) this.emit(DeliveryConsumerEvents.Error, error);
  }

  /** Stops taking deliveries and waits for those in flight (a wait for a platform's limit ends at once). Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopping.abort(new Error('delivery consumer closing'));
      try {
        await this.worker?.close();
      } catch (error) {
        this.reportError(error);
      }
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
