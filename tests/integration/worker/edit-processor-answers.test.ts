// The worker's processor when the agent answers or asks instead of editing: the reply ends the request, no version
// is made and no browser is taken from the pool; a question waits in the thread and the next message resumes it.
// The OpenAI fake plays the model; the thread and its files are local.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EditRequest } from '../../../src/queue/types.ts';
import { OpenAiFakeServer, textReply } from '../../fakes/openai-fake-server.ts';
import { type LocalProcessor, startLocalProcessor } from '../../helpers/local-processor.ts';
import { makeRequest } from '../../helpers/queue-fixtures.ts';

describe('the edit processor when the agent does not edit', () => {
  let fake: OpenAiFakeServer;
  let local: LocalProcessor;
  const { thread } = makeRequest();
  const run = (prompt: string) => {
    const request: EditRequest = { ...makeRequest({ prompt }), thread };
    return local.run(request);
  };

  beforeEach(async () => {
    fake = await OpenAiFakeServer.start();
    // The pool may start no browser: a test that needed one would fail.
    local = await startLocalProcessor({ llmBaseURL: fake.baseURL, poolSize: 0 });
    // A clip a first job already made playable: later jobs only check that its file is there.
    const clip = await local.addPlayableClip(Buffer.alloc(0), { duration: 4, width: 640, height: 360 });
    await local.threads.addClips(thread, [clip]);
  });
  afterEach(async () => {
    await local.close();
    await fake.close();
  });

  it('posts a plain answer as the reply that ends the request, without a version or a browser', async () => {
    const { threads } = local;
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

    const { outcome, delivered, openedEditor } = await run('thanks, looks great!');

    expect(outcome.version).toBeUndefined();
    expect(outcome.summary).toBe('Glad you like it!');
    expect(delivered).toEqual([
      expect.objectContaining({ kind: 'reply', text: 'Glad you like it!', question: false }),
    ]);
    expect(openedEditor).toBe(false);
    expect(await threads.list(thread)).toHaveLength(1);
    expect(await threads.pendingQuestion(thread)).toBeUndefined();
  });

  it('keeps a question in the thread, and the next message continues that conversation', async () => {
    const { threads } = local;
    fake.enqueue(textReply('Which title should I put on it?'));
    const { delivered } = await run('add a title');
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
  });
});
