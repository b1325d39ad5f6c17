/** @module The edit worker: runs `edits` jobs one browser session each, with progress, cancel, retries and graceful shutdown. */
import { EventEmitter } from 'node:events';
import { DelayedError, type Job, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { CancelledError, CutroomError, ErrorCode, isCutroomError } from '../errors.ts';
import { metrics } from '../http/metrics.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import { DeliveryQueue } from '../queue/delivery-queue.ts';
import { cancelChannel, cancelFlagKey } from '../queue/edit-queue.ts';
import { DEFAULT_PREFIX, EDITS_QUEUE } from '../queue/queue-names.ts';
import { type Delivery, type EditRequest, threadKey } from '../queue/types.ts';
import type { EditContext, EditOutcome, EditProcessor, EditProgress } from './edit-processor.ts';

export interface EditWorkerOptions {
  connection: Redis;
  processor: EditProcessor;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Jobs at once in this process; each holds one browser session. @defaultValue 1 */
  concurrency?: number;
  logger?: Logger;
  /** On close, how long running jobs may take to finish before they are aborted and handed back. @defaultValue 30000 */
  shutdownTimeoutMs?: number;
  /** Least time between two status posts of one request. @defaultValue 1000 */
  progressIntervalMs?: number;
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
  Started: 'started',
  Completed: 'completed',
  Failed: 'failed',
  Cancelled: 'cancelled',
  HandedBack: 'handedBack',
  Error: 'error',
} as const;

export interface EditWorkerListener {
  started: (request: EditRequest, attempt: number) => void;
  completed: (request: EditRequest, outcome: EditOutcome) => void;
  failed: (request: EditRequest, error: Error, final: boolean) => void;
  cancelled: (request: EditRequest) => void;
  handedBack: (request: EditRequest) => void;
  error: (error: Error) => void;
}

type StopReason = 'cancel' | 'shutdown' | 'lost' | 'deadline';

interface ActiveJob {
  controller: AbortController;
  reason?: StopReason;
  done: Promise<void>;
}

const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;
const HAND_BACK_GRACE_MS = 5000;

export class EditWorker extends EventEmitter {
  private readonly options: Required<Omit<EditWorkerOptions, 'logger'>> & { logger: Logger };
  private readonly deliveries: DeliveryQueue;
  private readonly active = new Map<string, ActiveJob>();
  private worker?: Worker<EditRequest, EditOutcome | { cancelled: true }>;
  private subscriber?: Redis;
  private closing?: Promise<void>;

  constructor(options: EditWorkerOptions) {
    super();
    this.options = {
      prefix: DEFAULT_PREFIX,
      concurrency: 1,
      shutdownTimeoutMs: 30_000,
      progressIntervalMs: 1000,
      lockDurationMs: 30_000,
      stalledIntervalMs: 30_000,
      threadBusyRetryMs: 2000,
      jobDeadlineMs: 1_800_000,
      logger: createSilentLogger(),
      ...options,
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
    this.deliveries = new DeliveryQueue({ connection: options.connection, prefix: this.options.prefix });
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
    await this.subscriber.subscribe(cancelChannel(prefix));
    this.worker = new Worker<EditRequest, EditOutcome | { cancelled: true }>(
      EDITS_QUEUE,
      (job, token) => this.track(job, token),
      {
        connection,
        prefix,
        concurrency: this.options.concurrency,
        lockDuration: this.options.lockDurationMs,
        stalledInterval: this.options.stalledIntervalMs,
        // A job that crashed its worker twice is failed rather than crashing a third.
        maxStalledCount: 2,
      },
    );
    this.worker.on('error', (error) => this.reportError(error));
    await this.worker.waitUntilReady();
  }

  /** Requests running in this process. */
  get running(): string[] {
    return [...this.active.keys()];
  }

  private stop(requestId: string, reason: StopReason): void {
    const entry = this.active.get(requestId);
    if (!entry || entry.controller.signal.aborted) return;
    entry.reason = reason;
    entry.controller.abort(
      reason === 'cancel' ? new CancelledError('cancelled by the user') : new Error(reason),
    );
  }

  private async track(job: Job<EditRequest>, token: string | undefined) {
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

  private async process(job: Job<EditRequest>, token: string | undefined, entry: ActiveJob) {
    const request = job.data;
    const { connection, prefix } = this.options;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const logger = this.options.logger.child({
      jobId: job.id,
      platform: request.thread.platform,
      thread: threadKey(request.thread),
    });

    if (await connection.exists(cancelFlagKey(prefix, request.id))) return this.cancelled(request);

    // One request per thread at a time: each builds on the version the previous one made.
    const lockKey = `${prefix}:thread-lock:${threadKey(request.thread)}`;
    const holder = job.id ?? request.id;
    const acquired = await connection.set(lockKey, holder, 'PX', this.options.lockDurationMs, 'NX');
    if (acquired === null && (await connection.get(lockKey)) !== holder) {
      await job.moveToDelayed(Date.now() + this.options.threadBusyRetryMs, token);
      throw new DelayedError();
    }
    const renew = setInterval(
      () => {
        connection
          .eval(RENEW_LOCK, 1, lockKey, holder, this.options.lockDurationMs)
          .catch((error: Error) => this.reportError(error));
        // Pub/sub messages are lost while reconnecting; the flag catches a cancel sent meanwhile.
        connection
          .exists(cancelFlagKey(prefix, request.id))
          .then((flagged) => {
            if (flagged) this.stop(request.id, 'cancel');
          })
          .catch((error: Error) => this.reportError(error));
      },
      Math.max(100, Math.floor(this.options.lockDurationMs / 3)),
    );

    if (attempt === 1 && job.attemptsStarted <= 1) {
      metrics.jobWaitSeconds.observe({ queue: EDITS_QUEUE }, (Date.now() - job.timestamp) / 1000);
    }
    const startedAt = Date.now();
    this.emit(EditWorkerEvents.Started, request, attempt);
    logger.info({ attempt }, 'edit started');
    const progress = this.createProgress(job, request);
    const counters = new Map<string, number>();
    const context: EditContext = {
      signal: entry.controller.signal,
      progress: progress.report,
      deliver: async (delivery: Delivery, options: { key?: string } = {}) => {
        let key = options.key;
        if (key === undefined && delivery.kind !== 'status') {
          const n = (counters.get(delivery.kind) ?? 0) + 1;
          counters.set(delivery.kind, n);
          key =
            delivery.kind === 'result' || delivery.kind === 'error'
              ? `${request.id}:${delivery.kind}`
              : `${request.id}:${delivery.kind}:${n}`;
        }
        await this.deliveries.enqueue(delivery, { key });
      },
      jobId: job.id ?? request.id,
      attempt,
      logger,
    };

    try {
      const outcome = await this.withDeadline(request.id, () => this.options.processor(request, context));
      metrics.jobDuration.observe(
        { queue: EDITS_QUEUE, outcome: 'completed' },
        (Date.now() - startedAt) / 1000,
      );
      this.emit(EditWorkerEvents.Completed, request, outcome);
      logger.info({ outcome }, 'edit completed');
      return outcome;
    } catch (error) {
      metrics.jobDuration.observe(
        { queue: EDITS_QUEUE, outcome: 'stopped' },
        (Date.now() - startedAt) / 1000,
      );
      if (entry.reason === 'cancel' || (entry.reason === undefined && error instanceof CancelledError)) {
        return this.cancelled(request);
      }
      if (entry.reason === 'shutdown') {
        // Handing the job back does not count as an attempt; another worker (or this one after a restart) takes it.
        await job.moveToWait(token);
        this.emit(EditWorkerEvents.HandedBack, request);
        logger.warn('edit handed back on shutdown');
        throw new WaitingError();
      }
      const err = error instanceof Error ? error : new Error(String(error));
      const retryable = isCutroomError(err) ? err.retryable : true;
      const final = !retryable || attempt >= maxAttempts;
      metrics.jobFailures.inc({
        queue: EDITS_QUEUE,
        code: isCutroomError(err) ? err.code : ErrorCode.Internal,
        final: String(final),
      });
      this.emit(EditWorkerEvents.Failed, request, err, final);
      logger.warn({ err, attempt, maxAttempts, final }, 'edit failed');
      if (final) {
        await context.deliver({
          kind: 'error',
          thread: request.thread,
          requestId: request.id,
          code: isCutroomError(err) ? err.code : ErrorCode.Internal,
          text: isCutroomError(err) ? err.userMessage : 'Something went wrong on our side. Please try again.',
        });
      } else {
        await progress.send({
          stage: 'queued',
          text: `Something went wrong; trying again (attempt ${attempt + 1} of ${maxAttempts}).`,
        });
      }
      if (!retryable) throw new UnrecoverableError(err.message);
      throw err;
    } finally {
      progress.dispose();
      clearInterval(renew);
      await connection.eval(RELEASE_LOCK, 1, lockKey, holder).catch(() => {});
    }
  }

  /**
   * Races the attempt against the job deadline: at the deadline the attempt is aborted and, whether or not it stops,
   * the caller goes on (a wait that ignores its signal must not hold the thread's lock for ever).
   */
  private async withDeadline<T>(requestId: string, attempt: () => Promise<T>): Promise<T> {
    const limitMs = this.options.jobDeadlineMs;
    let timer: NodeJS.Timeout | undefined;
    const work = attempt();
    try {
      return await Promise.race([
        work,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            this.stop(requestId, 'deadline');
            reject(
              new CutroomError(
                ErrorCode.JobDeadline,
                `edit ${requestId}: the job deadline of ${limitMs} ms passed`,
                {
                  userMessage: `This edit took longer than the ${Math.round(limitMs / 60_000)}-minute limit and was stopped. Try a smaller request.`,
                },
              ),
            );
          }, limitMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
      work.catch(() => {});
    }
  }

  private async cancelled(request: EditRequest) {
    await this.deliveries.enqueue(
      {
        kind: 'status',
        thread: request.thread,
        requestId: request.id,
        stage: 'cancelled',
        text: 'Cancelled.',
      },
      { key: `${request.id}:cancelled` },
    );
    this.emit(EditWorkerEvents.Cancelled, request);
    return { cancelled: true as const };
  }

  /** Status posts at most every `progressIntervalMs`, except stage changes; the latest skipped one is sent late. */
  private createProgress(job: Job<EditRequest>, request: EditRequest) {
    const interval = this.options.progressIntervalMs;
    let lastSentAt = 0;
    let lastStage: string | undefined;
    let pending: EditProgress | undefined;
    let timer: NodeJS.Timeout | undefined;
    let disposed = false;
    const send = async (p: EditProgress) => {
      lastSentAt = Date.now();
      lastStage = p.stage;
      await Promise.all([
        job.updateProgress({ stage: p.stage, percent: p.percent, text: p.text, artifacts: p.artifacts }),
        this.deliveries.enqueue({
          kind: 'status',
          thread: request.thread,
          requestId: request.id,
          stage: p.stage,
          text: p.text,
          percent: p.percent,
        }),
      ]);
    };
    const report = async (p: EditProgress) => {
      if (disposed) return;
      const wait = lastSentAt + interval - Date.now();
      if (p.stage !== lastStage || wait <= 0) {
        clearTimeout(timer);
        timer = undefined;
        pending = undefined;
        await send(p);
        return;
      }
      pending = p;
      timer ??= setTimeout(() => {
        timer = undefined;
        const next = pending;
        pending = undefined;
        if (next && !disposed) send(next).catch((error: Error) => this.reportError(error));
      }, wait);
    };
    const dispose = () => {
      disposed = true;
      clearTimeout(timer);
    };
    return { report, send, dispose };
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
    await step(() => waitFor(this.activeDone(), this.options.shutdownTimeoutMs));
    for (const requestId of this.active.keys()) this.stop(requestId, 'shutdown');
    await step(() => waitFor(this.activeDone(), HAND_BACK_GRACE_MS));
    // Jobs still running ignored their signal: leave them to the stalled-job check of another worker.
    await step(() => this.worker?.close(this.active.size > 0));
    await step(() => this.subscriber?.quit());
    await step(() => this.deliveries.close());
    for (const error of errors) this.reportError(error);
  }

  /** An `error` event when someone listens (entry points log it), else the logger: never an unhandled throw. */
  private reportError(error: unknown): void {
    if (this.listenerCount(EditWorkerEvents.Error) > 0) this.emit(EditWorkerEvents.Error, error);
    else this.options.logger.error({ err: error }, 'edit worker error');
  }

  private activeDone(): Promise<void> {
    return Promise.all([...this.active.values()].map((e) => e.done)).then(() => {});
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

async function waitFor(promise: Promise<void>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([promise, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  } finally {
    clearTimeout(timer);
  }
}
