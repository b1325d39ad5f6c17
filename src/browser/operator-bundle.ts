/** @module Builds the operator UI (page, script, style, docs) once per process, in memory, for the page router. */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export interface OperatorFile {
  body: Buffer;
  contentType: string;
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const UI_DIR = path.join(ROOT, 'operator-ui');

let cached: Promise<Map<string, OperatorFile>> | undefined;

/** The operator's files by URL path (`/`, `/operator.js`, `/operator.css`, `/llm.txt`, `/llms.txt`). */
export function loadOperatorFiles(): Promise<Map<string, OperatorFile>> {
  cached ??= buildOperatorFiles().catch((error) => {
    cached = undefined;
    throw error;
  });
  return cached;
}

async function buildOperatorFiles(): Promise<Map<string, OperatorFile>> {
  const result = await build({
    entryPoints: [path.join(UI_DIR, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'chrome120',
    minify: true,
    write: false,
    sourcemap: false,
    logLevel: 'silent',
  });
  const script = Buffer.from(result.outputFiles[0].contents);
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
