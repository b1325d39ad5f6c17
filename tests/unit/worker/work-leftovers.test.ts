import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.ts';
import { sweepWorkLeftovers } from '../../../src/worker/work-leftovers.ts';

const HOUR_MS = 3600 * 1000;
let root: string;

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cutroom-work-'));
});
afterEach(() => rm(root, { recursive: true, force: true }));

async function jobDir(name: string, ageMs: number): Promise<void> {
  const dir = path.join(root, name);
  await mkdir(dir);
  await writeFile(path.join(dir, 'render.mp4'), 'partial');
  const when = new Date(Date.now() - ageMs);
  await utimes(dir, when, when);
}

it('removes job folders older than the job deadline and keeps the ones a running job may still use', async () => {
  await jobDir('job-crashed', 3 * HOUR_MS);
  await jobDir('job-running', 60_000);
  await mkdir(path.join(root, 'not-a-job'));
  const removed = await sweepWorkLeftovers({
    workRoot: root,
    olderThanMs: HOUR_MS,
    logger: createSilentLogger(),
  });
  expect(removed).toBe(1);
  expect((await readdir(root)).sort()).toEqual(['job-running', 'not-a-job']);
});

it('is quiet when there is no work folder yet', async () => {
  const missing = path.join(root, 'absent');
  expect(
    await sweepWorkLeftovers({ workRoot: missing, olderThanMs: HOUR_MS, logger: createSilentLogger() }),
  ).toBe(0);
});
