/** @module Runs a private `redis-server` on a free loopback port, with AOF data in the data directory. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { CutroomError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';

export interface EmbeddedRedisOptions {
  /** Redis keeps its files in `<dataDir>/redis`. */
  dataDir: string;
  logger?: Logger;
  /** A fixed port (to restart on the same address); free loopback port when unset. */
  port?: number;
  /** @defaultValue 'redis-server' from PATH */
  binary?: string;
  /** How long to wait for "ready". @defaultValue 10000 */
  timeoutMs?: number;
}

export interface EmbeddedRedis {
  url: string;
  port: number;
  /** Stops the server (SIGTERM flushes the AOF) and waits for it to exit. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port assigned'));
      });
    });
  });
}

export async function startEmbeddedRedis(options: EmbeddedRedisOptions): Promise<EmbeddedRedis> {
  const dir = path.join(options.dataDir, 'redis');
  await mkdir(dir, { recursive: true });
  const fixedPort = options.port;
  // A free port can be taken between probing and binding; try a few before giving up.
  for (let attempt = 1; ; attempt++) {
    const port = fixedPort ?? (await findFreePort());
    try {
      return await launch({ ...options, dir, port });
    } catch (error) {
      if (fixedPort !== undefined || attempt >= 3 || !(error instanceof PortInUseError)) throw error;
    }
  }
}

class PortInUseError extends Error {}

async function launch(options: EmbeddedRedisOptions & { dir: string; port: number }): Promise<EmbeddedRedis> {
  const { dir, port, logger } = options;
  const binary = options.binary ?? 'redis-server';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new CutroomError(
          ErrorCode.RedisUnavailable,
          `redis-server did not become ready on 127.0.0.1:${port} within ${timeoutMs} ms: ${tail(output)}`,
        ),
      );
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        cleanup();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      const message = `redis-server exited with code ${code} before becoming ready: ${tail(output)}`;
      reject(
        output.includes('Address already in use')
          ? new PortInUseError(message)
          : new CutroomError(ErrorCode.RedisUnavailable, message),
      );
    };
    const onError = (error: Error) => {
      cleanup();
      reject(
        new CutroomError(
          ErrorCode.ToolMissing,
          `cannot run ${binary}: ${error.message}; install redis-server or set REDIS_URL`,
          { cause: error },
        ),
      );
    };
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once('exit', onExit);
    child.once('error', onError);
  });

  child.stdout?.resume();
  child.stderr?.resume();
  logger?.info({ port, dir }, 'embedded redis-server started');
  let closing: Promise<void> | undefined;
  child.once('exit', (code, signal) => {
    if (!closing) logger?.error({ port, code, signal }, 'embedded redis-server stopped unexpectedly');
  });
  const close = () => {
    closing ??= stop(child, exited).then(() => logger?.info({ port }, 'embedded redis-server stopped'));
    return closing;
  };
  return { url: `redis://127.0.0.1:${port}`, port, close, [Symbol.asyncDispose]: close };
}

async function stop(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

function tail(text: string): string {
  return text.trim().split('\n').slice(-3).join(' | ');
}
