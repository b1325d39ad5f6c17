/** @module Periodic retention sweep of the artifact store: a thread's files go when its state expires (CUTROOM_RETENTION_DAYS). */
import type { Logger } from '../logger.ts';
import type { ArtifactStore } from '../queue/artifact-store.ts';
import type { RedisThreadStore } from '../queue/thread-store.ts';

export interface RetentionSweeperOptions {
  store: ArtifactStore;
  /** Says which threads are still alive; their lifetime is the retention. */
  threads: Pick<RedisThreadStore, 'hasLiveArtifacts' | 'lifetimeMs'>;
  /** @defaultValue 3600000 (hourly) */
  intervalMs?: number;
  logger: Logger;
}

/** Sweeps once at start, then every `intervalMs`. Every worker may run one: deletions are idempotent. */
export function startRetentionSweeper(options: RetentionSweeperOptions): { close(): Promise<void> } {
  const { store, threads, logger } = options;
  if (threads.lifetimeMs <= 0) return { close: async () => {} };
  let running: Promise<void> = Promise.resolve();
  const sweep = () => {
    running = store
      .sweep({ olderThanMs: threads.lifetimeMs, isLive: (scope) => threads.hasLiveArtifacts(scope) })
      .then((deleted) => {
        if (deleted > 0) logger.info({ deleted }, 'retention sweep deleted old artifacts');
      })
      .catch((error: Error) => logger.warn({ err: error }, 'retention sweep failed'));
  };
  sweep();
  const timer = setInterval(sweep, options.intervalMs ?? 3_600_000);
  timer.unref();
  return {
    async close() {
      clearInterval(timer);
      await running;
    },
  };
}
