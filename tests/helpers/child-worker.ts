/**
 * @module Test helper: runs an edit worker as a real child process and waits until it says it is ready — either
 * tests/helpers/edit-worker-process.ts (a sleeping processor) or the real `cutroom worker` command.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const SLEEPING_WORKER = path.join(import.meta.dirname, 'edit-worker-process.ts');
const CLI = path.resolve(import.meta.dirname, '../../bin/cutroom.js');

export interface ChildWorker {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** SIGKILL if still running; idempotent. */
  kill(): Promise<void>;
}

/** The worker of tests/helpers/edit-worker-process.ts, configured by its `TEST_*` variables. */
export function spawnChildWorker(env: Record<string, string>): Promise<ChildWorker> {
  return spawnUntilReady(['--import', 'tsx', SLEEPING_WORKER], { env: { ...process.env, ...env } });
}

/**
 * `cutroom worker` as an operator runs it, configured only by `env` (nothing inherited but PATH and HOME, so the
 * test's own environment cannot leak in) and started in `cwd`, where it would read a `.env`.
 */
export function spawnCutroomWorker(env: Record<string, string>, cwd: string): Promise<ChildWorker> {
  return spawnUntilReady([CLI, 'worker'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, ...env },
    cwd,
  });
}

async function spawnUntilReady(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd?: string },
): Promise<ChildWorker> {
  const child = spawn(process.execPath, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      kill().finally(() => reject(new Error(`child worker not ready in 30 s: ${stderr}`)));
    }, 30_000);
    child.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child worker exited with ${code}: ${stderr}`));
    });
  });
  return { child, pid: child.pid ?? -1, exited, kill };
}
