/** @module The error a delivery handler throws when the platform says "slow down" (HTTP 429). */

/** Thrown by delivery handlers on a platform rate limit; the consumer waits `retryAfterMs` and tries again. */
export class RetryAfterError extends Error {
  readonly retryAfterMs: number;

  constructor(message: string, retryAfterMs: number, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'RetryAfterError';
    this.retryAfterMs = retryAfterMs;
  }
}

/** Any error carrying a positive numeric `retryAfterMs` counts, so platform clients' own errors can be passed through. */
export function retryAfterMsOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
}
