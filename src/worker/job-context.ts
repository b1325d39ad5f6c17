/** @module The context a job runs with: its signal, progress reports and deliveries with idempotency keys. */
import type { DeliveryQueue } from '../deliveries/delivery-queue.ts';
import type { Delivery } from '../deliveries/types.ts';
import { ErrorCode, isCutroomError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { EditRequest } from '../queue/types.ts';
import type { JobContext, JobProgress } from './job-processor.ts';

export interface CreateJobContextOptions {
  request: EditRequest;
  deliveries: Pick<DeliveryQueue, 'enqueue'>;
  signal: AbortSignal;
  jobId: string;
  attempt: number;
  logger: Logger;
  /** Also told of every progress report (the worker keeps it on the job, for the dashboard). */
  onProgress?: (progress: JobProgress) => Promise<unknown>;
}

export function createJobContext(options: CreateJobContextOptions): JobContext {
  const { request, deliveries } = options;
  const counters = new Map<string, number>();
  return {
    signal: options.signal,
    jobId: options.jobId,
    attempt: options.attempt,
    logger: options.logger,
    async progress(p) {
      await Promise.all([
        options.onProgress?.(p),
        deliveries.enqueue({
          kind: 'status',
          thread: request.thread,
          requestId: request.id,
          stage: p.stage,
          text: p.text,
          percent: p.percent,
        }),
      ]);
    },
    async deliver(delivery, deliverOptions = {}) {
      let key = deliverOptions.key;
      if (key === undefined && delivery.kind !== 'status') {
        const n = (counters.get(delivery.kind) ?? 0) + 1;
        counters.set(delivery.kind, n);
        key =
          delivery.kind === 'result'
            ? `${request.id}:result`
            : delivery.kind === 'error'
              ? failureKey(request.id)
              : `${request.id}:${delivery.kind}:${n}`;
      }
      await deliveries.enqueue(delivery, { key });
    },
  };
}

/**
 * The idempotency key of a request's failure reply. The worker's own failure path and its `failed`
 * listener both post under it, so whichever comes first is the only one shown.
 */
export function failureKey(requestId: string): string {
  return `${requestId}:error`;
}

/** The reply a job that failed for good leaves in its thread: the error's user message, or a plain apology. */
export function failureDelivery(request: EditRequest, error: unknown): Delivery {
  return {
    kind: 'error',
    thread: request.thread,
    requestId: request.id,
    code: isCutroomError(error) ? error.code : ErrorCode.Internal,
    text: isCutroomError(error) ? error.userMessage : 'Something went wrong on our side. Please try again.',
  };
}
