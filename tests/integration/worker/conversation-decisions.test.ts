// Thirty-two labelled thread messages (edits, questions, thanks, ambiguous) through the real edit processor and agent
// loop, one thread, in order, against a scripted model that decides by the message: the pipeline must honour the
// decision. Edits open the browser and make a version; everything else is one reply, with no browser and no version.
// Real Chromium (a pool of one), ffmpeg and files; the OpenAI fake plays the model.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import { createBrowserPool } from '../../../src/browser/create-browser-pool.ts';
import { loadConfig } from '../../../src/config.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { ArtifactStore } from '../../../src/queue/artifact-store.ts';
import { LocalThreadStore } from '../../../src/queue/local-thread-store.ts';
import type { EditRequest, StoredAsset } from '../../../src/queue/types.ts';
import { createEditProcessor } from '../../../src/worker/edit-processor.ts';
import { createJobContext } from '../../../src/worker/job-context.ts';
import type { JobProgress } from '../../../src/worker/job-processor.ts';
import { classifierModel, LABELLED_MESSAGES } from '../../fakes/classifier-model.ts';
import { OpenAiFakeServer } from '../../fakes/openai-fake-server.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { makeRequest } from '../../helpers/queue-fixtures.ts';

let dir: string;
let media: MediaFixtures;
let fake: OpenAiFakeServer;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cutroom-decisions-'));
  media = await MediaFixtures.create();
  fake = await OpenAiFakeServer.start();
  fake.setFallback(classifierModel());
});
afterAll(async () => {
  await fake?.close();
  await media?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the agent deciding whether a thread message asks for a change', { timeout: 300_000 }, () => {
  it('makes a version with a browser for each edit, and one reply without either for the rest', async () => {
    expect(LABELLED_MESSAGES.length).toBeGreaterThanOrEqual(30);
    const config = loadConfig({ CUTROOM_DATA_DIR: path.join(dir, 'data') }, { readDotenv: false });
    const logger = createSilentLogger();
    const threads = new LocalThreadStore(path.join(dir, 'threads'));
    const artifacts = new ArtifactStore({ root: path.join(dir, 'artifacts') });
    const bytes = await readFile(await media.clip('clip.mp4', { seconds: 3, width: 320, height: 240 }));
    const file = await artifacts.write('uploads/clip.mp4', bytes, {
      name: 'clip.mp4',
      mimeType: 'video/mp4',
    });
    // Already checked by an earlier job: the normaliser asks the browser nothing about it.
    const clip: StoredAsset = {
      ...file,
      kind: 'video',
      duration: 3,
      width: 320,
      height: 240,
      hasAudio: true,
      playable: file,
    };
    const pool = createBrowserPool(config, logger, { size: 1 });
    const processor = createEditProcessor({
      config,
      logger,
      threads,
      artifacts,
      pool,
      llm: new LlmClient({ baseURL: fake.baseURL, model: 'agent', visionModel: 'vision' }),
    });
    const { thread } = makeRequest();
    const decided: {
      text: string;
      label: string;
      browser: boolean;
      version: boolean;
      replies: number;
      llmCalls: number;
    }[] = [];
    try {
      for (const [i, message] of LABELLED_MESSAGES.entries()) {
        const request: EditRequest = {
          ...makeRequest({ prompt: message.text }),
          thread,
          assets: i === 0 ? [clip] : [],
        };
        const delivered: Delivery[] = [];
        const progress: JobProgress[] = [];
        const calls = fake.chatRequests.length;
        const before = (await threads.list(thread)).length;
        await processor(
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
        decided.push({
          text: message.text,
          label: message.label,
          browser: progress.some((p) => p.text === 'Opening the editor…'),
          version: (await threads.list(thread)).length > before,
          replies: delivered.filter((d) => d.kind === 'reply').length,
          llmCalls: fake.chatRequests.length - calls,
        });
      }
    } finally {
      await pool.close();
    }
    const expected = LABELLED_MESSAGES.map((m) => {
      const edit = m.label === 'edit';
      return { text: m.text, label: m.label, browser: edit, version: edit, replies: edit ? 0 : 1 };
    });
    expect(decided.map(({ llmCalls: _calls, ...rest }) => rest)).toEqual(expected);
    // A follow-up that only answers costs one model call.
    for (const row of decided.filter((d) => d.label !== 'edit')) expect(row.llmCalls).toBe(1);
  });
});
