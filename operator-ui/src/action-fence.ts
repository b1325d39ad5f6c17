/**
 * @module Ends everything a code action left running when it ends: timers, intervals, animation frames, idle
 * callbacks, workers and frames. Without it `setTimeout(() => { for (;;) {} }, 200)` returns ok and hangs every
 * later action (and the render).
 *
 * The page's timer functions are replaced once, before any code runs, by versions that remember what was scheduled
 * while an action runs (or from a callback that was itself scheduled by one); `run` clears all of it at the end.
 */

type Cleanup = () => void;

export class ActionFence {
  private depth = 0;
  private readonly pending = new Map<object, Cleanup>();

  constructor() {
    this.wrapTimers();
    this.wrapWorkers();
  }

  /** Runs one action; whatever it scheduled and did not finish is cancelled once it settles. */
  async run<T>(action: () => Promise<T>): Promise<T> {
    this.depth += 1;
    try {
      return await action();
    } finally {
      this.depth -= 1;
      this.clear();
    }
  }

  private get tracking(): boolean {
    return this.depth > 0;
  }

  private clear(): void {
    for (const cleanup of [...this.pending.values()]) cleanup();
    this.pending.clear();
    // Frames share this page's thread: their timers run here too, so frames an action made go with it.
    for (const frame of document.querySelectorAll('iframe, frame, object, embed')) frame.remove();
  }

  /** Runs a callback that an action scheduled as part of that action, so what it schedules is tracked too. */
  private inAction<A extends unknown[]>(callback: (...args: A) => unknown): (...args: A) => unknown {
    return (...args: A) => {
      this.depth += 1;
      try {
        return callback(...args);
      } finally {
        this.depth -= 1;
      }
    };
  }

  private wrapTimers(): void {
    const fence = this;
    const scheduler = <A extends unknown[]>(
      name: 'setTimeout' | 'setInterval' | 'requestAnimationFrame' | 'requestIdleCallback',
      cancel: (id: number) => void,
      repeats: boolean,
    ) => {
      const original = window[name].bind(window) as (callback: unknown, ...rest: A) => number;
      function scheduled(callback: unknown, ...rest: A): number {
        if (!fence.tracking || typeof callback !== 'function') return original(callback, ...rest);
        const key = {};
        const id = original(
          fence.inAction((...args: unknown[]) => {
            if (!repeats) fence.pending.delete(key);
            return (callback as (...args: unknown[]) => unknown)(...args);
          }),
          ...rest,
        );
        fence.pending.set(key, () => cancel(id));
        return id;
      }
      Object.defineProperty(window, name, { value: scheduled, writable: false, configurable: false });
    };
    scheduler('setTimeout', window.clearTimeout.bind(window), false);
    scheduler('setInterval', window.clearInterval.bind(window), true);
    scheduler('requestAnimationFrame', window.cancelAnimationFrame.bind(window), false);
    scheduler('requestIdleCallback', window.cancelIdleCallback.bind(window), false);
  }

  private wrapWorkers(): void {
    const fence = this;
    const Original = window.Worker;
    class Worker extends Original {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        if (fence.tracking) fence.pending.set(this, () => this.terminate());
      }
    }
    Object.defineProperty(window, 'Worker', { value: Worker, writable: false, configurable: false });
  }
}
