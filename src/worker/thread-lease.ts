/** @module A job's hold on its thread: the run lock, renewed while the job runs, with a watch on the cancel flag. */
import type { RedisThreadStore } from '../queue/thread-store.ts';
import type { ThreadRef } from '../queue/types.ts';

export interface LeaseThreadOptions {
  threads: Pick<RedisThreadStore, 'acquireLock' | 'renewLock' | 'releaseLock'>;
  thread: ThreadRef;
  /** The job id: a recovered job takes over its own lock. */
  holder: string;
  /** The lock lapses this long after the last renewal (a dead worker's thread frees itself). */
  lockDurationMs: number;
  /** Asked at every renewal; cancellations sent by pub/sub are lost while Redis reconnects. */
  isCancelled(): Promise<boolean>;
  onCancelled(): void;
  /** Renewal failures (Redis down); the lease keeps trying. */
  onError(error: Error): void;
}

export interface ThreadLease {
  /** Stops renewing and frees the thread. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the thread's run lock for the job, or returns undefined while another job of the thread runs.
 * One request runs per thread at a time: each builds on the version the previous one made.
 */
export async function leaseThread(options: LeaseThreadOptions): Promise<ThreadLease | undefined> {
  const { threads, thread, holder, lockDurationMs } = options;
  if (!(await threads.acquireLock(thread, holder, lockDurationMs))) return undefined;
  const renew = setInterval(
    () => {
      threads.renewLock(thread, holder, lockDurationMs).catch(options.onError);
      options
        .isCancelled()
        .then((cancelled) => {
          if (cancelled) options.onCancelled();
        })
        .catch(options.onError);
    },
    Math.max(100, Math.floor(lockDurationMs / 3)),
  );
  let released: Promise<void> | undefined;
  return {
    release() {
      clearInterval(renew);
      released ??= threads.releaseLock(thread, holder).catch(options.onError);
      return released;
    },
  };
}
