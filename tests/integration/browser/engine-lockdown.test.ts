/**
 * Real Chromium against a real local HTTP server: a code action can reach nothing but the operator origin.
 * The server counts every request it sees; it must see none.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { createSilentLogger } from '../../../src/logger.ts';

let server: Server;
let origin: string;
const seen: string[] = [];
const blocked: string[] = [];
let pool: BrowserPool;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    res.end('secret');
  });
  server.on('upgrade', (req, socket) => {
    seen.push(`UPGRADE ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logger = createSilentLogger();
  pool = new BrowserPool({
    provider: new LocalBrowserProvider({ logger }),
    logger,
    size: 0,
    onBlocked: (url) => blocked.push(url),
  });
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await new Promise((resolve) => server?.close(resolve));
});

it('blocks fetch, images, beacons, WebSockets, workers and frames to any other origin', async () => {
  const session = await pool.acquire();
  try {
    const result = await session.runCode(`
      const target = 'http://${origin}';
      const outcomes = {};
      try { await fetch(target + '/fetch'); outcomes.fetch = 'reached'; } catch (e) { outcomes.fetch = 'blocked'; }
      try { await fetch(target + '/post', { method: 'POST', body: 'x', mode: 'no-cors' }); outcomes.post = 'reached'; } catch (e) { outcomes.post = 'blocked'; }
      outcomes.image = await new Promise((resolve) => {
        const img = new Image();
        img.onload = () => resolve('reached');
        img.onerror = () => resolve('blocked');
        img.src = target + '/image.png';
      });
      outcomes.beacon = navigator.sendBeacon(target + '/beacon', 'x') ? 'queued' : 'refused';
      outcomes.socket = await new Promise((resolve) => {
        try {
          const ws = new WebSocket('ws://${origin}/socket');
          ws.onopen = () => resolve('reached');
          ws.onerror = () => resolve('blocked');
          ws.onclose = () => resolve('blocked');
        } catch (e) { resolve('blocked'); }
      });
      try { new Worker(target + '/worker.js'); outcomes.worker = 'created'; } catch (e) { outcomes.worker = 'blocked'; }
      const frame = document.createElement('iframe');
      frame.src = target + '/frame';
      document.body.appendChild(frame);
      try { await import(target + '/module.js'); outcomes.import = 'reached'; } catch (e) { outcomes.import = 'blocked'; }
      await new Promise((r) => setTimeout(r, 1000));
      console.log(JSON.stringify(outcomes));
    `);
    expect(result.ok).toBe(true);
    const outcomes = JSON.parse(result.logs[0]);
    expect(outcomes).toMatchObject({
      fetch: 'blocked',
      post: 'blocked',
      image: 'blocked',
      socket: 'blocked',
      import: 'blocked',
    });
    // Give anything queued (beacons, the frame) time to try, then check the server saw nothing at all.
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual([]);
    expect(blocked.length).toBeGreaterThan(0);
  } finally {
    await session.release();
  }
});

it('gives the page no access to Node, the file system or the operator secrets', async () => {
  const session = await pool.acquire();
  try {
    const result = await session.runCode(`
      console.log(typeof process, typeof require, typeof window.__cutroomSecrets);
      let file;
      try { await fetch('file:///etc/passwd'); file = 'reached'; } catch { file = 'blocked'; }
      console.log(file);
    `);
    expect(result.logs).toEqual(['undefined undefined undefined', 'blocked']);
  } finally {
    await session.release();
  }
});

it('discards a download a code action starts: only the render hands a file to Node', async () => {
  const session = await pool.acquire();
  try {
    const started = session.currentPage.waitForEvent('download');
    const result = await session.runCode(`
      const link = document.createElement('a');
      link.href = URL.createObjectURL(new Blob(['not a render']));
      link.download = 'stolen.mp4';
      link.click();
    `);
    expect(result.ok).toBe(true);
    const download = await started;
    await expect
      .poll(async () => {
        const file = await download.path().catch(() => null);
        return file !== null && existsSync(file);
      })
      .toBe(false);
  } finally {
    await session.release();
  }
});
