/** @module Keeps status edits per request in order and at most about one per interval, dropping superseded ones. */

export interface StatusThrottleOptions {
  /** Minimum time between two applied updates of one key. @defaultValue 1000 */
  intervalMs?: number;
}

interface Lane {
  chain: Promise<void>;
  latest: number;
}

/**
 * Chat platforms rate-limit message edits (Slack: about one per second per message), and a worker
 * can report progress far faster. Updates for one key run one at a time; a non-final update waits
 * out the interval and is skipped when a newer one arrived meanwhile, so the last word always lands.
 */
export class StatusThrottle {
  private readonly intervalMs: number;
  private readonly lanes = new Map<string, Lane>();
  private readonly lastAppliedAt = new Map<string, number>();

  constructor(options: StatusThrottleOptions = {}) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /**
   * Runs `apply` for `key` unless a newer update supersedes it first. Final updates (`urgent`) never wait.
   * Resolves `true` when applied, `false` when superseded; rejects with `apply`'s error.
   */
  run(
    key: string,
    apply: () => Promise<void>,
    options: { urgent?: boolean; signal?: AbortSignal } = {},
  ): Promise<boolean> {
    this.forgetIdle();
    const lane = this.lanes.get(key) ?? { chain: Promise.resolve(), latest: 0 };
    this.lanes.set(key, lane);
    const ticket = ++lane.latest;
    const result = lane.chain.then(async () => {
      if (!options.urgent) {
        const waitMs = (this.lastAppliedAt.get(key) ?? 0) + this.intervalMs - Date.now();
        if (waitMs > 0) {
          await sleep(waitMs, options.signal);
          if (ticket !== lane.latest) return false;
        }
      }
      try {
        await apply();
      } finally {
        this.lastAppliedAt.set(key, Date.now());
      }
      return true;
    });
    const release = () => {
      if (lane.latest === ticket) this.lanes.delete(key);
    };
    lane.chain = result.then(release, release);
    return result;
  }

  private forgetIdle(): void {
    const cutoff = Date.now() - this.intervalMs;
    for (const [key, at] of this.lastAppliedAt) if (at < cutoff) this.lastAppliedAt.delete(key);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
