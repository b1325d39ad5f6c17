/**
 * `cutroom browser-server` as separate processes, the way workers meet them in a deployment: a killed server loses
 * its sessions and the connector moves on to the survivor.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RemoteBrowserConnector } from '../../../src/browser/remote-browser-connector.ts';
import {
  type BrowserServerProcess,
  runBrowserServerCommand,
  spawnBrowserServer,
} from '../../helpers/browser-server-process.ts';

const TOKEN = 'failover-token-77a0';

function childPids(parent: number): number[] {
  return readdirSync('/proc')
    .map(Number)
    .filter((pid) => Number.isInteger(pid))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent;
      } catch {
        return false;
      }
    });
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function healthOf(server: BrowserServerProcess): Promise<{ ok: boolean }> {
  return (await (await fetch(`${server.url}/healthz`)).json()) as { ok: boolean };
}

// Each test starts real browser-server processes (tsx + Chromium): slow on a busy 2-core machine.
describe('browser-server processes', () => {
  const processes: BrowserServerProcess[] = [];
  const opened: { close(): Promise<void> }[] = [];

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((b) => b.close().catch(() => undefined)));
    await Promise.all(processes.splice(0).map((p) => p.kill()));
  });

  it('moves new sessions to the surviving server when one is killed mid-session', async () => {
    const [a, b] = await Promise.all([
      spawnBrowserServer({ token: TOKEN, maxSessions: 2 }),
      spawnBrowserServer({ token: TOKEN, maxSessions: 2 }),
    ]);
    processes.push(a, b);
    const connector = new RemoteBrowserConnector({
      endpoints: [a.wsEndpoint, b.wsEndpoint],
      token: TOKEN,
      connectTimeoutMs: 5000,
    });
    const first = await connector.connect({ timeoutMs: 20_000 });
    opened.push(first.browser);
    expect(first.endpoint).toBe(a.wsEndpoint);
    const page = await first.browser.newPage();
    expect(await page.evaluate(() => 1 + 1)).toBe(2);

    const disconnected = new Promise<void>((resolve) => first.browser.once('disconnected', () => resolve()));
    await a.kill();
    await disconnected;
    await expect(page.evaluate(() => 1 + 1)).rejects.toThrow();

    const endpoints: string[] = [];
    for (let i = 0; i < 2; i++) {
      const next = await connector.connect({ timeoutMs: 20_000 });
      opened.push(next.browser);
      endpoints.push(next.endpoint);
      expect(await (await next.browser.newPage()).evaluate(() => 'alive')).toBe('alive');
    }
    expect(endpoints).toEqual([b.wsEndpoint, b.wsEndpoint]);
  }, 240_000);

  it('relaunches Chromium after it crashes and serves new sessions again', async () => {
    const server = await spawnBrowserServer({ token: TOKEN, maxSessions: 1 });
    processes.push(server);
    const chromiumPid = childPids(server.child.pid ?? 0).find((pid) => commandOf(pid) === 'chromium');
    expect(chromiumPid).toBeDefined();
    process.kill(chromiumPid ?? 0, 'SIGKILL');

    await expect.poll(async () => (await healthOf(server)).ok, { timeout: 10_000 }).toBe(false);
    await expect.poll(async () => (await healthOf(server)).ok, { timeout: 30_000 }).toBe(true);
    const connector = new RemoteBrowserConnector({ endpoints: [server.wsEndpoint], token: TOKEN });
    const { browser } = await connector.connect({ timeoutMs: 20_000 });
    opened.push(browser);
    expect(await (await browser.newPage()).evaluate(() => 'relaunched')).toBe('relaunched');
    expect(server.stderr()).toContain('Chromium exited');
  }, 240_000);

  it('stops cleanly on SIGTERM', async () => {
    const server = await spawnBrowserServer({ token: TOKEN, maxSessions: 1 });
    processes.push(server);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    await server.stop();
    expect(server.child.exitCode).toBe(0);
    expect(server.stderr()).toContain('browser-server closed');
    expect(server.stderr()).not.toContain(TOKEN);
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
  }, 240_000);

  it('refuses to start without CUTROOM_BROWSER_TOKEN', async () => {
    const result = await runBrowserServerCommand(['--port', '0'], {});
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('CUTROOM_BROWSER_TOKEN');
  });

  it('rejects a bad --max-sessions naming the flag and the value', async () => {
    const result = await runBrowserServerCommand(['--port', '0', '--max-sessions', 'lots'], {
      CUTROOM_BROWSER_TOKEN: TOKEN,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('--max-sessions must be an integer 1–256, got "lots"');
  });
});
