/** @module The `edits` queue: one job per user request, the job id being the platform event's idempotency key. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryQueue } from './delivery-queue.ts';
import { DEFAULT_PREFIX, EDITS_QUEUE, jobIdFor } from './queue-names.ts';
import { type EditRequest, EditRequestSchema } from './types.ts';

export interface EditQueueOptions {
  connection: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Attempts per request (crashes and retryable errors). @defaultValue 3 */
  attempts?: number;
  /** First retry delay, doubled each time. @defaultValue 5000 */
  backoffMs?: number;
  /** How long an event id is remembered as seen. @defaultValue 7 days */
  dedupeTtlMs?: number;
  /** When set, each new request gets a "queued" status with its place in line, and "Cancelled." if removed. */
  deliveries?: DeliveryQueue;
}

export interface EnqueueResult {
  /** false when this event was seen before (a platform retry): nothing new was queued. */
  enqueued: boolean;
  /** 0 while running, n when n-1 requests are ahead of it, undefined when finished. */
  position: number | undefined;
}

export type CancelResult = 'removed' | 'signalled' | 'not_found' | 'finished';

/** The pub/sub channel on which workers hear about cancellations of running jobs. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:edits:cancel`;
}

export function cancelFlagKey(prefix: string, requestId: string): string {
  return `${prefix}:edits:cancelled:${requestId}`;
}

export class EditQueue {
  readonly queue: Queue<EditRequest>;
  readonly prefix: string;
  private readonly connection: Redis;
  private readonly options: Required<Pick<EditQueueOptions, 'attempts' | 'backoffMs' | 'dedupeTtlMs'>>;
  private readonly deliveries?: DeliveryQueue;
  private closing?: Promise<void>;

  constructor(options: EditQueueOptions) {
    this.connection = options.connection;
    this.prefix = options.prefix ?? DEFAULT_PREFIX;
    this.deliveries = options.deliveries;
    this.options = {
      attempts: options.attempts ?? 3,
      backoffMs: options.backoffMs ?? 5000,
      dedupeTtlMs: options.dedupeTtlMs ?? 7 * 24 * 3600 * 1000,
    };
    if (!Number.isInteger(this.options.attempts) || this.options.attempts < 1) {
      throw new TypeError(`EditQueueOptions.attempts must be an integer >= 1, got ${this.options.attempts}`);
    }
    this.queue = new Queue<EditRequest>(EDITS_QUEUE, { connection: this.connection, prefix: this.prefix });
  }

  /** Queues a request once: the same event id twice (Slack retries, double clicks) enqueues nothing. */
  async enqueue(request: EditRequest): Promise<EnqueueResult> {
    const data = EditRequestSchema.parse(request);
    const seenKey = `${this.prefix}:edits:seen:${data.id}`;
    const first = await this.connection.set(seenKey, '1', 'PX', this.options.dedupeTtlMs, 'NX');
    if (first === null) return { enqueued: false, position: await this.position(data.id) };
    try {
      await this.queue.add(data.kind, data, {
        jobId: jobIdFor(data.id),
        attempts: this.options.attempts,
        backoff: { type: 'exponential', delay: this.options.backoffMs },
        removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      });
    } catch (error) {
      await this.connection.del(seenKey);
      throw error;
    }
    const position = await this.position(data.id);
    if (this.deliveries && position !== undefined && position > 0) {
      await this.deliveries.enqueue({
        kind: 'status',
        thread: data.thread,
        requestId: data.id,
        stage: 'queued',
        text: queuedText(position),
        queuePosition: position,
      });
    }
    return { enqueued: true, position };
  }

  /** 0 while running, n when n-1 requests are ahead of it, undefined when finished or unknown. */
  async position(requestId: string): Promise<number | undefined> {
    const job = await this.queue.getJob(jobIdFor(requestId));
    if (!job?.id) return undefined;
    const state = await job.getState();
    if (state === 'active') return 0;
    if (state === 'waiting') {
      // BullMQ pushes new jobs on the left of the wait list and workers take them from the right.
      const waitKey = this.queue.toKey('wait');
      const [index, length] = await Promise.all([
        this.connection.call('LPOS', waitKey, job.id) as Promise<number | null>,
        this.connection.llen(waitKey),
      ]);
      return index === null ? 1 : length - index;
    }
    if (state === 'delayed' || state === 'prioritized' || state === 'waiting-children') {
      return (await this.queue.getWaitingCount()) + 1;
    }
    return undefined;
  }

  /**
   * Cancels a request: a queued one is removed, a running one is told to stop (its worker aborts the
   * job's signal and posts "Cancelled."). The flag also stops a retry or a recovered run from starting.
   */
  async cancel(requestId: string): Promise<CancelResult> {
    const job = await this.queue.getJob(jobIdFor(requestId));
    if (!job) return 'not_found';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    await this.connection.set(cancelFlagKey(this.prefix, requestId), '1', 'EX', 24 * 3600);
    if (state !== 'active') {
      try {
        await job.remove();
        await this.deliveries?.enqueue(
          { kind: 'status', thread: job.data.thread, requestId, stage: 'cancelled', text: 'Cancelled.' },
          { key: `${requestId}:cancelled` },
        );
        return 'removed';
      } catch {
        // It became active between the state check and the removal: signal it instead.
      }
    }
    await this.connection.publish(cancelChannel(this.prefix), requestId);
    return 'signalled';
  }

  /** Requests waiting or running (for metrics and the queue position message). */
  async depth(): Promise<{ waiting: number; active: number; delayed: number; failed: number }> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized');
    return {
      waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0),
      active: counts.active ?? 0,
      delayed: counts.delayed ?? 0,
      failed: counts.failed ?? 0,
    };
  }

  close(): Promise<void> {
    this.closing ??= this.queue.close();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

export function queuedText(position: number): string {
  if (position <= 1) return 'Queued: yours is next.';
  const ahead = position - 1;
  return `Queued: ${ahead} request${ahead === 1 ? '' : 's'} ahead of yours.`;
}
