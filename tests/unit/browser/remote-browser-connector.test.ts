/** RemoteBrowserConnector against fake servers that refuse the WebSocket upgrade the way real ones do. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  classifyConnectError,
  RemoteBrowserConnector,
  redactEndpoint,
} from '../../../src/browser/remote-browser-connector.ts';
import { CancelledError, CutroomError } from '../../../src/errors.ts';

/** What Playwright's own `run-server` answers an older client (its ASCII box, abbreviated). */
const PLAYWRIGHT_SKEW_BODY = [
  '╔════════════════════════════════════╗',
  '║ Playwright version mismatch:       ║',
  '║   - server version: v1.99.0        ║',
  '║   - client version: v1.65          ║',
  '╚════════════════════════════════════╝',
].join('\n');

interface Refusal {
  status: number;
  text: string;
  body: string;
}

const REFUSALS: Record<string, Refusal> = {
  '/full': {
    status: 503,
    text: 'Service Unavailable',
    body: 'cutroom browser-server: full (2/2 sessions in use)',
  },
  '/auth': { status: 401, text: 'Unauthorized', body: 'cutroom browser-server: missing or wrong token' },
  '/skew': { status: 428, text: 'Precondition Required', body: PLAYWRIGHT_SKEW_BODY },
  '/gateway': { status: 502, text: 'Bad Gateway', body: 'no backend' },
};

