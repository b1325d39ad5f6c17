/** @module The handler runs a bot has started, so closing waits for them (and tells them to stop). */

/**
 * Platforms acknowledge an event before the bot works on it, so a bot that stops must let the work
 * it took on finish (or drop it on purpose via `signal`), never cut it off midway by exiting.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();
  private readonly controller = new AbortController();

  /** Aborted once closing starts: long waits (downloads) end, and their requests are dropped. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Runs `work` unless closing has started; its failure is the caller's to handle. */
  run<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.controller.signal.aborted) return Promise.resolve(undefined);
    const promise = work();
    this.running.add(promise);
    const forget = () => this.running.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  /** Refuses new work, aborts `signal` and waits for what runs. Idempotent. */
  async close(reason: string): Promise<void> {
    if (!this.controller.signal.aborted) this.controller.abort(new Error(reason));
    await Promise.allSettled([...this.running]);
  }
}
