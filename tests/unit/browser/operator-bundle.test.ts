/** The operator bundle's on-disk cache under node_modules/.cache/cutroom. */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOperatorFiles } from '../../../src/browser/operator-bundle.ts';

const CACHE_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../node_modules/.cache/cutroom',
);
const STALE = path.join(CACHE_DIR, 'operator-0123456789abcdef.js');
const IN_PROGRESS = path.join(CACHE_DIR, 'operator-fedcba9876543210.js.999999');

afterEach(async () => {
  await rm(STALE, { force: true });
  await rm(IN_PROGRESS, { force: true });
});

describe('operator bundle cache', () => {
  it('keeps only the bundle of the current sources, and leaves files still being written alone', async () => {
    await mkdir(CACHE_DIR, { recursive: true });
    await writeFile(STALE, 'stale');
    await writeFile(IN_PROGRESS, 'another process writing');
    const served = (await loadOperatorFiles()).get('/operator.js')?.body;

    const bundles = (await readdir(CACHE_DIR)).filter((name) => /^operator-[0-9a-f]{16}\.js$/.test(name));
    expect(bundles).toHaveLength(1);
    expect(await readFile(path.join(CACHE_DIR, bundles[0]))).toEqual(served);
    expect(await readdir(CACHE_DIR)).toContain(path.basename(IN_PROGRESS));
  });
});
