// The agent loop against what real endpoints do: models that write code as Markdown or tool calls as text, send badly
// escaped JSON, vision models that take one image or none, endpoints that refuse tools, small or silently cut context
// windows; and the turns that end without a render (an answer, a question resumed by the reply). Real Chromium, real
// media, the real openai client, and the OpenAI-compatible fake playing each misbehaviour at the protocol level.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAgentConversation } from '../../../src/agent/agent-conversation.ts';
import type { AgentProgress } from '../../../src/agent/agent-progress.ts';
import { AGENT_SYSTEM_PROMPT, SUMMARY_SYSTEM_PROMPT } from '../../../src/agent/agent-prompts.ts';
import { type EditOutcome, type RunEditOptions, runEdit } from '../../../src/agent/run-edit.ts';
import type { BrowserPool } from '../../../src/browser/browser-pool.ts';
import type { EditSession, LoadableAsset } from '../../../src/browser/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { Version } from '../../../src/queue/types.ts';
import {
  type FakeModelTraits,
  OpenAiFakeServer,
  textReply,
  toolCallReply,
  verdictReply,
} from '../../fakes/openai-fake-server.ts';
import type { MediaFixtures } from '../../helpers/media-fixtures.ts';
import {
  AGENT_MODEL,
  API_KEY,
  captionFallback,
  createAgentMedia,
  createLlm,
  createPool,
  GENEROUS_LIMITS,
  isSummaryRequest,
  probeVideo,
  TITLE_CODE,
  TRIM_CODE,
  tempDir,
  VISION_MODEL,
} from './agent-test-kit.ts';

const CHAT = '/v1/chat/completions';

