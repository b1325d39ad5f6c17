/**
 * @module The process-wide cap on attachments being downloaded and probed at once (CUTROOM_MAX_CONCURRENT_INGESTS):
 * without it a burst of uploads runs as many downloads and ffprobes as there are messages.
 */

export const DEFAULT_MAX_CONCURRENT_INGESTS = 4;

/** First come, first served slots; a waiter whose signal aborts leaves the line. */
export class IngestSlots {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new TypeError(`IngestSlots size must be ≥ 1, got ${size}`);
  }

  get inUse(): number {
    return this.active;
  }

  /** Runs `work` once a slot is free, and frees it after. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    try {
      return await work();
    } finally {
      this.active -= 1;
      this.waiting.shift()?.();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.active < this.size) {
      this.active += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        signal?.removeEventListener('abort', leave);
        this.active += 1;
        resolve();
      };
      const leave = () => {
        const index = this.waiting.indexOf(grant);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal?.reason);
      };
      this.waiting.push(grant);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }
}

const perLimits = new WeakMap<object, IngestSlots>();

/** One set of slots per limits object: the configuration's, so one per process. */
export function ingestSlotsFor(limits: { maxConcurrentIngests?: number }): IngestSlots {
  let slots = perLimits.get(limits);
  if (!slots) {
    slots = new IngestSlots(limits.maxConcurrentIngests ?? DEFAULT_MAX_CONCURRENT_INGESTS);
    perLimits.set(limits, slots);
  }
  return slots;
}
