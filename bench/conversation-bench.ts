/**
 * @module Conversation benchmark: what a thread message that asks for no change costs next to an edit, through the
 * real edit processor and agent loop (pool of one warm Chromium, the OpenAI fake answering at once as a scripted
 * classifier): wall time per turn, and browser sessions taken from the pool per turn (a non-edit must take none).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LlmClient } from '../src/agent/llm-client.ts';
import { createBrowserPool } from '../src/browser/create-browser-pool.ts';
import { loadConfig } from '../src/config.ts';
import { createSilentLogger } from '../src/logger.ts';
import { ArtifactStore } from '../src/queue/artifact-store.ts';
import { LocalThreadStore } from '../src/queue/local-thread-store.ts';
import type { EditRequest, StoredAsset } from '../src/queue/types.ts';
import { createEditProcessor } from '../src/worker/edit-processor.ts';
import { createJobContext } from '../src/worker/job-context.ts';
import { classifierModel, type LabelledMessage } from '../tests/fakes/classifier-model.ts';
import { OpenAiFakeServer } from '../tests/fakes/openai-fake-server.ts';
import { MediaFixtures } from '../tests/helpers/media-fixtures.ts';
import { median, printTable } from './stats.ts';

const REPEATS = 5;
const EDIT: LabelledMessage = { text: 'keep the first second', label: 'edit', seconds: 1 };
const THANKS: LabelledMessage = { text: 'thanks!', label: 'thanks' };
const QUESTION: LabelledMessage = { text: 'how long is it now?', label: 'question' };

export async function runConversationBench(): Promise<Record<string, number>> {
  const logger = createSilentLogger();
  const dir = await mkdtemp(path.join(tmpdir(), 'cutroom-conversation-bench-'));
  const media = await MediaFixtures.create();
  const fake = await OpenAiFakeServer.start();
  fake.setFallback(classifierModel([EDIT, THANKS, QUESTION]));
  const config = loadConfig({ CUTROOM_DATA_DIR: path.join(dir, 'data') }, { readDotenv: false });
  const pool = createBrowserPool(config, logger, { size: 1 });
  try {
    const threads = new LocalThreadStore(path.join(dir, 'threads'));
    const artifacts = new ArtifactStore({ root: path.join(dir, 'artifacts') });
    const bytes = await readFile(await media.clip('clip.mp4', { seconds: 3, width: 640, height: 360 }));
    const file = await artifacts.write('uploads/clip.mp4', bytes, {
      name: 'clip.mp4',
      mimeType: 'video/mp4',
    });
    const clip: StoredAsset = {
      ...file,
      kind: 'video',
      duration: 3,
      width: 640,
      height: 360,
      hasAudio: true,
      playable: file,
    };
    const processor = createEditProcessor({
      config,
      logger,
      threads,
      artifacts,
      pool,
      llm: new LlmClient({ apiKey: 'bench', baseURL: fake.baseURL, model: 'agent', visionModel: 'vision' }),
    });
    const thread = { platform: 'cli' as const, channelId: 'bench', threadId: 'conversation' };
    let n = 0;
    /** One turn: its wall time and the browser sessions it opened. */
    async function turn(message: LabelledMessage): Promise<{ ms: number; sessions: number }> {
      n += 1;
      const request: EditRequest = {
        id: `bench:${n}`,
        thread,
        user: { id: 'U1' },
        kind: 'edit',
        prompt: message.text,
        assets: n === 1 ? [clip] : [],
        receivedAt: Date.now(),
      };
      let sessions = 0;
      const started = performance.now();
      await processor(
        request,
        createJobContext({
          request,
          deliveries: { enqueue: async () => {} },
          signal: new AbortController().signal,
          jobId: request.id,
          attempt: 1,
          logger,
          onProgress: async (p) => {
            if (p.text === 'Opening the editor…') sessions += 1;
          },
        }),
      );
      return { ms: performance.now() - started, sessions };
    }
    await pool.warmUp();
    await turn(EDIT);
    const edits: { ms: number; sessions: number }[] = [];
    const answers: { ms: number; sessions: number }[] = [];
    for (let i = 0; i < REPEATS; i++) {
      edits.push(await turn(EDIT));
      answers.push(await turn(i % 2 ? QUESTION : THANKS));
    }
    const result = {
      editTurnMsP50: Math.round(median(edits.map((e) => e.ms))),
      answerTurnMsP50: Math.round(median(answers.map((a) => a.ms))),
      editBrowserSessionsPerTurn: edits.reduce((s, e) => s + e.sessions, 0) / edits.length,
      answerBrowserSessionsPerTurn: answers.reduce((s, a) => s + a.sessions, 0) / answers.length,
    };
    printTable('conversation: a reply without a change vs an edit (processor + agent loop, fake LLM)', [
      ['edit turn p50', `${result.editTurnMsP50} ms`],
      ['answer turn p50', `${result.answerTurnMsP50} ms`],
      ['browser sessions per edit turn', String(result.editBrowserSessionsPerTurn)],
      ['browser sessions per answer turn', String(result.answerBrowserSessionsPerTurn)],
    ]);
    return result;
  } finally {
    await pool.close();
    await fake.close();
    await media.close();
    await rm(dir, { recursive: true, force: true });
  }
}
