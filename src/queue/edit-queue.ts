/** @module The `edits` queue: one job per user request, the job id being the platform event's idempotency key. */
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DEFAULT_PREFIX, EDITS_QUEUE, jobIdFor, RedisKeys } from './redis-keys.ts';
import { type EditRequest, EditRequestSchema, type ThreadRef, threadKey } from './types.ts';

export interface EditQueueOptions {
  connection: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Attempts per request (crashes and retryable errors). @defaultValue 3 */
  attempts?: number;
  /** First retry delay, doubled each time. @defaultValue 5000 */
  backoffMs?: number;
}

export interface EnqueueResult {
  /** false when a job with this request id exists already: nothing new was queued. */
  enqueued: boolean;
  /** 0 while running, n when n-1 requests are ahead of it, undefined when finished. */
  position: number | undefined;
}

/**
 * `removed`: it was waiting and will never run. `signalled`: it is running and its worker was told to
 * stop. `not_found`/`finished`: nothing to stop.
 */
export type CancelResult = 'removed' | 'signalled' | 'not_found' | 'finished';

/** Producer side of the `edits` queue, used by bots (and by `cancel`). Workers consume it (src/worker). */
export class EditQueue {
  readonly queue: Queue<EditRequest>;
  readonly keys: RedisKeys;
  private readonly connection: Redis;
  private readonly options: Required<Pick<EditQueueOptions, 'attempts' | 'backoffMs'>>;
  private closing?: Promise<void>;

  constructor(options: EditQueueOptions) {
    this.connection = options.connection;
    this.keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.options = {
      attempts: options.attempts ?? 3,
      backoffMs: options.backoffMs ?? 5000,
    };
    if (!Number.isInteger(this.options.attempts) || this.options.attempts < 1) {
      throw new TypeError(`EditQueueOptions.attempts must be an integer >= 1, got ${this.options.attempts}`);
    }
    this.queue = new Queue<EditRequest>(EDITS_QUEUE, {
      connection: this.connection,
      prefix: this.keys.prefix,
    });
  }

  /**
   * Queues a request once: the request id is the job id, so the same request twice adds nothing while
   * the job is kept (7 days after it ends). Platform retries are caught earlier, by the bot's event dedupe.
   */
  async enqueue(request: EditRequest): Promise<EnqueueResult> {
    const data = EditRequestSchema.parse(request);
    const jobId = jobIdFor(data.id);
    if (await this.queue.getJob(jobId)) return { enqueued: false, position: await this.position(data.id) };
    await this.queue.add(data.kind, data, {
      jobId,
      attempts: this.options.attempts,
      backoff: { type: 'exponential', delay: this.options.backoffMs },
      removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
      removeOnFail: { age: 30 * 24 * 3600 },
    });
    return { enqueued: true, position: await this.position(data.id) };
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
   * Cancels a request: a queued one is removed (the caller says so in the thread), a running one is
   * told to stop (its worker aborts the job's signal and posts "Cancelled."). The flag also stops a
   * retry or a recovered run from starting.
   */
  async cancel(requestId: string): Promise<CancelResult> {
    const job = await this.queue.getJob(jobIdFor(requestId));
    if (!job) return 'not_found';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    await this.connection.set(this.keys.cancelFlag(requestId), '1', 'EX', 24 * 3600);
    if (state !== 'active') {
      try {
        await job.remove();
        return 'removed';
      } catch {
        // It became active between the state check and the removal: signal it instead.
      }
    }
    await this.connection.publish(this.keys.cancelChannel(), requestId);
    return 'signalled';
  }

  /** The thread's requests not finished yet, running first, then in the order they will run (for `status`). */
  async threadRequests(thread: ThreadRef): Promise<{ request: EditRequest; running: boolean }[]> {
    const key = threadKey(thread);
    const [active, waiting] = await Promise.all([
      this.queue.getJobs(['active']),
      this.queue.getJobs(['waiting', 'delayed', 'prioritized'], 0, -1, true),
    ]);
    return [
      ...active.map((job) => ({ request: job.data, running: true })),
      ...waiting.map((job) => ({ request: job.data, running: false })),
    ].filter((entry) => entry.request && threadKey(entry.request.thread) === key);
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
