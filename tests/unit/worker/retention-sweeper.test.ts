import { mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore } from '../../../src/queue/artifact-store.ts';
import { startRetentionSweeper } from '../../../src/worker/retention-sweeper.ts';

const DAY_MS = 24 * 3600 * 1000;

describe('startRetentionSweeper', () => {
  let root: string;
  let store: ArtifactStore;

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'cutroom-sweeper-'));
    store = new ArtifactStore({ root });
    await store.write('renders/a/v1.mp4', Buffer.from('old'), { name: 'v1.mp4', mimeType: 'video/mp4' });
    await store.write('renders/a/v2.mp4', Buffer.from('new'), { name: 'v2.mp4', mimeType: 'video/mp4' });
    const old = new Date(Date.now() - 20 * DAY_MS);
    await utimes(store.pathFor('renders/a/v1.mp4'), old, old);
  });

  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('deletes artifacts past the retention as soon as it starts', async () => {
    const sweeper = startRetentionSweeper({ store, retentionMs: 14 * DAY_MS, logger: createSilentLogger() });
    await sweeper.close();
    expect(await store.stat('renders/a/v1.mp4')).toBeUndefined();
    expect(await store.stat('renders/a/v2.mp4')).toBeDefined();
  });

  it('keeps everything when retention is 0 days', async () => {
    const sweeper = startRetentionSweeper({ store, retentionMs: 0, logger: createSilentLogger() });
    await sweeper.close();
    expect(await store.stat('renders/a/v1.mp4')).toBeDefined();
  });
});
