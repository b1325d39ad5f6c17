/** @module Test helper: spawns tests/helpers/edit-worker-process.ts as a real child process and waits for it to be ready. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const ENTRY = path.join(import.meta.dirname, 'edit-worker-process.ts');

export interface ChildWorker {
  child: ChildProcess;
  pid: number;
  exited: Promise<number | null>;
  /** SIGKILL if still running; idempotent. */
  kill(): Promise<void>;
}

export async function spawnChildWorker(env: Record<string, string>): Promise<ChildWorker> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child worker not ready in 20 s: ${stderr}`)), 20_000);
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
  return {
    child,
    pid: child.pid ?? -1,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
