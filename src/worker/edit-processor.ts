/** @module The contract between the edit worker and the code that does an edit (agent + browser). */
import type { Logger } from '../logger.ts';
import type { ArtifactRef, Delivery, EditRequest, Stage } from '../queue/types.ts';

export interface EditProgress {
  stage: Stage;
  /** 0–100 when known. */
  percent?: number;
  text: string;
  /** Files produced so far (preview sheets …), for the dashboard. */
  artifacts?: ArtifactRef[];
}

export interface EditContext {
  /** Aborted on cancel or shutdown; pass it to every wait (LLM calls, browser). */
  signal: AbortSignal;
  /** Updates the request's status message (throttled to about one post a second). */
  progress(progress: EditProgress): Promise<void>;
  /**
   * Posts into the thread. Each delivery gets an idempotency key (default: request id, kind and its
   * count within this attempt), so a retried job re-posting the same things posts nothing twice.
   */
  deliver(delivery: Delivery, options?: { key?: string }): Promise<void>;
  jobId: string;
  /** 1 on the first try, counting crashes and retries. */
  attempt: number;
  /** Carries `jobId`, `platform` and `thread`. */
  logger: Logger;
}

export interface EditOutcome {
  /** The version the edit produced, if any. */
  version?: number;
  summary?: string;
}

/**
 * Does one edit. Throw a CutroomError: `retryable` ones are retried with backoff; others fail at once
 * and the worker posts the error's `userMessage`. Anything else counts as retryable.
 */
export type EditProcessor = (request: EditRequest, context: EditContext) => Promise<EditOutcome>;
