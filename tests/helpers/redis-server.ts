/** @module Test helper: a real redis-server on a free loopback port in a temporary directory. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type EmbeddedRedis, startEmbeddedRedis } from '../../src/queue/embedded-redis.ts';

export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** Stops redis-server, keeping its AOF, and starts it again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /** Stops the server and deletes its directory. */
  close(): Promise<void>;
}

export async function startTestRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-redis-'));
  let server: EmbeddedRedis = await startEmbeddedRedis({ dataDir: dir });
  const port = server.port;
  return {
    url: server.url,
    port,
    dir,
    async restart() {
      await server.close();
      server = await startEmbeddedRedis({ dataDir: dir, port });
    },
    async stop() {
      await server.close();
    },
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
