/** @module Waiting on a page: every wait has a timeout and a signal, and fails fast when the page or browser dies. */
import type { Page } from 'playwright-core';
import { BrowserClosedError, CancelledError, TimeoutError } from '../errors.ts';

export interface PageWaitOptions {
  page: Page;
  /** What is being waited for, for error messages: `runCode`, `render at 40%`… */
  what: string | (() => string);
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Races `work` against the timeout, the signal, and the page closing or crashing; cleans up its listeners. */
export async function waitOnPage<T>(work: Promise<T>, options: PageWaitOptions): Promise<T> {
  const { page, timeoutMs, signal } = options;
  const what = () => (typeof options.what === 'function' ? options.what() : options.what);
  const cleanups: (() => void)[] = [];
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        const timer = setTimeout(
          () => reject(new TimeoutError(`${what()}: ${timeoutMs} ms exceeded`)),
          timeoutMs,
        );
        cleanups.push(() => clearTimeout(timer));
        const onClose = () => reject(new BrowserClosedError(`${what()}: the page was closed`));
        const onCrash = () => reject(new BrowserClosedError(`${what()}: the page crashed`));
        page.on('close', onClose);
        page.on('crash', onCrash);
        cleanups.push(() => {
          page.off('close', onClose);
          page.off('crash', onCrash);
        });
        if (signal) {
          const onAbort = () => reject(new CancelledError(`${what()}: cancelled`));
          if (signal.aborted) onAbort();
          signal.addEventListener('abort', onAbort, { once: true });
          cleanups.push(() => signal.removeEventListener('abort', onAbort));
        }
      }),
    ]);
  } finally {
    for (const cleanup of cleanups) cleanup();
    // The losing side may still reject later; nobody is listening then.
    work.catch(() => {});
  }
}
