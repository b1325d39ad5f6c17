// Redis-only suite: `cutroom start` runs as a real process and starts its own redis-server.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../../src/queue/embedded-redis.ts';
import { startTestRedis } from '../../helpers/redis-server.ts';

const BIN = path.resolve(import.meta.dirname, '../../../bin/cutroom.js');

function portAcceptsConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('cutroom start', () => {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child?.once('exit', r));
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  async function runCli(command: string, extraEnv: Record<string, string> = {}) {
    dataDir = await mkdtemp(path.join(tmpdir(), 'cutroom-start-'));
    const httpPort = await findFreePort();
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: dataDir,
      CUTROOM_DATA_DIR: dataDir,
      CUTROOM_PORT: String(httpPort),
      CUTROOM_HOST: '127.0.0.1',
      CUTROOM_LOG_LEVEL: 'warn',
      ...extraEnv,
    };
    const proc = spawn(process.execPath, [BIN, command], {
      cwd: dataDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let stdout = '';
    let stderr = '';
    proc.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready in 30 s: ${stdout} ${stderr}`)), 30_000);
      proc.stdout?.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (stdout.includes('ready')) {
          clearTimeout(timer);
          resolve(stdout);
        }
      });
      proc.once('exit', (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    return { proc, ready, exited, httpPort, dataDir };
  }

  it('starts an embedded redis-server without REDIS_URL and stops it on SIGTERM', async () => {
    const { proc, ready, exited, httpPort, dataDir: dir } = await runCli('start');

    const redisUrl = /redis (redis:\/\/127\.0\.0\.1:\d+) embedded/.exec(ready)?.[1];
    expect(redisUrl).toBeDefined();
    const redis = new Redis(redisUrl ?? '', { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    expect(await redis.call('CONFIG', 'GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.call('CONFIG', 'GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    redis.disconnect();
    const health = await fetch(`http://127.0.0.1:${httpPort}/healthz`);
    expect(health.status).toBe(200);

    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await portAcceptsConnections(Number(new URL(redisUrl ?? '').port))).toBe(false);
    expect(existsSync(path.join(dir, 'redis', 'appendonlydir'))).toBe(true);
  });

  it('uses the server in REDIS_URL for `cutroom worker` and leaves it running on exit', async () => {
    const redis = await startTestRedis();
    try {
      const { proc, ready, exited, httpPort } = await runCli('worker', { REDIS_URL: redis.url });
      expect(ready).toContain(`redis ${redis.url})`);
      expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`)).status).toBe(200);
      proc.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await portAcceptsConnections(redis.port)).toBe(true);
    } finally {
      await redis.close();
    }
  });
});
