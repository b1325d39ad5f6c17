// Thirty-two labelled thread messages (edits, questions, thanks, ambiguous) through the real edit processor and agent
// loop, one thread, in order, against a scripted model that decides by the message: the pipeline must honour the
// decision. Edits open the browser and make a version; everything else is one reply, with no browser and no version.
// Real Chromium (a pool of one), ffmpeg and files; the OpenAI fake plays the model.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EditRequest } from '../../../src/queue/types.ts';
import { classifierModel, LABELLED_MESSAGES } from '../../fakes/classifier-model.ts';
import { OpenAiFakeServer } from '../../fakes/openai-fake-server.ts';
import { startLocalProcessor } from '../../helpers/local-processor.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { makeRequest } from '../../helpers/queue-fixtures.ts';

let media: MediaFixtures;
let fake: OpenAiFakeServer;

beforeAll(async () => {
  media = await MediaFixtures.create();
  fake = await OpenAiFakeServer.start();
  fake.setFallback(classifierModel());
});
afterAll(async () => {
  await fake?.close();
  await media?.close();
});

describe('the agent deciding whether a thread message asks for a change', { timeout: 300_000 }, () => {
  it('makes a version with a browser for each edit, and one reply without either for the rest', async () => {
    expect(LABELLED_MESSAGES.length).toBeGreaterThanOrEqual(30);
    const local = await startLocalProcessor({ llmBaseURL: fake.baseURL, poolSize: 1 });
    const { threads } = local;
    const bytes = await readFile(await media.clip('clip.mp4', { seconds: 3, width: 320, height: 240 }));
    const clip = await local.addPlayableClip(bytes, { duration: 3, width: 320, height: 240 });
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
        const calls = fake.chatRequests.length;
        const before = (await threads.list(thread)).length;
        const { delivered, openedEditor } = await local.run(request);
        decided.push({
          text: message.text,
          label: message.label,
          browser: openedEditor,
          version: (await threads.list(thread)).length > before,
          replies: delivered.filter((d) => d.kind === 'reply').length,
          llmCalls: fake.chatRequests.length - calls,
        });
      }
    } finally {
      await local.close();
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
