/**
 * The page stays the page, and Chromium holds as little as we can give it: real Chromium launched the way
 * `cutroom worker` launches it. Code actions that leave timers, workers or frames behind, navigate away, reload or
 * allocate without bound end with a clear error, and the next action runs on a healthy page.
 */
import { readFile } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectChromiumSandbox } from '../../../src/browser/chromium-launch.ts';
import type { PageEditSession } from '../../../src/browser/edit-session.ts';
import { type BrowserUnderTest, openBrowser } from './browser-under-test.ts';

const MEMORY_MB = 1536;
let browser: BrowserUnderTest;

beforeAll(async () => {
  process.env.CUTROOM_TEST_SECRET = 'secret-in-cutroom-environment';
  browser = await openBrowser('local', { memoryMb: MEMORY_MB });
}, 60_000);

afterAll(async () => {
  delete process.env.CUTROOM_TEST_SECRET;
  await browser?.close();
});

async function withSession(fn: (session: PageEditSession) => Promise<void>): Promise<void> {
  const session = await browser.pool.acquire();
  try {
    await fn(session);
  } finally {
    await session.release();
  }
}

/** A marker the page counts up, to tell whether leftover callbacks still run. */
const TICKS = 'window.ticks = window.ticks || 0;';

describe('what a code action leaves running ends with it', () => {
  it('clears a timer that would hang the page: the next action runs', async () => {
    await withSession(async (session) => {
      const first = await session.runCode('setTimeout(() => { for (;;) {} }, 200);');
      expect(first.ok).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 500));
      const next = await session.runCode('console.log("still responsive");', { timeoutMs: 5000 });
      expect(next).toMatchObject({ ok: true, logs: ['still responsive'] });
    });
  });

  it('clears intervals, animation frames, idle callbacks and timers set from inside them', async () => {
    await withSession(async (session) => {
      await session.runCode(`${TICKS}
        setInterval(() => { window.ticks++; setTimeout(() => window.ticks++, 10); }, 20);
        requestAnimationFrame(function again() { window.ticks++; requestAnimationFrame(again); });
        requestIdleCallback(() => window.ticks++);
        await new Promise((r) => setTimeout(r, 100));`);
      const before = await session.runCode('console.log(window.ticks);');
      await new Promise((resolve) => setTimeout(resolve, 300));
      const after = await session.runCode('console.log(window.ticks);');
      expect(Number(before.logs[0])).toBeGreaterThan(0);
      expect(after.logs).toEqual(before.logs);
    });
  });

  it('terminates workers and removes frames the action made', async () => {
    await withSession(async (session) => {
      await session.runCode(`
        window.worker = new Worker(URL.createObjectURL(new Blob(['setInterval(() => postMessage(1), 10)'], { type: 'text/javascript' })));
        window.messages = 0;
        window.worker.onmessage = () => window.messages++;
        document.body.append(document.createElement('iframe'));
        await new Promise((r) => setTimeout(r, 100));`);
      const before = await session.runCode(
        'console.log(window.messages, document.querySelectorAll("iframe").length);',
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
      const after = await session.runCode(
        'console.log(window.messages, document.querySelectorAll("iframe").length);',
      );
      expect(before.logs[0]).toMatch(/^\d+ 0$/);
      expect(after.logs).toEqual(before.logs);
    });
  });
});

describe('the page cannot be navigated away or reloaded', () => {
  for (const [how, code] of [
    ['location.reload()', 'location.reload();'],
    ['location.href = about:blank', "location.href = 'about:blank';"],
    ['location.replace to the operator origin', "location.replace('/?again');"],
    ['history.back()', 'history.back();'],
    ['document.write()', "document.open(); document.write('gone');"],
  ] as const) {
    it(`keeps the editor and its composition through ${how}`, async () => {
      await withSession(async (session) => {
        await session.runCode('window.marker = "kept"; await composition.add(new core.Layer());');
        const result = await session.runCode(`${code} await new Promise((r) => setTimeout(r, 300));`);
        if (!result.ok) expect(result.error?.message).toMatch(/not allowed/);
        const after = await session.runCode('console.log(composition.layers.length);');
        expect(after).toMatchObject({ ok: true, logs: ['1'] });
      });
    });
  }
});

describe('memory', () => {
  it('ends an action that grows its JavaScript heap without bound with "the edit used too much memory"', async () => {
    await withSession(async (session) => {
      await session.runCode('await composition.add(new core.Layer());');
      const result = await session.runCode('const keep = []; for (;;) keep.push(new Array(1e6).fill(1));', {
        timeoutMs: 30_000,
      });
      expect(result.ok).toBe(false);
      expect(result.error?.message).toMatch(/^the edit used too much memory/);
      const next = await session.runCode('console.log(composition.layers.length);');
      expect(next).toMatchObject({ ok: true, logs: ['1'] });
    });
  }, 60_000);

  it('ends an action that piles up buffers with "the edit used too much memory", on a fresh page', async () => {
    await withSession(async (session) => {
      const result = await session.runCode(
        'window.hoard = []; for (;;) { const b = new Uint8Array(64 * 1024 * 1024); b.fill(1); window.hoard.push(b); }',
        { timeoutMs: 30_000 },
      );
      expect(result.ok).toBe(false);
      expect(result.error).toMatchObject({ name: 'OutOfMemory' });
      expect(result.error?.message).toMatch(/^the edit used too much memory/);
      const next = await session.runCode('console.log(typeof window.hoard);');
      expect(next).toMatchObject({ ok: true, logs: ['undefined'] });
    });
  }, 60_000);
});

describe('least privilege', () => {
  async function chromiumProcesses(session: PageEditSession): Promise<{ type: string; pid: number }[]> {
    const chromium = session.currentPage.context().browser() as Browser;
    const cdp = await chromium.newBrowserCDPSession();
    try {
      const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as {
        processInfo: { type: string; id: number }[];
      };
      return processInfo.map((p) => ({ type: p.type, pid: p.id }));
    } finally {
      await cdp.detach();
    }
  }

  it('runs Chromium in the mode the machine allows, as the dedicated user when cutroom is root', async () => {
    const sandbox = detectChromiumSandbox();
    await withSession(async (session) => {
      const processes = await chromiumProcesses(session);
      for (const { pid } of processes) {
        const status = await readFile(`/proc/${pid}/status`, 'utf8');
        const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
        if (sandbox.user) expect(uid).toBe(sandbox.user.uid);
        else expect(uid).toBe(process.getuid?.());
      }
      if (sandbox.mode === 'sandbox' || sandbox.mode === 'sandbox-as-user') {
        const renderer = processes.find((p) => p.type === 'renderer') as { pid: number };
        // Sandboxed renderers live in their own PID namespace: their NSpid line has a second number.
        const status = await readFile(`/proc/${renderer.pid}/status`, 'utf8');
        expect(/^NSpid:\s+\d+\s+\d+/m.test(status)).toBe(true);
      }
    });
  });

  it("gives Chromium none of cutroom's environment", async () => {
    await withSession(async (session) => {
      for (const { pid } of await chromiumProcesses(session)) {
        const environment = await readFile(`/proc/${pid}/environ`, 'utf8');
        expect(environment).not.toContain('CUTROOM_');
        expect(environment).not.toContain('secret-in-cutroom-environment');
      }
    });
  });
});
