/**
 * `cutroom browser-server` against real Chromium: the front door (token, version, capacity), health, and the
 * connector choosing between servers. Each server here launches its own Chromium.
 */
import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type BrowserServer,
  PLAYWRIGHT_VERSION,
  startBrowserServer,
} from '../../../src/browser/browser-server.ts';
import { RemoteBrowserConnector } from '../../../src/browser/remote-browser-connector.ts';
import { CutroomError } from '../../../src/errors.ts';

const TOKEN = 'test-token-4f1c2b9e';

interface RawUpgradeResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A bare WebSocket upgrade request, to see exactly what the front door answers. */
function rawUpgrade(url: string, headers: Record<string, string>): Promise<RawUpgradeResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('browser-server with one session slot', () => {
  let server: BrowserServer;
  const opened: { close(): Promise<void> }[] = [];

  beforeAll(async () => {
    server = await startBrowserServer({ token: TOKEN, maxSessions: 1 });
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    // The server sees the socket close a moment after browser.close() resolves.
    await expect.poll(() => server.health().sessions).toBe(0);
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves a Playwright session to a client holding the token and counts it in /healthz', async () => {
    const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: TOKEN });
    const { browser, endpoint } = await connector.connect({ timeoutMs: 15_000 });
    opened.push(browser);
    expect(endpoint).toBe(server.wsEndpoint);
    const page = await browser.newPage();
    expect(await page.evaluate(() => navigator.userAgent)).toMatch(/Chrome\//);

    const health = await getJson(`${server.url}/healthz`);
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, sessions: 1, maxSessions: 1, available: 0 });
    expect(health.body.playwrightVersion).toBe(PLAYWRIGHT_VERSION);
    expect((await getJson(`${server.url}/readyz`)).status).toBe(503);

    await browser.close();
    await expect.poll(async () => (await getJson(`${server.url}/healthz`)).body.sessions).toBe(0);
    expect((await getJson(`${server.url}/readyz`)).status).toBe(200);
  });

  it('lets workers read each endpoint’s health, and says which endpoints cannot answer', async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as net.AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const deadEndpoint = `ws://127.0.0.1:${closedPort}/`;
    const connector = new RemoteBrowserConnector({
      endpoints: [server.wsEndpoint, deadEndpoint],
      token: TOKEN,
    });
    const [up, down] = await connector.health({ timeoutMs: 5000 });
    expect(up.endpoint).toBe(server.wsEndpoint);
    expect(up.health).toMatchObject({ ok: true, maxSessions: 1, playwrightVersion: PLAYWRIGHT_VERSION });
    expect(down).toEqual({ endpoint: deadEndpoint, error: 'ECONNREFUSED' });
  });

  it('reports whether the GPU is used in /healthz', async () => {
    const { body } = await getJson(`${server.url}/healthz`);
    const gpu = body.gpu as {
      present: boolean;
      usage: { hardwareAccelerated: boolean; summary: string } | null;
    };
    expect(gpu.usage).not.toBeNull();
    expect(gpu.usage?.summary).toMatch(/^drawing: /);
    if (!gpu.present) expect(gpu.usage?.hardwareAccelerated).toBe(false);
  });

  it('refuses a wrong or missing token with 401 and never echoes the token', async () => {
    const wrong = await rawUpgrade(server.wsEndpoint.replace(/^ws/, 'http'), {
      Authorization: 'Bearer nope-secret',
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers['x-cutroom-refusal']).toBe('unauthorized');
    expect(wrong.body).not.toContain('nope-secret');
    const missing = await rawUpgrade(server.wsEndpoint.replace(/^ws/, 'http'), {});
    expect(missing.status).toBe(401);

    const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: 'nope-secret' });
    const error = await connector.connect({ timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutroomError);
    expect(error).toMatchObject({ code: 'browser_unavailable', retryable: false });
    expect((error as Error).message).toContain('CUTROOM_BROWSER_TOKEN');
    expect((error as Error).message).not.toContain('nope-secret');
    expect(server.health().sessions).toBe(0);
  });

  it('refuses the token in the query string with 401 saying it belongs in the Authorization header', async () => {
    const result = await rawUpgrade(`${server.wsEndpoint.replace(/^ws/, 'http')}?token=${TOKEN}`, {});
    expect(result.status).toBe(401);
    expect(result.body).toContain('Authorization header');
    expect(result.body).not.toContain(TOKEN);
    // Even with the right header, a token in the URL is refused: it would already be in someone's logs.
    const both = await rawUpgrade(`${server.wsEndpoint.replace(/^ws/, 'http')}?token=${TOKEN}`, {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(both.status).toBe(401);
    expect(() => new RemoteBrowserConnector({ endpoints: [`${server.wsEndpoint}?token=${TOKEN}`] })).toThrow(
      /carries the token in its URL/,
    );
  });

  it('refuses a client on another Playwright major.minor with 428 naming both versions', async () => {
    const result = await rawUpgrade(server.wsEndpoint.replace(/^ws/, 'http'), {
      Authorization: `Bearer ${TOKEN}`,
      'User-Agent': 'Playwright/1.40.0 (x64; debian 12) node/20.0',
    });
    expect(result.status).toBe(428);
    expect(result.headers['x-cutroom-refusal']).toBe('version_mismatch');
    expect(result.body).toContain(`server ${PLAYWRIGHT_VERSION}`);
    expect(result.body).toContain('client 1.40.0');
    expect(server.health().sessions).toBe(0);
  });

  it('refuses a session beyond capacity with 503 "full"', async () => {
    const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: TOKEN });
    const first = await connector.connect({ timeoutMs: 15_000 });
    opened.push(first.browser);
    const raw = await rawUpgrade(server.wsEndpoint.replace(/^ws/, 'http'), {
      Authorization: `Bearer ${TOKEN}`,
    });
    expect(raw.status).toBe(503);
    expect(raw.headers['x-cutroom-refusal']).toBe('full');
    expect(raw.body).toContain('1/1');

    const error = await connector.connect({ timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'browser_unavailable', retryable: true });
    expect((error as Error).message).toContain('full (1/1 sessions in use)');
  });
});

