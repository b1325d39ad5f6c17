/**
 * @module The benchmark edit as a bare WebCodecs pipeline in Debian's Chromium (bench/pages/bare-pipeline-page.ts):
 * decode, blend the title into the luma, encode; no canvas, no core. It bounds what any page-side renderer could
 * reach on this machine, whose software decoder and encoder set the pace.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { chromiumLaunchArgs } from '../src/browser/chromium-args.ts';
import { findChromium } from '../src/browser/find-chromium.ts';

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
  const server = createServer((request, response) => {
    const [type, body] =
      request.url === '/page.js'
        ? ['text/javascript', script]
        : request.url === '/clip.mp4'
          ? ['video/mp4', media]
          : ['text/html', '<!doctype html><script type="module" src="/page.js"></script>'];
    response.writeHead(200, { 'content-type': type }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const browser = await chromium.launch({ executablePath: findChromium(), args: chromiumLaunchArgs() });
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
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
    await new Promise((resolve) => server.close(resolve));
  }
}
