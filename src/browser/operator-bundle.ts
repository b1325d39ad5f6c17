/** @module Builds the operator UI (page, script, style, docs) once per process, in memory, for the page router. */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface OperatorFile {
  body: Buffer;
  contentType: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const UI_DIR = path.join(ROOT, 'operator-ui');
const CACHE_DIR = path.join(ROOT, 'node_modules', '.cache', 'cutroom');

let cached: Promise<Map<string, OperatorFile>> | undefined;

/** A finished bundle in the cache (not one still being written, which ends in `.<pid>`). */
const BUNDLE_NAME = /^operator-[0-9a-f]{16}\.js$/;

/**
 * Bundling core takes about a second; a cold `cutroom render` should not pay it every time. The bundle is cached
 * under node_modules/.cache, keyed by the page's sources and the bundled packages' versions; bundles of other
 * versions are deleted, so editing the page does not pile them up.
 */
async function cachedScript(): Promise<Buffer> {
  const sourceDir = path.join(UI_DIR, 'src');
  const hash = createHash('sha256');
  for (const name of (await readdir(sourceDir)).sort()) {
    hash.update(name).update(await readFile(path.join(sourceDir, name)));
  }
  for (const pkg of ['@diffusionstudio/core', 'mediabunny', 'esbuild']) {
    hash.update(await readFile(path.join(ROOT, 'node_modules', pkg, 'package.json')));
  }
  const cacheFile = path.join(CACHE_DIR, `operator-${hash.digest('hex').slice(0, 16)}.js`);
  const cached = await readFile(cacheFile).catch(() => undefined);
  if (cached) {
    await pruneBundlesOtherThan(cacheFile);
    return cached;
  }
  const result = await build({
    entryPoints: [path.join(sourceDir, 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'chrome120',
    minify: true,
    write: false,
    sourcemap: false,
    logLevel: 'silent',
  });
  const script = Buffer.from(result.outputFiles[0].contents);
  // A read-only install still works, just without the cache.
  await mkdir(CACHE_DIR, { recursive: true })
    .then(() => writeFile(`${cacheFile}.${process.pid}`, script))
    .then(() => rename(`${cacheFile}.${process.pid}`, cacheFile))
    .then(() => pruneBundlesOtherThan(cacheFile))
    .catch(() => {});
  return script;
}

async function pruneBundlesOtherThan(cacheFile: string): Promise<void> {
  const keep = path.basename(cacheFile);
  const names = await readdir(CACHE_DIR).catch(() => []);
  await Promise.all(
    names
      .filter((name) => BUNDLE_NAME.test(name) && name !== keep)
      .map((name) => rm(path.join(CACHE_DIR, name), { force: true })),
  );
}

/** The operator's files by URL path (`/`, `/operator.js`, `/operator.css`, `/llm.txt`, `/llms.txt`). */
export function loadOperatorFiles(): Promise<Map<string, OperatorFile>> {
  cached ??= buildOperatorFiles().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function buildOperatorFiles(): Promise<Map<string, OperatorFile>> {
  const script = await cachedScript();
  const html = await readFile(path.join(UI_DIR, 'index.html'));
  const css = await readFile(path.join(UI_DIR, 'operator.css'));
  const docsPath = path.join(ROOT, 'llm.txt');
  const docs = existsSync(docsPath) ? await readFile(docsPath) : Buffer.from('# cutroom\n');
  const text = 'text/plain; charset=utf-8';
  return new Map<string, OperatorFile>([
    ['/', { body: html, contentType: 'text/html; charset=utf-8' }],
    ['/index.html', { body: html, contentType: 'text/html; charset=utf-8' }],
    ['/operator.js', { body: script, contentType: 'text/javascript; charset=utf-8' }],
    ['/operator.css', { body: css, contentType: 'text/css; charset=utf-8' }],
    ['/llm.txt', { body: docs, contentType: text }],
    ['/llms.txt', { body: docs, contentType: text }],
  ]);
}
