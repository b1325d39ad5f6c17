// The worker's processor when the agent answers or asks instead of editing: the reply ends the request, no version
// is made and no browser is taken from the pool; a question waits in the thread and the next message resumes it.
// The OpenAI fake plays the model; the thread and its files are local.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { createBrowserPool } from '../../../src/browser/create-browser-pool.ts';
import { loadConfig } from '../../../src/config.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore } from '../../../src/queue/artifact-store.ts';
import { LocalThreadStore } from '../../../src/queue/local-thread-store.ts';
import type { EditRequest } from '../../../src/queue/types.ts';
import { createEditProcessor } from '../../../src/worker/edit-processor.ts';
import { createJobContext } from '../../../src/worker/job-context.ts';
import type { JobProgress } from '../../../src/worker/job-processor.ts';
import { OpenAiFakeServer, textReply } from '../../fakes/openai-fake-server.ts';
import { makeRequest } from '../../helpers/queue-fixtures.ts';

describe('the edit processor when the agent does not edit', () => {
  let dir: string;
  let fake: OpenAiFakeServer;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'cutroom-processor-answers-'));
    fake = await OpenAiFakeServer.start();
  });
  afterEach(async () => {
    await fake.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function setUp() {
    const config = loadConfig({ CUTROOM_DATA_DIR: path.join(dir, 'data') }, { readDotenv: false });
    const logger = createSilentLogger();
    const threads = new LocalThreadStore(path.join(dir, 'threads'));
    const artifacts = new ArtifactStore({ root: path.join(dir, 'artifacts') });
    // A clip a first job already made playable: later jobs only check that its file is there.
    const clip = {
      key: 'clip.mp4',
      name: 'clip.mp4',
      mimeType: 'video/mp4',
      size: 1,
      kind: 'video' as const,
    };
    await artifacts.write(clip.key, Buffer.alloc(0), { name: clip.name, mimeType: clip.mimeType });
    const first = makeRequest();
    await threads.addClips(first.thread, [
      { ...clip, duration: 4, width: 640, height: 360, hasAudio: true, playable: clip },
    ]);
    // The pool may start no browser: a test that needed one would fail.
    const pool = createBrowserPool(config, logger, { size: 0 });
    const processor = createEditProcessor({
      config,
      logger,
      threads,
      artifacts,
      pool,
      llm: new LlmClient({ baseURL: fake.baseURL, model: 'agent', visionModel: 'vision' }),
    });
    const delivered: Delivery[] = [];
    const progress: JobProgress[] = [];
    const run = (prompt: string) => {
      const request: EditRequest = { ...makeRequest({ prompt }), thread: first.thread };
      return processor(
        request,
        createJobContext({
          request,
          deliveries: { enqueue: async (d) => void delivered.push(d) },
          signal: new AbortController().signal,
          jobId: request.id,
          attempt: 1,
          logger,
          onProgress: async (p) => void progress.push(p),
        }),
      );
    };
    return { threads, thread: first.thread, run, delivered, progress, pool };
  }

  it('posts a plain answer as the reply that ends the request, without a version or a browser', async () => {
    const { threads, thread, run, delivered, progress, pool } = await setUp();
    await threads.append(thread, {
      prompt: 'trim it',
      assets: await threads.clips(thread),
      script: ['/* trim */'],
      verdicts: [],
      render: { key: 'v1.mp4', name: 'v1.mp4', mimeType: 'video/mp4', size: 1 },
      outline: 'Composition 640x360, 2 s',
      durationSeconds: 2,
      createdAt: Date.now(),
    });
    fake.enqueue(textReply('Glad you like it!'));

    const outcome = await run('thanks, looks great!');

    expect(outcome.version).toBeUndefined();
    expect(outcome.summary).toBe('Glad you like it!');
    expect(delivered).toEqual([
      expect.objectContaining({ kind: 'reply', text: 'Glad you like it!', question: false }),
    ]);
    expect(progress.map((p) => p.text)).not.toContain('Opening the editor…');
    expect(await threads.list(thread)).toHaveLength(1);
    expect(await threads.pendingQuestion(thread)).toBeUndefined();
    await pool.close();
  });

  it('keeps a question in the thread, and the next message continues that conversation', async () => {
    const { threads, thread, run, delivered, pool } = await setUp();
    fake.enqueue(textReply('Which title should I put on it?'));
    await run('add a title');
    expect(delivered.at(-1)).toEqual(expect.objectContaining({ kind: 'reply', question: true }));
    expect(await threads.pendingQuestion(thread)).toEqual(
      expect.objectContaining({ conversation: expect.anything() }),
    );

    fake.enqueue(textReply('Noted: "Summer". Tell me when to render it.'));
    await run('"Summer"');

    const resumed = fake.chatRequests.at(-1);
    expect(resumed?.userText()).toContain('add a title');
    expect(
      resumed?.messages.some((m) => m.role === 'assistant' && String(m.content).includes('Which title')),
    ).toBe(true);
    expect(await threads.pendingQuestion(thread)).toBeUndefined();
    await pool.close();
  });
});