describe('runEdit against endpoints that behave like real ones', { timeout: 120_000 }, () => {
  let pool: BrowserPool;
  let media: MediaFixtures;
  let clip: LoadableAsset;
  let fake: OpenAiFakeServer | undefined;
  let sessions: EditSession[];
  let opened: number;
  let out: { dir: string; remove: () => Promise<void> };

  beforeAll(async () => {
    pool = createPool();
    ({ media, clip } = await createAgentMedia());
  });
  afterAll(async () => {
    await pool?.close();
    await media?.close();
  });
  beforeEach(async () => {
    sessions = [];
    opened = 0;
    out = await tempDir('cutroom-real-models-');
  });
  afterEach(async () => {
    for (const s of sessions) await s.release();
    await fake?.close();
    fake = undefined;
    await out.remove();
  });

  async function startFake(traits: Record<string, FakeModelTraits> = {}): Promise<OpenAiFakeServer> {
    fake = await OpenAiFakeServer.start({ apiKey: API_KEY, models: [AGENT_MODEL, VISION_MODEL], traits });
    fake.setFallback(captionFallback());
    return fake;
  }

  function edit(overrides: Partial<RunEditOptions> = {}): Promise<EditOutcome> {
    if (!fake) throw new Error('start the fake first');
    return runEdit({
      request: { prompt: 'keep the first two seconds' },
      assets: [clip],
      openSession: async () => {
        opened += 1;
        const session = await pool.acquire();
        sessions.push(session);
        return session;
      },
      llm: createLlm(fake),
      limits: GENEROUS_LIMITS,
      outDir: out.dir,
      logger: createSilentLogger(),
      ...overrides,
    });
  }

  const agentRequests = (f: OpenAiFakeServer) =>
    f.chatRequests.filter((r) => r.model === AGENT_MODEL && !isSummaryRequest(r));

  it('runs code a model wrote in a fenced block as run_code, and tells it so', async () => {
    const f = await startFake();
    f.enqueueFor(
      AGENT_MODEL,
      textReply(`Sure, here is the edit:\n\n\`\`\`javascript\n${TRIM_CODE}\n\`\`\`\n`),
      (req) => {
        const told = req.messages.at(-1);
        expect(told?.role).toBe('user');
        expect(String(told?.content)).toContain('no tool call, so I ran its code as run_code');
        expect(String(told?.content)).toMatch(/run_code: ok/);
        return toolCallReply('visual_feedback', {});
      },
      toolCallReply('render', {}),
    );
    f.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit();

    expect(outcome.status).toBe('rendered');
    expect(outcome.script).toEqual([TRIM_CODE]);
    expect((await probeVideo(outcome.renderPath!)).duration).toBeCloseTo(2, 0);
  });

  it('repairs JavaScript badly escaped inside JSON arguments, keeping its backslashes, and says so', async () => {
    const code = `${TRIM_CODE}\nconsole.log('digits', /\\d+/.test('a1'), "quoted");`;
    // What a model with a weak tool template sends: raw line breaks, a bare \d and unescaped quotes inside the string.
    const broken = `{"code": "${code}"}`;
    const f = await startFake();
    f.enqueueFor(
      AGENT_MODEL,
      { toolCalls: [{ name: 'run_code', arguments: broken }] },
      (req) => {
        const result = req.lastToolResult() ?? '';
        expect(result).toMatch(/^note: your arguments were not valid JSON \(.*not escaped\)/);
        expect(result).toContain('digits true quoted');
        return toolCallReply('visual_feedback', {});
      },
      toolCallReply('render', {}),
    );
    f.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit();

    expect(outcome.status).toBe('rendered');
    expect(outcome.script).toEqual([code]);
  });

  it('returns arguments cut off mid-string with the exact parse error, not a guess', async () => {
    const cut = '{"code": "const layer = await composition.add(new core.La';
    const parseError = (() => {
      try {
        JSON.parse(cut);
        return '';
      } catch (error) {
        return (error as Error).message;
      }
    })();
    const f = await startFake();
    f.enqueueFor(
      AGENT_MODEL,
      { toolCalls: [{ name: 'run_code', arguments: cut }], finishReason: 'length' },
      (req) => {
        expect(req.lastToolResult()).toContain(`not valid JSON (${parseError})`);
        expect(req.lastToolResult()).toContain('cut off at the token limit');
        return textReply('I will try a shorter step next time.');
      },
    );

    const outcome = await edit();

    expect(outcome.script).toEqual([]);
    expect(opened).toBe(0);
  });

  it('checks a text-only vision model on frame measurements, learning it once per endpoint', async () => {
    const f = await startFake({ [VISION_MODEL]: { maxImages: 0 } });
    const script = () =>
      f.enqueueFor(
        AGENT_MODEL,
        toolCallReply('run_code', { code: TRIM_CODE }),
        toolCallReply('visual_feedback', {}),
        toolCallReply('render', {}),
      );
    f.enqueueFor(VISION_MODEL, (req) => {
      expect(req.imageUrls()).toEqual([]);
      expect(req.userText()).toContain('Composition outline');
      expect(req.userText()).toMatch(/t=0s: brightness \d+%; colours /);
      return verdictReply('approve');
    });
    script();
    const events: AgentProgress[] = [];

    const first = await edit({ onProgress: (e) => events.push(e) });

    const vision = () =>
      f.requests.filter((r) => r.path === CHAT && (r.body as { model: string }).model === VISION_MODEL);
    expect(first.status).toBe('rendered');
    expect(vision().map((r) => r.status)).toEqual([400, 200]);
    expect(events.some((e) => /takes no images/.test(e.text))).toBe(true);

    f.enqueueFor(VISION_MODEL, (req) => {
      expect(req.imageUrls()).toEqual([]);
      return verdictReply('approve');
    });
    script();
    const second = await edit({ outDir: `${out.dir}/second` });

    expect(second.status).toBe('rendered');
    expect(vision().map((r) => r.status)).toEqual([400, 200, 200]);
  });

  it('sends a vision model that takes one image the contact sheet with the times on it', async () => {
    const f = await startFake({ [VISION_MODEL]: { maxImages: 1 } });
    f.enqueueFor(
      AGENT_MODEL,
      toolCallReply('run_code', { code: TRIM_CODE }),
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}),
    );
    f.enqueueFor(VISION_MODEL, (req) => {
      expect(req.imageUrls()).toHaveLength(1);
      expect(req.userText()).toContain('One contact sheet follows: 2 sampled frames');
      return verdictReply('approve');
    });

    const outcome = await edit();

    expect(outcome.status).toBe('rendered');
    const refused = f.chatRequests.filter((r) => r.model === VISION_MODEL)[0];
    expect(refused.imageUrls()).toHaveLength(2);
    expect(outcome.usage.llmCalls).toBe(6);
  });

  it('calls the tools in plain text when the endpoint refuses tool definitions', async () => {
    const f = await startFake({ [AGENT_MODEL]: { tools: false } });
    const call = (name: string, args: object) =>
      textReply(`<tool_call>\n${JSON.stringify({ name, arguments: args })}\n</tool_call>`);
    f.enqueueFor(
      AGENT_MODEL,
      (req) => {
        expect(req.tools).toEqual([]);
        expect(String(req.messages[0].content)).toContain('<tool_call>{"name": "run_code"');
        return call('run_code', { code: TRIM_CODE });
      },
      call('visual_feedback', {}),
      call('render', {}),
    );
    f.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit();

    expect(outcome.status).toBe('rendered');
    const agent = agentRequests(f);
    expect(agent[0].tools.length).toBeGreaterThan(0);
    expect(agent.slice(1).every((r) => r.tools.length === 0)).toBe(true);
    expect(String(agent[2].messages.at(-1)?.content)).toContain('wrote tool calls as text, so I ran them');
  });

  it('keeps a long run within a small context window: old results shortened, instructions and composition kept', async () => {
    const f = await startFake({ [AGENT_MODEL]: { contextTokens: 6000 } });
    const queries = [
      'trim a clip',
      'add a title',
      'fade out the music',
      'crop to vertical',
      'picture in picture',
    ];
    f.enqueueFor(
      AGENT_MODEL,
      ...queries.map((query) => toolCallReply('search_docs', { query })),
      toolCallReply('run_code', { code: TRIM_CODE }),
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}),
    );
    f.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit();

    expect(outcome.status).toBe('rendered');
    const agent = agentRequests(f);
    expect(f.requests.filter((r) => r.path === CHAT).every((r) => r.status === 200)).toBe(true);
    expect(agent.every((r) => r.promptTokens <= 6000)).toBe(true);
    expect(agent.every((r) => r.messages[0].content === AGENT_SYSTEM_PROMPT)).toBe(true);
    const last = agent.at(-1)!;
    expect(last.userText()).toContain('Request: keep the first two seconds');
    expect(last.userText()).toContain('[cutroom: to fit the model');
    expect(last.userText()).toContain(outcome.outline.trim().split('\n')[0]);
    expect(last.toolResults().some((t) => t.includes('[older result shortened]'))).toBe(true);
  });

  it('notices an endpoint that cuts the prompt silently and keeps later requests within what it reads', async () => {
    const f = await startFake({
      [AGENT_MODEL]: { contextTokens: 3000, overflow: 'truncate', reportContext: 'none' },
    });
    f.enqueueFor(
      AGENT_MODEL,
      ...['trim a clip', 'add a title', 'fade out the music', 'crop to vertical', 'picture in picture'].map(
        (query) => toolCallReply('search_docs', { query }),
      ),
      textReply('The docs cover all of that.'),
    );

    const outcome = await edit();

    expect(outcome.status).toBe('replied');
    const agent = agentRequests(f);
    expect(agent.some((r) => r.truncated)).toBe(true);
    expect(agent.at(-1)?.truncated).toBeFalsy();
    expect(agent.at(-1)?.promptTokens).toBeLessThanOrEqual(3000);
    expect(agent.at(-1)?.messages[0].content).toBe(AGENT_SYSTEM_PROMPT);
    expect(opened).toBe(0);
  });

  it('writes the caption after a render with one short call, not the text that came with the render call', async () => {
    const f = await startFake();
    f.enqueueFor(
      AGENT_MODEL,
      toolCallReply('run_code', { code: TRIM_CODE }),
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}, { content: 'Rendering now…' }),
      (req) => {
        expect(req.messages[0].content).toBe(SUMMARY_SYSTEM_PROMPT);
        expect(req.tools).toEqual([]);
        expect(req.userText()).toContain('Request: keep the first two seconds');
        expect(req.userText()).toMatch(/Result: 2 s, 1280x720/);
        return textReply('"The first two seconds of your clip."');
      },
    );
    f.enqueueFor(VISION_MODEL, verdictReply('approve'));

    const outcome = await edit();

    expect(outcome.summary).toBe('The first two seconds of your clip.');
    expect(outcome.usage.llmCalls).toBe(5);
  });

  it('answers a question about the video without opening a browser', async () => {
    const f = await startFake();
    const base: Version = {
      number: 1,
      prompt: 'keep the first two seconds',
      assets: [clip],
      script: [TRIM_CODE],
      verdicts: [],
      render: { key: 'v1.mp4', name: 'v1.mp4', mimeType: 'video/mp4', size: 1 },
      durationSeconds: 2,
      outline: 'Composition 1280x720, 2 s: one video clip 0–2 s',
      createdAt: Date.now(),
    };
    f.enqueueFor(AGENT_MODEL, (req) => {
      expect(req.userText()).toContain('one video clip 0–2 s');
      return textReply('It is two seconds long.');
    });

    const outcome = await edit({ request: { prompt: 'how long is it now?' }, base });

    expect(outcome).toMatchObject({
      status: 'replied',
      summary: 'It is two seconds long.',
      script: [TRIM_CODE],
    });
    expect(opened).toBe(0);
    expect(outcome.usage.llmCalls).toBe(1);
  });

  it('asks the user a question, and their reply resumes the same run where it stopped', async () => {
    const f = await startFake();
    f.enqueueFor(
      AGENT_MODEL,
      toolCallReply('run_code', { code: TRIM_CODE }),
      textReply('Trimmed. Should the title be white or **yellow**?'),
    );
    const asked = await edit({ request: { prompt: 'trim it and add a title' } });

    expect(asked.status).toBe('question');
    expect(asked.summary).toContain('white or **yellow**?');
    expect(asked.renderPath).toBeUndefined();
    const stored = parseAgentConversation(JSON.parse(JSON.stringify(asked.conversation)));

    f.enqueueFor(
      AGENT_MODEL,
      (req) => {
        expect(req.messages[0].content).toBe(AGENT_SYSTEM_PROMPT);
        expect(req.messages.at(-1)).toEqual({ role: 'user', content: 'yellow please' });
        expect(req.toolResults()[0]).toMatch(/^ok/);
        return toolCallReply('run_code', { code: TITLE_CODE });
      },
      toolCallReply('visual_feedback', {}),
      toolCallReply('render', {}),
    );
    f.enqueueFor(VISION_MODEL, (req) => {
      expect(req.userText()).toContain('trim it and add a title\nThe user then said: yellow please');
      return verdictReply('approve');
    });
    const resumed = await edit({ request: { prompt: 'yellow please' }, resume: stored });

    expect(resumed.status).toBe('rendered');
    expect(resumed.script).toEqual([TRIM_CODE, TITLE_CODE]);
    expect((await probeVideo(resumed.renderPath!)).duration).toBeCloseTo(2, 0);
    expect(opened).toBe(2);
  });
});
