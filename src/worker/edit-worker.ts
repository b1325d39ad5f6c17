/** @module The edit worker: runs `edits` jobs one browser session each, with progress, cancel, retries and graceful shutdown. */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeliveryQueue } from '../deliveries/delivery-queue.ts';
import { CancelledError, CutroomError, ErrorCode, isCutroomError } from '../errors.ts';
import { metrics } from '../http/metrics.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import { DEFAULT_PREFIX, EDITS_QUEUE, RedisKeys } from '../queue/redis-keys.ts';
import type { RedisThreadStore } from '../queue/thread-store.ts';
import { type EditRequest, threadKey } from '../queue/types.ts';
import { createJobContext, failureDelivery, failureKey } from './job-context.ts';
import type { JobContext, JobOutcome, JobProcessor } from './job-processor.ts';
import { leaseThread } from './thread-lease.ts';

export interface EditWorkerOptions {
  connection: Redis;
  processor: JobProcessor;
  /** Where statuses, results and failures go. */
  deliveries: Pick<DeliveryQueue, 'enqueue'>;
  /** Holds the per-thread run lock. */
  threads: Pick<RedisThreadStore, 'acquireLock' | 'renewLock' | 'releaseLock'>;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Jobs at once in this process; each holds one browser session. @defaultValue 1 */
  concurrency?: number;
  logger?: Logger;
  /** On close, how long running jobs may take to finish before they are aborted and handed back. @defaultValue 30000 */
  shutdownTimeoutMs?: number;
  /** A job whose worker stops renewing its lock for this long is given to another worker. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often this worker looks for jobs whose worker died. @defaultValue 30000 */
  stalledIntervalMs?: number;
  /** How long a request waits before trying again while another request of its thread runs. @defaultValue 2000 */
  threadBusyRetryMs?: number;
  /**
   * The most one attempt may take, whatever it waits on: then it is stopped, its thread's lock is released and the
   * thread is told. @defaultValue 1_800_000 (30 minutes)
   */
  jobDeadlineMs?: number;
}

export const EditWorkerEvents = {
  Error: 'error',
} as const;

export interface EditWorkerListener {
  /** Redis or BullMQ trouble outside a job (jobs report through their thread and the logger). */
  error: (error: Error) => void;
}

type StopReason = 'cancel' | 'shutdown' | 'deadline';

interface ActiveJob {
  controller: AbortController;
  reason?: StopReason;
  done: Promise<void>;
}

type JobResult = JobOutcome | { cancelled: true };

const HAND_BACK_GRACE_MS = 5000;
// A job that crashed its worker twice is failed rather than crashing a third.
const MAX_STALLED_COUNT = 2;

export class EditWorker extends EventEmitter {
  private readonly options: Required<Omit<EditWorkerOptions, 'logger'>> & { logger: Logger };
  private readonly keys: RedisKeys;
  private readonly active = new Map<string, ActiveJob>();
  private worker?: Worker<EditRequest, JobResult>;
  private subscriber?: Redis;
  private closing?: Promise<void>;

  constructor(options: EditWorkerOptions) {
    super();
    this.options = {
      ...options,
      prefix: options.prefix ?? DEFAULT_PREFIX,
      concurrency: options.concurrency ?? 1,
      shutdownTimeoutMs: options.shutdownTimeoutMs ?? 30_000,
      lockDurationMs: options.lockDurationMs ?? 30_000,
      stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
      threadBusyRetryMs: options.threadBusyRetryMs ?? 2000,
      jobDeadlineMs: options.jobDeadlineMs ?? 1_800_000,
      logger: options.logger ?? createSilentLogger(),
    };
    for (const name of [
      'concurrency',
      'shutdownTimeoutMs',
      'lockDurationMs',
      'stalledIntervalMs',
      'jobDeadlineMs',
    ] as const) {
      const value = this.options[name];
      if (!Number.isInteger(value) || value < 1) {
        throw new TypeError(`EditWorkerOptions.${name} must be a positive integer, got ${value}`);
      }
    }
    this.keys = new RedisKeys(this.options.prefix);
  }

  override on<E extends keyof EditWorkerListener>(event: E, listener: EditWorkerListener[E]): this {
    return super.on(event, listener);
  }

