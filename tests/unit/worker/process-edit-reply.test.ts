// The worker's processor when the agent only answers: the reply is posted as a message, the job does not fail, no
// version is made and no browser is taken from the pool. The OpenAI fake plays the model; stores are local.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { LocalVersionStore } from '../../../src/agent/local-version-store.ts';
import { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../../../src/browser/browser-provider.ts';
import { loadConfig } from '../../../src/config.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore } from '../../../src/queue/artifact-store.ts';
import type { Delivery } from '../../../src/queue/types.ts';
import type { EditProgress } from '../../../src/worker/edit-processor.ts';
import { createEditProcessor } from '../../../src/worker/process-edit.ts';
import { OpenAiFakeServer, textReply } from '../../fakes/openai-fake-server.ts';
import { makeRequest } from '../../helpers/queue-fixtures.ts';

describe('the edit processor when the agent answers without editing', () => {
  let dir: string;
  let fake: OpenAiFakeServer;
  let pool: BrowserPool;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cutroom-process-reply-'));
    fake = await OpenAiFakeServer.start();
    pool = new BrowserPool({ provider: new LocalBrowserProvider({ logger: createSilentLogger() }), size: 0 });
  });
  afterEach(async () => {
    await pool.close();
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('posts the answer as a message and ends the job without a version or a browser', async () => {
    const versions = new LocalVersionStore(path.join(dir, 'versions'));
    const request = makeRequest({ prompt: 'thanks, looks great!' });
    const clip = {
      key: 'clip.mp4',
      name: 'clip.mp4',
      mimeType: 'video/mp4',
      size: 1,
      kind: 'video' as const,
    };
    // A clip a first job already made playable: later jobs only check that its file is there.
    await mkdir(path.join(dir, 'artifacts'), { recursive: true });
    await writeFile(path.join(dir, 'artifacts', clip.key), '');
    await versions.append(request.thread, {
      prompt: 'trim it',
      assets: [{ ...clip, duration: 4, width: 640, height: 360, hasAudio: true, playable: clip }],
      script: ['/* trim */'],
      verdicts: [],
      render: { key: 'v1.mp4', name: 'v1.mp4', mimeType: 'video/mp4', size: 1 },
      outline: 'Composition 640x360, 2 s',
      durationSeconds: 2,
      createdAt: Date.now(),
    });
    fake.enqueue(textReply('Glad you like it!'));
    const delivered: Delivery[] = [];
    const progress: EditProgress[] = [];
    const processor = createEditProcessor({
      config: loadConfig({ CUTROOM_DATA_DIR: path.join(dir, 'data') }, { readDotenv: false }),
      logger: createSilentLogger(),
      versions,
      artifacts: new ArtifactStore({ root: path.join(dir, 'artifacts') }),
      pool,
      llm: new LlmClient({ baseURL: fake.baseURL, model: 'agent', visionModel: 'vision' }),
    });

    const outcome = await processor(request, {
      signal: new AbortController().signal,
      progress: async (p) => {
        progress.push(p);
      },
      deliver: async (d) => {
        delivered.push(d);
      },
      jobId: request.id,
      attempt: 1,
      logger: createSilentLogger(),
    });

    expect(outcome).toEqual({ summary: 'Glad you like it!' });
    expect(delivered).toEqual([
      { kind: 'message', thread: request.thread, requestId: request.id, text: 'Glad you like it!' },
    ]);
    expect(progress.map((p) => p.text)).not.toContain('Opening the editor…');
    expect(await versions.list(request.thread)).toHaveLength(1);
  });
});
