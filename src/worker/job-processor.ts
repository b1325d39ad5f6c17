/** @module The contract between the edit worker (or `cutroom edit`) and the code that does one job. */
import type { EditUsage } from '../agent/run-edit.ts';
import type { Delivery, Stage } from '../deliveries/types.ts';
import type { Logger } from '../logger.ts';
import type { ArtifactRef, EditRequest } from '../queue/types.ts';

export interface JobProgress {
  stage: Stage;
  /** 0–100 when known. */
  percent?: number;
  text: string;
  /** Files produced so far (preview sheets …), for the dashboard. */
  artifacts?: ArtifactRef[];
}

export interface JobContext {
  /** Aborted on cancel or shutdown; pass it to every wait (LLM calls, browser). */
  signal: AbortSignal;
  /** Reports progress; report as often as you like, the thread shows the newest at its own pace. */
  progress(progress: JobProgress): Promise<void>;
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

/** What a job ended with (the agent's own `EditOutcome` is one step inside it). */
export interface JobOutcome {
  /** The thread's version the job made or went back to, if any. */
  version?: number;
  summary?: string;
  /** What the agent spent, when it ran. */
  usage?: EditUsage;
}

/**
 * Does one job. Throw a CutroomError: `retryable` ones are retried with backoff; others fail at once
 * and the worker posts the error's `userMessage`. Anything else counts as retryable.
 */
export type JobProcessor = (request: EditRequest, context: JobContext) => Promise<JobOutcome>;