  /** Subscribes to cancellations, then starts taking jobs. */
  async start(): Promise<void> {
    if (this.worker) return;
    if (this.closing) throw new Error('EditWorker.start() after close()');
    const { connection, prefix } = this.options;
    this.subscriber = connection.duplicate();
    this.subscriber.on('error', (error) => this.reportError(error));
    this.subscriber.on('message', (_channel, requestId: string) => this.stop(requestId, 'cancel'));
    await this.subscriber.subscribe(this.keys.cancelChannel());
    this.worker = new Worker<EditRequest, JobResult>(EDITS_QUEUE, (job, token) => this.track(job, token), {
      connection,
      prefix,
      concurrency: this.options.concurrency,
      lockDuration: this.options.lockDurationMs,
      stalledInterval: this.options.stalledIntervalMs,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    this.worker.on('error', (error) => this.reportError(error));
    this.worker.on('failed', (job, error) => {
      if (job) this.reportFailed(job, error).catch((e: unknown) => this.reportError(e));
    });
    await this.worker.waitUntilReady();
  }

  private stop(requestId: string, reason: StopReason): void {
    const entry = this.active.get(requestId);
    if (!entry || entry.controller.signal.aborted) return;
    entry.reason = reason;
    entry.controller.abort(
      reason === 'cancel' ? new CancelledError('cancelled by the user') : new Error(reason),
    );
  }

  private async track(job: Job<EditRequest>, token: string | undefined): Promise<JobResult> {
    const controller = new AbortController();
    let finish = () => {};
    const entry: ActiveJob = { controller, done: new Promise<void>((resolve) => (finish = resolve)) };
    this.active.set(job.data.id, entry);
    try {
      return await this.process(job, token, entry);
    } finally {
      this.active.delete(job.data.id);
      finish();
    }
  }

  private async process(
    job: Job<EditRequest>,
    token: string | undefined,
    entry: ActiveJob,
  ): Promise<JobResult> {
    const request = job.data;
    if (await this.isCancelled(request.id)) return this.cancelled(request);
    const lease = await leaseThread({
      threads: this.options.threads,
      thread: request.thread,
      holder: job.id ?? request.id,
      lockDurationMs: this.options.lockDurationMs,
      isCancelled: () => this.isCancelled(request.id),
      onCancelled: () => this.stop(request.id, 'cancel'),
      onError: (error) => this.reportError(error),
    });
    if (!lease) {
      await job.moveToDelayed(Date.now() + this.options.threadBusyRetryMs, token);
      throw new DelayedError();
    }
    const context = createJobContext({
      request,
      deliveries: this.options.deliveries,
      signal: entry.controller.signal,
      jobId: job.id ?? request.id,
      attempt: job.attemptsMade + 1,
      logger: this.options.logger.child({
        jobId: job.id,
        platform: request.thread.platform,
        thread: threadKey(request.thread),
      }),
      onProgress: (p) => job.updateProgress({ ...p }),
    });
    try {
      return await this.run(job, context);
    } catch (error) {
      return await this.stopped(job, token, entry, context, error);
    } finally {
      await lease.release();
    }
  }

  private async run(job: Job<EditRequest>, context: JobContext): Promise<JobOutcome> {
    if (context.attempt === 1 && job.attemptsStarted <= 1) {
      metrics.jobWaitSeconds.observe({ queue: EDITS_QUEUE }, (Date.now() - job.timestamp) / 1000);
    }
    const startedAt = Date.now();
    context.logger.info({ attempt: context.attempt }, 'edit started');
    try {
      const outcome = await this.withDeadline(job.data.id, () => this.options.processor(job.data, context));
      metrics.jobDuration.observe(
        { queue: EDITS_QUEUE, outcome: 'completed' },
        (Date.now() - startedAt) / 1000,
      );
      context.logger.info({ outcome }, 'edit completed');
      return outcome;
    } catch (error) {
      metrics.jobDuration.observe(
        { queue: EDITS_QUEUE, outcome: 'stopped' },
        (Date.now() - startedAt) / 1000,
      );
      throw error;
    }
  }

  /** A job that threw: cancelled, handed back on shutdown, retried later, or failed for good with a reply. */
  private async stopped(
    job: Job<EditRequest>,
    token: string | undefined,
    entry: ActiveJob,
    context: JobContext,
    error: unknown,
  ): Promise<JobResult> {
    const request = job.data;
    if (entry.reason === 'cancel' || (entry.reason === undefined && error instanceof CancelledError)) {
      return this.cancelled(request);
    }
    if (entry.reason === 'shutdown') {
      // Handing the job back does not count as an attempt; another worker (or this one after a restart) takes it.
      await job.moveToWait(token);
      context.logger.warn('edit handed back on shutdown');
      throw new WaitingError();
    }
    const err = error instanceof Error ? error : new Error(String(error));
    const retryable = isCutroomError(err) ? err.retryable : true;
    const maxAttempts = job.opts.attempts ?? 1;
    const final = !retryable || context.attempt >= maxAttempts;
    metrics.jobFailures.inc({
      queue: EDITS_QUEUE,
      code: isCutroomError(err) ? err.code : ErrorCode.Internal,
      final: String(final),
    });
    context.logger.warn({ err, attempt: context.attempt, maxAttempts, final }, 'edit failed');
    if (final) {
      await context.deliver(failureDelivery(request, err));
    } else {
      await context.progress({
        stage: 'queued',
        text: `Something went wrong; trying again (attempt ${context.attempt + 1} of ${maxAttempts}).`,
      });
    }
    if (!retryable) throw new UnrecoverableError(err.message);
    throw err;
  }

  /**
   * Leaves the final reply of a job that failed for good, whoever failed it. A job whose worker died
   * `MAX_STALLED_COUNT + 1` times is failed by BullMQ in the next worker that takes it, without running it:
   * no failure path of ours runs, so this listener speaks for it. A job that failed in our own path has
   * already posted its specific reply under the same idempotency key (before it threw), so this adds nothing.
   */
  private async reportFailed(job: Job<EditRequest>, error: Error): Promise<void> {
    const final = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    if (!final) return;
    const request = job.data;
    const crashes = job.stalledCounter;
    const failure =
      crashes > MAX_STALLED_COUNT
        ? new CutroomError(ErrorCode.JobCrashed, `edit ${request.id}: its worker stopped ${crashes} times`, {
            userMessage: `The worker running this edit stopped unexpectedly ${crashes} times, so I gave up on it. Reply in this thread to try again (your clips are kept), or ask for something simpler.`,
          })
        : error;
    if (crashes > MAX_STALLED_COUNT) {
      metrics.jobFailures.inc({ queue: EDITS_QUEUE, code: ErrorCode.JobCrashed, final: 'true' });
      this.options.logger.error({ jobId: job.id, crashes }, 'edit failed: its workers kept dying');
    }
    await this.options.deliveries.enqueue(failureDelivery(request, failure), { key: failureKey(request.id) });
  }

  /**
   * Races the attempt against the job deadline: at the deadline the attempt is aborted and, whether or not it stops,
   * the caller goes on (a wait that ignores its signal must not hold the thread's lock for ever).
   */
  private async withDeadline<T>(requestId: string, attempt: () => Promise<T>): Promise<T> {
    const limitMs = this.options.jobDeadlineMs;
    const timer = new AbortController();
    const work = attempt();
    const deadline = sleep(limitMs, undefined, { signal: timer.signal }).then(() => {
      this.stop(requestId, 'deadline');
      throw new CutroomError(
        ErrorCode.JobDeadline,
        `edit ${requestId}: the job deadline of ${limitMs} ms passed`,
        {
          userMessage: `This edit took longer than the ${Math.round(limitMs / 60_000)}-minute limit and was stopped. Try a smaller request.`,
        },
      );
    });
    try {
      return await Promise.race([work, deadline]);
    } finally {
      timer.abort();
      deadline.catch(() => {});
      work.catch(() => {});
    }
  }

  private async isCancelled(requestId: string): Promise<boolean> {
    return (await this.options.connection.exists(this.keys.cancelFlag(requestId))) === 1;
  }

  private async cancelled(request: EditRequest): Promise<{ cancelled: true }> {
    await this.options.deliveries.enqueue({
      kind: 'status',
      thread: request.thread,
      requestId: request.id,
      stage: 'cancelled',
      text: 'Cancelled.',
    });
    return { cancelled: true };
  }

  /**
   * Stops taking jobs, lets running ones finish for up to `shutdownTimeoutMs`, then aborts them and
   * hands them back to the queue. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown> | undefined) => {
      try {
        await fn();
      } catch (error) {
        errors.push(error);
      }
    };
    await step(() => this.worker?.pause(true));
    await step(() => this.activeDone(this.options.shutdownTimeoutMs));
    for (const requestId of this.active.keys()) this.stop(requestId, 'shutdown');
    await step(() => this.activeDone(HAND_BACK_GRACE_MS));
    // Jobs still running ignored their signal: leave them to the stalled-job check of another worker.
    await step(() => this.worker?.close(this.active.size > 0));
    await step(() => this.subscriber?.quit());
    for (const error of errors) this.reportError(error);
  }

  /** An `error` event when someone listens (entry points log it), else the logger: never an unhandled throw. */
  private reportError(error: unknown): void {
    if (this.listenerCount(EditWorkerEvents.Error) > 0) this.emit(EditWorkerEvents.Error, error);
    else this.options.logger.error({ err: error }, 'edit worker error');
  }

  /** Resolves when every running job has ended, or after `timeoutMs`. */
  private async activeDone(timeoutMs: number): Promise<void> {
    const timeout = new AbortController();
    await Promise.race([
      Promise.all([...this.active.values()].map((e) => e.done)).finally(() => timeout.abort()),
      sleep(timeoutMs, undefined, { signal: timeout.signal }).catch(() => {}),
    ]);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