describe('connector across two browser servers', () => {
  const servers: BrowserServer[] = [];
  const opened: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('sends the session to the second server when the first is full, and spreads sessions', async () => {
    const [a, b] = await Promise.all([
      startBrowserServer({ token: TOKEN, maxSessions: 1 }),
      startBrowserServer({ token: TOKEN, maxSessions: 2 }),
    ]);
    servers.push(a, b);
    const connector = new RemoteBrowserConnector({ endpoints: [a.wsEndpoint, b.wsEndpoint], token: TOKEN });

    const sessions = [];
    for (let i = 0; i < 3; i++) {
      const session = await connector.connect({ timeoutMs: 15_000 });
      opened.push(session.browser);
      sessions.push(session.endpoint);
    }
    expect(a.health().sessions).toBe(1);
    expect(b.health().sessions).toBe(2);
    expect(sessions.filter((e) => e === a.wsEndpoint)).toHaveLength(1);

    const error = await connector.connect({ timeoutMs: 1000 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'browser_unavailable', retryable: true });
  });

  it('fails at once with browser_version_mismatch when a server runs another Playwright version', async () => {
    const old = await startBrowserServer({ token: TOKEN, maxSessions: 1, playwrightVersion: '1.40.2' });
    servers.push(old);
    const connector = new RemoteBrowserConnector({ endpoints: [old.wsEndpoint], token: TOKEN });
    const error = await connector.connect({ timeoutMs: 20_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CutroomError);
    expect(error).toMatchObject({ code: 'browser_version_mismatch', retryable: false });
    expect((error as Error).message).toContain('1.40.2');
    expect((error as Error).message).toContain(PLAYWRIGHT_VERSION);
  });

  it('close() is idempotent and refuses new sessions afterwards', async () => {
    const server = await startBrowserServer({ token: TOKEN, maxSessions: 1 });
    await Promise.all([server.close(), server.close()]);
    await server.close();
    const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: TOKEN });
    const error = await connector.connect({ timeoutMs: 500 }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'browser_unavailable' });
    expect((error as Error).message).toContain('unreachable');
  });
});
