/** @module Test helper: runs `cutroom browser-server` as a separate process, the way a deployment does. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';

const BIN = path.resolve(import.meta.dirname, '..', '..', 'bin', 'cutroom.js');

export interface BrowserServerProcess {
  wsEndpoint: string;
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr so far (its logs). */
  stderr(): string;
  /** SIGKILL: the way a crashed machine or an OOM kill ends it. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

export interface SpawnBrowserServerOptions {
  token?: string;
  maxSessions?: number;
  env?: Record<string, string>;
  startTimeoutMs?: number;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts the CLI on a free loopback port and resolves once it prints its endpoint. */
export async function spawnBrowserServer(
  options: SpawnBrowserServerOptions = {},
): Promise<BrowserServerProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    CUTROOM_LOG_LEVEL: 'info',
    ...(options.token === undefined ? {} : { CUTROOM_BROWSER_TOKEN: options.token }),
    ...options.env,
  };
  const child = spawn(
    process.execPath,
    [
      BIN,
      'browser-server',
      '--port',
      '0',
      '--host',
      '127.0.0.1',
      '--max-sessions',
      String(options.maxSessions ?? 2),
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe'], cwd: path.dirname(BIN) },
  );
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const kill = async () => {
    child.kill('SIGKILL');
    await exited(child);
  };
  const stop = async () => {
    child.kill('SIGTERM');
    await exited(child);
  };
  try {
    const wsEndpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`browser-server did not start in time; stderr:\n${err}`)),
        options.startTimeoutMs ?? 90_000,
      );
      child.stdout?.on('data', (chunk) => {
        out += chunk;
        const match = /(ws:\/\/\S+\/)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`browser-server exited with ${code}; stderr:\n${err}`));
      });
    });
    return {
      wsEndpoint,
      url: wsEndpoint.replace(/^ws/, 'http').replace(/\/$/, ''),
      child,
      stderr: () => err,
      kill,
      stop,
    };
  } catch (error) {
    await kill();
    throw error;
  }
}

/** Runs the CLI to completion (for commands expected to fail fast), returning exit code and output. */
export async function runBrowserServerCommand(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [BIN, 'browser-server', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: path.dirname(BIN),
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c) => {
    stdout += c;
  });
  child.stderr?.on('data', (c) => {
    stderr += c;
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return { code, stdout, stderr };
}
