/** @module Names of the queues and Redis keys shared by bots and workers. */
import type { Platform } from './types.ts';

/** One job per user request. */
export const EDITS_QUEUE = 'edits';

/**
 * One queue per platform, so each bot process consumes only the deliveries it can post.
 * (BullMQ cannot filter one queue by job data, and forbids `:` in queue names.)
 */
export function deliveriesQueueName(platform: Platform): string {
  return `deliveries-${platform}`;
}

/** Prefix of every key cutroom writes; tests pass a unique one. */
export const DEFAULT_PREFIX = 'cutroom';

/**
 * BullMQ rejects job ids that contain `:` (platform keys such as `slack:Ev01` do) or are integers.
 * This escaping is injective, so distinct keys never share a job id.
 */
export function jobIdFor(key: string): string {
  const escaped = key.replaceAll('%', '%25').replaceAll(':', '%3A');
  return /^\d+$/.test(escaped) ? `%N${escaped}` : escaped;
}

export function keyFromJobId(jobId: string): string {
  const body = jobId.startsWith('%N') ? jobId.slice(2) : jobId;
  return body.replaceAll('%3A', ':').replaceAll('%25', '%');
}
