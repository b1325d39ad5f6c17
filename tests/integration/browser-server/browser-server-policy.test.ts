/**
 * What a token holder can reach through `cutroom browser-server`: the browser's web pages, nothing of the server's
 * machine. A real server and a real Playwright client play the token holder; each test tries one way out.
 */
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BrowserServer, startBrowserServer } from '../../../src/browser/browser-server.ts';
import { RemoteBrowserConnector } from '../../../src/browser/remote-browser-connector.ts';

const TOKEN = 'policy-test-token-7d41';
let server: BrowserServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  process.env.CUTROOM_POLICY_SECRET = 'browser-server-environment-secret';
  server = await startBrowserServer({ token: TOKEN, maxSessions: 2 });
  const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: TOKEN });
  ({ browser } = await connector.connect({ timeoutMs: 15_000 }));
  const context = await browser.newContext({ acceptDownloads: true });
  await context.route('http://web.localhost/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: '<title>web</title><a id="d" download="x.txt" href="data:text/plain,hi">d</a>',
    }),
  );
  page = await context.newPage();
  await page.goto('http://web.localhost/');
}, 60_000);

afterAll(async () => {
  delete process.env.CUTROOM_POLICY_SECRET;
  await browser?.close();
  await server?.close();
});

describe('a session through browser-server', () => {
  for (const url of [
    'file:///etc/hostname',
    'file:///proc/self/environ',
    'chrome://version',
    'view-source:http://web.localhost/',
  ]) {
    it(`cannot open ${url}`, async () => {
      const error = await page.goto(url).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/URLs are not allowed through cutroom browser-server/);
      expect(page.url()).toBe('http://web.localhost/');
    });
  }

  it('cannot open a page on a local scheme either', async () => {
    const error = await browser
      .newPage()
      .then((p) => p.goto('file:///etc/passwd'))
      .catch((e: Error) => e);
    expect((error as Error).message).toMatch(/file: URLs are not allowed/);
  });

  it('cannot read local files from the page itself', async () => {
    const result = await page.evaluate(() =>
      fetch('file:///etc/hostname').then(
        () => 'read',
        () => 'refused',
      ),
    );
    expect(result).toBe('refused');
  });

  it('gets no raw DevTools session, on a page or on the browser', async () => {
    await expect(page.context().newCDPSession(page)).rejects.toThrow(/newCDPSession is not allowed/);
    await expect(browser.newBrowserCDPSession()).rejects.toThrow(/newBrowserCDPSession is not allowed/);
  });

  it('cannot record videos or HAR files into the server’s folders', async () => {
    await expect(browser.newContext({ recordVideo: { dir: '/tmp' } })).rejects.toThrow(/not allowed/);
    await expect(browser.newContext({ recordHar: { path: '/tmp/x.har' } })).rejects.toThrow(/not allowed/);
  });

  it('cannot route the browser through a proxy of its choosing', async () => {
    await expect(browser.newContext({ proxy: { server: 'http://10.0.0.1:3128' } })).rejects.toThrow(
      /proxy option is not allowed/,
    );
  });

  it('saves downloads only by streaming them to the client, never to a path on the server', async () => {
    const target = await mkdtemp(path.join(tmpdir(), 'cutroom-policy-'));
    try {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#d')]);
      // The client streams the file to its own disk: this works.
      await download.saveAs(path.join(target, 'streamed.txt'));
      expect(await readdir(target)).toEqual(['streamed.txt']);
    } finally {
      await rm(target, { recursive: true, force: true });
    }
  });

  it("shows no environment of the server's process to a page", async () => {
    const text = await page.evaluate(() => document.documentElement.outerHTML + navigator.userAgent);
    expect(text).not.toContain('browser-server-environment-secret');
  });

  it('reports the sandbox mode in /healthz', async () => {
    const body = (await (await fetch(`${server.url}/healthz`)).json()) as {
      sandbox: { mode: string; reason: string };
    };
    expect(body.sandbox.mode).toMatch(/^(sandbox-as-user|sandbox|no-sandbox-as-user|no-sandbox)$/);
    expect(body.sandbox.reason.length).toBeGreaterThan(10);
  });
});
