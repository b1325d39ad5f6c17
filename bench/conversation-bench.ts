/**
 * @module Conversation benchmark: what a thread message that asks for no change costs next to an edit, through the
 * real edit processor and agent loop (pool of one warm Chromium, the OpenAI fake answering at once as a scripted
 * classifier): wall time per turn, and browser sessions taken from the pool per turn (a non-edit must take none).
 */
import { readFile } from 'node:fs/promises';
import type { EditRequest } from '../src/queue/types.ts';
import { classifierModel, type LabelledMessage } from '../tests/fakes/classifier-model.ts';
import { OpenAiFakeServer } from '../tests/fakes/openai-fake-server.ts';
import { startLocalProcessor } from '../tests/helpers/local-processor.ts';
import { MediaFixtures } from '../tests/helpers/media-fixtures.ts';
import { median, printTable } from './stats.ts';

const REPEATS = 5;
const EDIT: LabelledMessage = { text: 'keep the first second', label: 'edit', seconds: 1 };
const THANKS: LabelledMessage = { text: 'thanks!', label: 'thanks' };
const QUESTION: LabelledMessage = { text: 'how long is it now?', label: 'question' };

export async function runConversationBench(): Promise<Record<string, number>> {
  const media = await MediaFixtures.create();
  const fake = await OpenAiFakeServer.start();
  fake.setFallback(classifierModel([EDIT, THANKS, QUESTION]));
  const local = await startLocalProcessor({ llmBaseURL: fake.baseURL, poolSize: 1 });
  try {
    const bytes = await readFile(await media.clip('clip.mp4', { seconds: 3, width: 640, height: 360 }));
    const clip = await local.addPlayableClip(bytes, { duration: 3, width: 640, height: 360 });
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
      const { ms, openedEditor } = await local.run(request);
      return { ms, sessions: openedEditor ? 1 : 0 };
    }
    await local.pool.warmUp();
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
    await local.close();
    await fake.close();
    await media.close();
  }
}
