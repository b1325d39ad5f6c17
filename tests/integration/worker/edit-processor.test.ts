// Real ffmpeg and files: the edit processor's undo, which needs no model or browser, posting the version
// before as a copy that fits the request's upload limit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrowserPool } from '../../../src/browser/create-browser-pool.ts';
import { loadConfig } from '../../../src/config.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore, fittedRenderKey, renderKey } from '../../../src/queue/artifact-store.ts';
import { LocalThreadStore } from '../../../src/queue/local-thread-store.ts';
import type { EditRequest, ThreadRef, Version } from '../../../src/queue/types.ts';
import { createEditProcessor } from '../../../src/worker/edit-processor.ts';
import { createJobContext } from '../../../src/worker/job-context.ts';

const thread: ThreadRef = { platform: 'discord', workspaceId: 'G1', channelId: 'C1', threadId: 'T1' };

let dir: string;
let render: Buffer;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cutroom-processor-'));
  const file = path.join(dir, 'render.mp4');
  execFileSync('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=960x540:rate=30:duration=2'],
    ...['-vf', 'noise=alls=40:allf=t', '-c:v', 'libx264', '-preset', 'ultrafast', '-b:v', '5M', file],
  ]);
  render = readFileSync(file);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('createEditProcessor', () => {
  async function setUp() {
    const root = mkdtempSync(path.join(dir, 'state-'));
    const config = loadConfig({ CUTROOM_DATA_DIR: root }, { readDotenv: false });
    const logger = createSilentLogger();
    const threads = new LocalThreadStore(path.join(root, 'threads'));
    const artifacts = new ArtifactStore({ root: path.join(root, 'artifacts') });
    for (const [n, prompt] of [
      [1, 'keep the first two seconds'],
      [2, 'add a title'],
    ] as const) {
      const file = await artifacts.write(renderKey(thread, `discord:${n}`), render, {
        name: 'cutroom.mp4',
        mimeType: 'video/mp4',
      });
      const version: Omit<Version, 'number'> = {
        prompt,
        assets: [],
        script: [],
        verdicts: [],
        render: file,
        summary: `Did: ${prompt}.`,
        durationSeconds: 2,
        createdAt: Date.now(),
        requestId: `discord:${n}`,
      };
      await threads.append(thread, version);
    }
    // An undo opens no browser: the pool stays empty.
    const pool = createBrowserPool(config, logger, { size: 0 });
    const processor = createEditProcessor({ config, logger, threads, artifacts, pool });
    const delivered: Delivery[] = [];
    const run = (request: EditRequest) =>
      processor(
        request,
        createJobContext({
          request,
          deliveries: { enqueue: async (d) => void delivered.push(d) },
          signal: new AbortController().signal,
          jobId: request.id,
          attempt: 1,
          logger,
        }),
      );
    return { threads, artifacts, pool, run, delivered };
  }

  const undo = (uploadLimitBytes?: number): EditRequest => ({
    id: 'discord:3',
    thread,
    user: { id: 'U1' },
    kind: 'undo',
    prompt: '',
    assets: [],
    receivedAt: Date.now(),
    uploadLimitBytes,
  });

  it('goes back one version and posts its render as a copy that fits the request’s upload limit', async () => {
    const { threads, artifacts, pool, run, delivered } = await setUp();
    const limit = Math.floor(render.length / 4);
    try {
      expect(await run(undo(limit))).toMatchObject({ version: 1 });
      expect((await threads.latest(thread))?.number).toBe(1);
      const [result] = delivered;
      expect(result).toMatchObject({
        kind: 'result',
        version: 1,
        text: 'Back to version 1. Did: keep the first two seconds.',
        note: expect.stringMatching(/re-encoded it at \d+p/),
      });
      const file = result.kind === 'result' ? result.file : undefined;
      expect(file?.key).toBe(fittedRenderKey(renderKey(thread, 'discord:1'), limit));
      expect((await artifacts.stat(file?.key ?? ''))?.size).toBeLessThanOrEqual(limit);
    } finally {
      await pool.close();
    }
  });

  it('posts the render as it is when the request has no upload limit', async () => {
    const { pool, run, delivered } = await setUp();
    try {
      await run(undo());
      expect(delivered[0]).toMatchObject({ kind: 'result', file: { key: renderKey(thread, 'discord:1') } });
      expect(delivered[0]).not.toHaveProperty('note', expect.anything());
    } finally {
      await pool.close();
    }
  });
});
