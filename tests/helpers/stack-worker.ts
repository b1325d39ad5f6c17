/**
 * @module Test helper: a test stack's edit worker. It runs in the test's process the way `cutroom worker` starts it,
 * and can hand the queue over to real `cutroom worker` processes for cases that kill workers.
 */
import { type Closable, closeAll } from '../../src/commands/runtime.ts';
import { startEditWorker } from '../../src/commands/worker.ts';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/logger.ts';
import type { Services } from '../../src/open-services.ts';
import { findFreePort } from '../../src/queue/embedded-redis.ts';
import { type ChildWorker, spawnCutroomWorker } from './child-worker.ts';

/** Real `cutroom worker` processes serving a stack's queue in place of its in-process worker. */
export interface WorkerProcesses {
  /** SIGKILLs every worker process at once (a host going down), then starts as many fresh ones, as a supervisor would. */
  crash(): Promise<void>;
  /** Kills the processes and gives the queue back to the in-process worker. Idempotent. */
  close(): Promise<void>;
}

export interface StackWorkerOptions {
  services: Services;
  config: Config;
  /** The environment `config` was loaded from: worker processes get the same. */
  env: Record<string, string>;
  logger: Logger;
}

export class StackWorker {
  private parts: Closable[] = [];
  private readonly processes = new Set<WorkerProcesses>();
  private closing = false;

  constructor(private readonly options: StackWorkerOptions) {}

  /** Starts the in-process worker: browser pool, retention sweep, edit worker. */
  async start(): Promise<void> {
    const { services, logger, config } = this.options;
    await startEditWorker(services, logger, config, this.parts);
  }

  /**
   * Stops the in-process worker and starts `count` `cutroom worker` processes on the stack's Redis (and key prefix),
   * fakes and data directory. Their lock is 1 s, so a killed worker's job is taken over in seconds, not 30.
   */
  async handToProcesses(count: number): Promise<WorkerProcesses> {
    const { services, config, env, logger } = this.options;
    await closeAll(this.parts.splice(0), logger);
    // The closed worker's last stalled-job check holds BullMQ's check key for its whole 30 s interval; the
    // processes' 1 s checks would wait that out before the first takeover.
    await services.redis.del(services.edits.queue.keys['stalled-check']);
    const spawnOne = async () =>
      spawnCutroomWorker(
        {
          ...env,
          CUTROOM_REDIS_PREFIX: services.prefix,
          CUTROOM_PORT: String(await findFreePort()),
          CUTROOM_HOST: '127.0.0.1',
          CUTROOM_WORKER_LOCK_SECONDS: '1',
          CUTROOM_LOG_LEVEL: 'warn',
        },
        config.dataDir,
      );
    const live: ChildWorker[] = [];
    // Every start settles before a failure is thrown, so no process started meanwhile escapes `killAll`.
    const spawnAll = async () => {
      const started = await Promise.allSettled(Array.from({ length: count }, spawnOne));
      for (const result of started) if (result.status === 'fulfilled') live.push(result.value);
      const failed = started.find((result) => result.status === 'rejected');
      if (failed) throw failed.reason;
    };
    const killAll = () => Promise.all(live.splice(0).map((w) => w.kill()));
    let closing: Promise<void> | undefined;
    const handle: WorkerProcesses = {
      async crash() {
        await killAll();
        await spawnAll();
      },
      close: () => {
        closing ??= (async () => {
          this.processes.delete(handle);
          await killAll();
          if (!this.closing) await this.start();
        })();
        return closing;
      },
    };
    this.processes.add(handle);
    try {
      await spawnAll();
    } catch (error) {
      await handle.close();
      throw error;
    }
    return handle;
  }

  /** Kills any worker processes and stops the in-process worker. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.processes].map((p) => p.close()));
    await closeAll(this.parts.splice(0), this.options.logger);
  }
}
