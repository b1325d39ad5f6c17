// Real ffmpeg and files: the edit processor's undo, which needs no model or browser, posting the version
// before as a copy that fits the request's upload limit.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fittedRenderKey, renderKey } from '../../../src/queue/artifact-store.ts';
import type { EditRequest, ThreadRef, Version } from '../../../src/queue/types.ts';
import { type LocalProcessor, startLocalProcessor } from '../../helpers/local-processor.ts';

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
  let local: LocalProcessor;

  beforeEach(async () => {
    // An undo opens no browser and asks no model: the pool stays empty and there is none.
    local = await startLocalProcessor({ poolSize: 0 });
    for (const [n, prompt] of [
      [1, 'keep the first two seconds'],
      [2, 'add a title'],
    ] as const) {
      const file = await local.artifacts.write(renderKey(thread, `discord:${n}`), render, {
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
      await local.threads.append(thread, version);
    }
  });
  afterEach(() => local.close());

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
    const { threads, artifacts } = local;
    const limit = Math.floor(render.length / 4);
    const { outcome, delivered } = await local.run(undo(limit));
    expect(outcome).toMatchObject({ version: 1 });
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
  });

  it('posts the render as it is when the request has no upload limit', async () => {
    const { delivered } = await local.run(undo());
    expect(delivered[0]).toMatchObject({ kind: 'result', file: { key: renderKey(thread, 'discord:1') } });
    expect(delivered[0]).not.toHaveProperty('note', expect.anything());
  });
});
