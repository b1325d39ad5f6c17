/** Real Chromium: the warm pool hands out loaded sessions, never shares state, and survives a browser crash. */
import { afterEach, expect, it } from 'vitest';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { BrowserClosedError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';

const logger = createSilentLogger();
let pool: BrowserPool | undefined;
let provider: LocalBrowserProvider | undefined;

afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

function makePool(size: number): BrowserPool {
  provider = new LocalBrowserProvider({ logger });
  pool = new BrowserPool({ provider, logger, size });
  return pool;
}

it('hands out a warm session with the operator loaded and prepares the next one on release', async () => {
  const p = makePool(1);
  await p.warmUp();
  expect(p.stats()).toEqual({ warm: 1, active: 0 });
  const session = await p.acquire();
  const result = await session.runCode(
    'console.log(typeof core.Composition, composition.width, composition.height)',
  );
  expect(result.logs).toEqual(['function 1280 720']);
  expect(p.stats()).toEqual({ warm: 0, active: 1 });
  await session.release();
  expect(p.stats()).toEqual({ warm: 1, active: 0 });
});

it('never shares state between sessions: each gets a fresh context and composition', async () => {
  const p = makePool(1);
  const first = await p.acquire();
  await first.runCode('await composition.add(new core.Layer()); window.leak = 42;');
  await first.release();
  const second = await p.acquire();
  const result = await second.runCode('console.log(composition.layers.length, typeof window.leak)');
  expect(result.logs).toEqual(['0 undefined']);
  await second.release();
});

it('replaces a crashed browser: the running session fails with browser_closed, the next acquire works', async () => {
  const p = makePool(0);
  const session = await p.acquire();
  const browser = await provider?.current();
  if (!browser) throw new Error('the pool launched no browser');
  const cdp = await browser.newBrowserCDPSession();
  // A real crash of the browser process, as an out-of-memory kill would cause.
  await cdp.send('Browser.crash' as never).catch(() => {});
  const error = await session
    .runCode('await new Promise((r) => setTimeout(r, 5000))')
    .catch((e: unknown) => e);
  expect(error).toBeInstanceOf(BrowserClosedError);
  await session.release();
  const next = await p.acquire();
  const result = await next.runCode('console.log("alive")');
  expect(result.logs).toEqual(['alive']);
  await next.release();
});
