/** Real Chromium + real ffprobe: every bad input ends in a clear error naming the file or the line. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { localAsset } from '../../../src/browser/local-asset.ts';
import type { LoadableAsset } from '../../../src/browser/types.ts';
import { CutroomError } from '../../../src/errors.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';

let fixtures: MediaFixtures;
let pool: BrowserPool;
let clip: LoadableAsset;
let clipPath: string;
let out: string;

beforeAll(async () => {
  fixtures = await MediaFixtures.create();
  out = await mkdtemp(path.join(tmpdir(), 'cutroom-out-'));
  const logger = createSilentLogger();
  pool = new BrowserPool({
    provider: new LocalBrowserProvider({ logger }),
    logger,
    size: 1,
    timeouts: { codeTimeoutMs: 3_000 },
  });
  [clipPath] = await Promise.all([fixtures.clip('clip.mp4', { seconds: 3, audio: true }), pool.warmUp()]);
  clip = await localAsset(clipPath);
}, 120_000);

afterAll(async () => {
  await pool?.close();
  await fixtures?.close();
  await rm(out, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<CutroomError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CutroomError);
  return error as CutroomError;
}

describe('bad files', () => {
  it('rejects a text file named .mp4 as asset_corrupt, naming the file', async () => {
    const error = await rejection(localAsset(await fixtures.textFile('notes.mp4')));
    expect(error.code).toBe('asset_corrupt');
    expect(error.userMessage).toContain('notes.mp4');
  });

  it('rejects a truncated MP4 as asset_corrupt', async () => {
    const error = await rejection(localAsset(await fixtures.truncated('cut.mp4', clipPath)));
    expect(error.code).toBe('asset_corrupt');
    expect(error.userMessage).toContain('cut.mp4');
  });

  it('rejects a zero-byte file as asset_empty', async () => {
    const error = await rejection(localAsset(await fixtures.emptyFile('empty.mp4')));
    expect(error.code).toBe('asset_empty');
    expect(error.userMessage).toContain('empty.mp4');
  });

  it('rejects a missing file as asset_missing', async () => {
    const error = await rejection(localAsset(path.join(fixtures.dir, 'nowhere.mp4')));
    expect(error.code).toBe('asset_missing');
    expect(error.userMessage).toContain('nowhere.mp4');
  });
});

describe('bad code actions', () => {
  it('reports a syntax error with its line and leaves the composition untouched', async () => {
    const session = await pool.acquire();
    try {
      const result = await session.runCode('const a = 1;\nconst b = ;\n');
      expect(result.ok).toBe(false);
      expect(result.error).toMatchObject({ name: 'SyntaxError', line: 2 });
      expect(result.duration).toBe(0);
    } finally {
      await session.release();
    }
  });

  it('reports a thrown error with message and line, and rolls back what the action did', async () => {
    const session = await pool.acquire();
    try {
      await session.loadAssets([clip]);
      const first = await session.runCode(
        'await composition.add(new core.Layer()).then((l) => l.add(new core.VideoClip(assets[0].source)));',
      );
      expect(first.ok).toBe(true);
      const result = await session.runCode(
        "console.log('before');\nawait composition.add(new core.Layer());\nthrow new Error('no such effect: sparkle');",
      );
      expect(result.ok).toBe(false);
      expect(result.error).toMatchObject({ message: 'no such effect: sparkle', line: 3 });
      expect(result.logs).toEqual(['before']);
      expect(result.outline).toContain('1 layers and 1 clips');
      expect(session.history).toHaveLength(1);
    } finally {
      await session.release();
    }
  });

  it('stops an endless loop at the timeout and restores the state before it', async () => {
    const session = await pool.acquire();
    try {
      await session.loadAssets([clip]);
      await session.runCode(
        'await composition.add(new core.Layer()).then((l) => l.add(new core.VideoClip(assets[0].source)));',
      );
      const result = await session.runCode('while (true) {}', { timeoutMs: 1500 });
      expect(result.ok).toBe(false);
      expect(result.error?.message).toMatch(/did not finish within 1500 ms/);
      const after = await session.runCode('console.log(composition.clips.length, assets.length)');
      expect(after).toMatchObject({ ok: true, logs: ['1 1'] });
      expect(after.duration).toBeCloseTo(3, 0);
    } finally {
      await session.release();
    }
  });

  it('refuses to render an empty composition with composition_empty', async () => {
    const session = await pool.acquire();
    try {
      const error = await rejection(session.render({ outPath: path.join(out, 'empty.mp4') }));
      expect(error.code).toBe('composition_empty');
      expect(error.userMessage).toMatch(/nothing to render/i);
    } finally {
      await session.release();
    }
  });

  it('turns a render that fails inside core into render_failed, and the session still works', async () => {
    const session = await pool.acquire();
    try {
      await session.loadAssets([clip]);
      // No H.264 level encodes a 10000 pixel wide frame: core's Encoder returns {type:'error'} instead of throwing.
      const setup = await session.runCode(`
        composition = new core.Composition({ width: 10000, height: 2 });
        await composition.add(new core.Layer()).then((l) => l.add(new core.VideoClip(assets[0].source, { range: [0, 1] })));
      `);
      expect(setup.ok).toBe(true);
      const error = await rejection(session.render({ outPath: path.join(out, 'huge.mp4') }));
      expect(error.code).toBe('render_failed');
      const after = await session.runCode('console.log(composition.width)');
      expect(after.logs).toEqual(['10000']);
    } finally {
      await session.release();
    }
  });

  it('fails a render the browser cannot encode with render_failed naming the configuration', async () => {
    const session = await pool.acquire();
    try {
      await session.loadAssets([clip]);
      // An H.264 level exists for it, but Chromium's encoder takes nothing wider than 4096 pixels.
      await session.runCode(`
        composition = new core.Composition({ width: 6000, height: 100 });
        await composition.add(new core.Layer()).then((l) => l.add(new core.VideoClip(assets[0].source, { range: [0, 1] })));
      `);
      const error = await rejection(session.render({ outPath: path.join(out, 'banner.mp4') }));
      expect(error.code).toBe('render_failed');
      expect(error.message).toMatch(/6000x100\) is not supported by this browser/);
    } finally {
      await session.release();
    }
  });

  it('cancels a running render when the job is cancelled, and the session keeps working', async () => {
    const session = await pool.acquire();
    try {
      await session.loadAssets([clip]);
      await session.runCode(
        'await composition.add(new core.Layer()).then((l) => l.add(new core.VideoClip(assets[0].source)));',
      );
      const controller = new AbortController();
      const rendering = session.render({
        outPath: path.join(out, 'cancelled.mp4'),
        signal: controller.signal,
        onProgress: (p) => {
          if (p.percent > 0) controller.abort();
        },
      });
      setTimeout(() => controller.abort(), 5_000).unref();
      const error = await rejection(rendering);
      expect(error.code).toBe('cancelled');
      const after = await session.runCode('console.log(composition.clips.length)');
      expect(after.logs).toEqual(['1']);
    } finally {
      await session.release();
    }
  });
});
