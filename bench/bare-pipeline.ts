/**
 * @module The benchmark edit as a bare WebCodecs pipeline in Debian's Chromium (bench/pages/bare-pipeline-page.ts):
 * decode, blend the title into the luma, encode; no canvas, no core. It bounds what any page-side renderer could
 * reach on this machine, whose software decoder and encoder set the pace.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { chromiumLaunchArgs } from '../src/browser/chromium-args.ts';
import { findChromium } from '../src/browser/find-chromium.ts';

// A secure origin (WebCodecs needs one) that never reaches the network.
const ORIGIN = 'http://bench.localhost';
const PAGE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'pages', 'bare-pipeline-page.ts');

/** Milliseconds each run took for the frames of `from`–`to` seconds of `clip`. */
export async function measureBarePipeline(
  clip: string,
  from: number,
  to: number,
  runs: number,
): Promise<number[]> {
  const bundle = await build({
    entryPoints: [PAGE],
    bundle: true,
    format: 'esm',
    write: false,
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].contents;
  const media = await readFile(clip);
  const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumLaunchArgs() });
  try {
    const page = await browser.newPage();
    // Served by interception, as the worker serves its pages: the browser has no network path of its own.
    await page.route(`${ORIGIN}/**`, (route) => {
      const { pathname } = new URL(route.request().url());
      const [contentType, body] =
        pathname === '/page.js'
          ? ['text/javascript', Buffer.from(script)]
          : pathname === '/clip.mp4'
            ? ['video/mp4', media]
            : ['text/html', '<!doctype html><script type="module" src="/page.js"></script>'];
      return route.fulfill({ status: 200, contentType, body });
    });
    await page.goto(`${ORIGIN}/`);
    await page.waitForFunction(() => 'bareRun' in window);
    const times: number[] = [];
    // The first run warms the codecs, as the engine benchmark's first round does.
    for (let i = 0; i <= runs; i++) {
      const result = await page.evaluate(
        ([f, t]) =>
          (
            window as unknown as {
              bareRun(url: string, from: number, to: number, title: string): Promise<{ ms: number }>;
            }
          ).bareRun('/clip.mp4', f, t, 'Launch day'),
        [from, to] as const,
      );
      if (i > 0) times.push(result.ms);
    }
    return times;
  } finally {
    await browser.close();
  }
}