describe('RemoteBrowserConnector', () => {
  let fake: http.Server;
  let base: string;
  let silent: net.Server;
  let silentEndpoint: string;
  const silentSockets: net.Socket[] = [];
  const seen: { path: string; authorization?: string }[] = [];

  beforeEach(async () => {
    seen.length = 0;
    fake = http.createServer((_req, res) => res.end());
    fake.on('upgrade', (req, socket) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      seen.push({ path, authorization: req.headers.authorization });
      const refusal = REFUSALS[path] ?? REFUSALS['/full'];
      const body = `${refusal.body}\n`;
      socket.end(
        `HTTP/1.1 ${refusal.status} ${refusal.text}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
    fake.listen(0, '127.0.0.1');
    await new Promise((r) => fake.once('listening', r));
    base = `ws://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    // Accepts TCP and never answers: a hung server.
    silent = net.createServer((socket) => {
      silentSockets.push(socket);
    });
    silent.listen(0, '127.0.0.1');
    await new Promise((r) => silent.once('listening', r));
    silentEndpoint = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
  });

  afterEach(async () => {
    fake.closeAllConnections();
    await new Promise((r) => fake.close(r));
    for (const socket of silentSockets.splice(0)) socket.destroy();
    await new Promise((r) => silent.close(r));
  });

  it('tries every endpoint and fails retryably with each one’s reason when all are full or dead', async () => {
    const dead = 'ws://127.0.0.1:1/';
    const connector = new RemoteBrowserConnector({
      endpoints: [`${base}/full`, dead, `${base}/gateway`],
      token: 't',
    });
    const error = await connector.connect({ timeoutMs: 1200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutroomError);
    expect(error).toMatchObject({ code: 'browser_unavailable', retryable: true });
    const message = (error as Error).message;
    expect(message).toContain(`${base}/full full (2/2 sessions in use)`);
    expect(message).toContain(`${dead} unreachable (ECONNREFUSED)`);
    expect(message).toContain(`${base}/gateway answered 502`);
    expect((error as CutroomError).userMessage).not.toMatch(/ws:|127\.0\.0\.1/);
    // It kept going round until the deadline instead of giving up after one pass.
    expect(seen.filter((s) => s.path === '/full').length).toBeGreaterThan(1);
  });

  it('sends the token as a bearer header and never puts it in errors', async () => {
    const connector = new RemoteBrowserConnector({ endpoints: [`${base}/full`], token: 'header-secret' });
    const error = await connector.connect({ timeoutMs: 300 }).catch((e: unknown) => e);
    expect(seen[0].authorization).toBe('Bearer header-secret');
    expect((error as Error).message).not.toContain('header-secret');
  });

  it('refuses an endpoint that carries the token in its URL, without echoing it', () => {
    const make = () => new RemoteBrowserConnector({ endpoints: [`${base}/full?token=query-secret`] });
    expect(make).toThrow(/carries the token in its URL/);
    expect(make).not.toThrow(/query-secret/);
  });

  it('fails without retrying when every endpoint refuses the token', async () => {
    const connector = new RemoteBrowserConnector({ endpoints: [`${base}/auth`], token: 'wrong' });
    const error = await connector.connect({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'browser_unavailable', retryable: false });
    expect((error as Error).message).toContain('CUTROOM_BROWSER_TOKEN');
    expect(seen).toHaveLength(1);
  });

  it('reports version skew from Playwright’s own server at once, naming both versions', async () => {
    const connector = new RemoteBrowserConnector({ endpoints: [`${base}/skew`, `${base}/full`], token: 't' });
    const error = await connector.connect({ timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'browser_version_mismatch', retryable: false });
    expect((error as Error).message).toContain('runs Playwright 1.99.0');
    expect((error as Error).message).toContain('this worker runs 1.65');
    expect(seen.map((s) => s.path)).toEqual(['/skew']);
  });

  it('gives up on a hung endpoint after connectTimeoutMs and tries the next', async () => {
    const connector = new RemoteBrowserConnector({
      endpoints: [silentEndpoint, `${base}/full`],
      token: 't',
      connectTimeoutMs: 300,
    });
    const error = await connector.connect({ timeoutMs: 900 }).catch((e: unknown) => e);
    expect((error as Error).message).toContain(`${silentEndpoint} connect timed out`);
    expect(seen.some((s) => s.path === '/full')).toBe(true);
  });

  it('reports what an endpoint answered, not the timeout of a last attempt the deadline cut short', async () => {
    let connections = 0;
    // Resets the first connection, then hangs like a server that has gone away mid-restart.
    const flaky = net.createServer((socket) => {
      if (connections++ === 0) socket.destroy();
      else silentSockets.push(socket);
    });
    flaky.listen(0, '127.0.0.1');
    await new Promise((r) => flaky.once('listening', r));
    const endpoint = `ws://127.0.0.1:${(flaky.address() as AddressInfo).port}/`;
    try {
      const connector = new RemoteBrowserConnector({ endpoints: [endpoint], token: 't' });
      const error = await connector.connect({ timeoutMs: 1000 }).catch((e: unknown) => e);
      expect(connections).toBeGreaterThan(1);
      expect((error as Error).message).toContain(`${endpoint} unreachable`);
    } finally {
      for (const socket of silentSockets.splice(0)) socket.destroy();
      await new Promise((r) => flaky.close(r));
    }
  });

  it('stops with CancelledError when the job is cancelled while waiting for a free server', async () => {
    const connector = new RemoteBrowserConnector({
      endpoints: [`${base}/full`],
      token: 't',
      retryDelayMs: 5000,
    });
    const controller = new AbortController();
    const pending = connector.connect({ timeoutMs: 30_000, signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });

  it('starts each connect from the next endpoint and puts recently failed ones last', () => {
    const endpoints = ['ws://a:1/', 'ws://b:1/', 'ws://c:1/'];
    const connector = new RemoteBrowserConnector({ endpoints });
    expect(connector.order()).toEqual(endpoints);
    connector.reportFailure('ws://a:1/');
    expect(connector.order()).toEqual(['ws://b:1/', 'ws://c:1/', 'ws://a:1/']);
  });

  it('gives a failed endpoint its turn again once the cooldown has passed', async () => {
    const endpoints = ['ws://a:1/', 'ws://b:1/'];
    const connector = new RemoteBrowserConnector({ endpoints, failureCooldownMs: 100 });
    connector.reportFailure('ws://a:1/');
    expect(connector.order()[0]).toBe('ws://b:1/');
    await new Promise((r) => setTimeout(r, 150));
    expect(connector.order()).toEqual(endpoints);
  });

  it('rejects endpoints that are not ws:// or wss:// URLs, without echoing credentials', () => {
    const make = (endpoint: string) => () => new RemoteBrowserConnector({ endpoints: [endpoint] });
    expect(make('http://user:pw@host:1/?token=abc')).toThrow(/must be ws:\/\/ or wss:\/\//);
    expect(make('http://user:pw@host:1/?token=abc')).not.toThrow(/pw|abc/);
    expect(() => new RemoteBrowserConnector({ endpoints: [] })).toThrow(CutroomError);
  });

  it('redacts credentials from endpoints', () => {
    expect(redactEndpoint('wss://u:p@lb.example:443/s?token=abc')).toBe('wss://lb.example/s');
  });

  it('classifies connection failures it cannot parse as dead', () => {
    expect(classifyConnectError(new Error('something odd')).kind).toBe('dead');
  });
});
