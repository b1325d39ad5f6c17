/**
 * @module Test helper run as a child process: a real EditWorker whose processor sleeps and records each
 * run in a log file, for crash, restart and shutdown tests. Settings come from the environment.
 */
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeliveryQueue } from '../../src/deliveries/delivery-queue.ts';
import { CutroomError, ErrorCode } from '../../src/errors.ts';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { RedisThreadStore } from '../../src/queue/thread-store.ts';
import { EditWorker } from '../../src/worker/edit-worker.ts';

const env = process.env;
const logFile = path.join(env.TEST_LOG_DIR ?? '.', 'runs.log');
const record = (line: string) => appendFileSync(logFile, `${line}\n`);

const connection = createRedisConnection(env.TEST_REDIS_URL ?? '');
const prefix = env.TEST_PREFIX;
const worker = new EditWorker({
  connection,
  prefix,
  deliveries: new DeliveryQueue({ connection, prefix }),
  threads: new RedisThreadStore({ redis: connection, prefix }),
  lockDurationMs: Number(env.TEST_LOCK_MS ?? 2000),
  stalledIntervalMs: Number(env.TEST_STALLED_MS ?? 1000),
  shutdownTimeoutMs: Number(env.TEST_SHUTDOWN_MS ?? 5000),
  processor: async (request, ctx) => {
    const plan = JSON.parse(request.prompt) as { sleepMs?: number; fail?: 'bad_input' };
    record(`start ${request.id} ${process.pid} ${ctx.attempt}`);
    if (plan.fail === 'bad_input') {
      throw new CutroomError(ErrorCode.AssetUnsupported, 'test: unsupported input', {
        userMessage: 'That file is not a video I can read.',
      });
    }
    await ctx.progress({ stage: 'editing', text: 'Editing…' });
    await sleep(plan.sleepMs ?? 0, undefined, { signal: ctx.signal });
    await ctx.deliver({
      kind: 'message',
      thread: request.thread,
      requestId: request.id,
      text: `done by ${process.pid}`,
    });
    record(`end ${request.id} ${process.pid}`);
    return { summary: 'ok' };
  },
});
worker.on('error', (error) => record(`error ${process.pid} ${error.message}`));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, async () => {
    await worker.close();
    await connection.quit().catch(() => {});
    record(`exit ${process.pid}`);
    process.exit(0);
  });
}

await worker.start();
process.stdout.write('ready\n');
