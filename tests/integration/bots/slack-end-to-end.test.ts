// The whole story over Slack: real Bolt over HTTP against the Slack fake, real Redis, a real edit
// worker running the agent in local Chromium against the scripted OpenAI-compatible fake, real ffprobe.
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../../src/media/probe-media.ts';
import { textReply, toolCallReply, verdictReply } from '../../fakes/openai-fake-server.ts';
import { type SlackFakeUpload, sendSignedEvent } from '../../fakes/slack-fake-server.ts';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';
import {
  type SlackStack,
  STACK_AGENT_MODEL,
  STACK_SIGNING_SECRET,
  STACK_VISION_MODEL,
  startSlackStack,
} from '../../helpers/slack-stack.ts';

const CHANNEL = 'C0VIDEO';
const ALICE = 'U0ALICE';

const TRIM_TWO_SECONDS = `console.log('clips in the page:', assets.length);
const v = assets.find((a) => a.kind === 'video');
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, 2] }));`;

const CUT_TO_ONE_SECOND = `composition.clear();
const v = assets.find((a) => a.kind === 'video');
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, 1] }));`;

let redis: TestRedis;
let media: MediaFixtures;
let clip: Buffer;
let stack: SlackStack | undefined;
let scratch: string;

beforeAll(async () => {
  redis = await startTestRedis();
  media = await MediaFixtures.create();
  const { readFileSync } = await import('node:fs');
  clip = readFileSync(await media.clip('clip.mp4', { seconds: 3, width: 320, height: 240 }));
  scratch = await mkdtemp(path.join(tmpdir(), 'cutroom-slack-e2e-'));
});

afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

afterAll(async () => {
  await redis?.close();
  await media?.close();
  await rm(scratch, { recursive: true, force: true });
});

function scriptEdit(s: SlackStack, code: string, summary: string): void {
  s.llm.enqueueFor(
    STACK_AGENT_MODEL,
    toolCallReply('run_code', { code }),
    toolCallReply('visual_feedback', {}),
    toolCallReply('render', {}),
    // The caption comes from one short call after the render.
    textReply(summary),
  );
  s.llm.enqueueFor(STACK_VISION_MODEL, verdictReply('approve'));
}

async function send(s: SlackStack, event: Record<string, unknown>): Promise<number> {
  const res = await sendSignedEvent(s.bot.eventsUrl ?? '', s.slack.eventEnvelope(event), {
    signingSecret: STACK_SIGNING_SECRET,
  });
  return res.status;
}

async function mention(s: SlackStack, text: string): Promise<string> {
  const file = s.slack.addFile({ name: 'clip.mp4', bytes: clip, mimetype: 'video/mp4' });
  const message = s.slack.addMessage({
    channel: CHANNEL,
    user: ALICE,
    text: `<@${s.slack.botUserId}> ${text}`,
  });
  expect(
    await send(s, {
      type: 'app_mention',
      user: ALICE,
      text: message.text,
      ts: message.ts,
      channel: CHANNEL,
      files: [file],
    }),
  ).toBe(200);
  return message.ts;
}

async function reply(s: SlackStack, threadTs: string, text: string): Promise<void> {
  const message = s.slack.addMessage({ channel: CHANNEL, user: ALICE, thread_ts: threadTs, text });
  expect(
    await send(s, {
      type: 'message',
      channel_type: 'channel',
      user: ALICE,
      text,
      ts: message.ts,
      thread_ts: threadTs,
      channel: CHANNEL,
    }),
  ).toBe(200);
}

function mp4Uploads(s: SlackStack, threadTs: string): SlackFakeUpload[] {
  return s.slack.uploads.filter(
    (u) => u.completedAt && u.threadTs === threadTs && /\.mp4$/i.test(u.filename),
  );
}

async function nthRender(s: SlackStack, threadTs: string, n: number): Promise<SlackFakeUpload> {
  const uploads = await s.slack
    .waitFor(() => mp4Uploads(s, threadTs).length >= n && mp4Uploads(s, threadTs), {
      timeoutMs: 150_000,
      what: `render ${n} in the thread`,
    })
    .catch((error: Error) => {
      // What the thread shows says where the story stopped.
      const thread = s.slack.botMessages(threadTs).map((m) => m.text);
      throw new Error(
        `${error.message}; thread: ${JSON.stringify(thread)}; LLM calls: ${s.llm.chatRequests.length}`,
      );
    });
  return uploads[n - 1];
}

async function probeUpload(upload: SlackFakeUpload) {
  const file = path.join(scratch, `${upload.id}.mp4`);
  writeFileSync(file, upload.bytes);
  return probeMedia(file);
}

// Each version renders in real Chromium on two shared cores.
describe('Slack end to end', { timeout: 300_000 }, () => {
  it('turns a mention with a clip into status updates, a preview sheet and a valid MP4; a reply makes version 2; undo goes back', async () => {
    const s = await startSlackStack({ redisUrl: redis.url });
    stack = s;
    scriptEdit(s, TRIM_TWO_SECONDS, 'Kept the first two seconds.');
    const ts = await mention(s, 'keep the first two seconds');

    const v1 = await nthRender(s, ts, 1);
    // The one clip of the thread reached the page once: the worker leaves loading to the agent.
    const sent = JSON.stringify(s.llm.requests.map((r) => r.body));
    expect(sent.match(/clips in the page: \d+/)?.[0]).toBe('clips in the page: 1');
    expect(v1.channel).toBe(CHANNEL);
    expect(v1.initialComment).toContain('Version 1');
    const v1Info = await probeUpload(v1);
    expect(v1Info.kind).toBe('video');
    expect(v1Info.duration).toBeCloseTo(2, 0);

    const previews = s.slack.uploads.filter(
      (u) => u.completedAt && u.threadTs === ts && !/\.mp4$/i.test(u.filename),
    );
    expect(previews.length).toBeGreaterThanOrEqual(1);
    expect(previews[0].filename).toMatch(/\.jpe?g$/);
    expect(previews[0].initialComment ?? '').toMatch(/^Preview\b[^\n]+$/);

    const statusTexts = s.slack.callsOf('chat.update').map((c) => String(c.args.text));
    expect(statusTexts.some((t) => /Editing|Checking frames|Rendering/.test(t))).toBe(true);
    const statusMessage = s.slack.botMessages(ts)[0];
    await s.slack.waitFor(() => /Done/.test(statusMessage.text), { what: 'the status to say Done' });
    expect(s.slack.reactions.some((r) => r.timestamp === ts)).toBe(true);

    scriptEdit(s, CUT_TO_ONE_SECOND, 'Cut it down to one second.');
    await reply(s, ts, 'make it one second long');
    const v2 = await nthRender(s, ts, 2);
    expect(v2.initialComment).toContain('Version 2');
    expect((await probeUpload(v2)).duration).toBeCloseTo(1, 0);
    await s.slack.waitFor(
      () => s.slack.botMessages(ts).find((m) => JSON.stringify(m.blocks ?? '').includes('cutroom_undo')),
      {
        what: 'an Undo button',
      },
    );

    await reply(s, ts, 'undo');
    const back = await nthRender(s, ts, 3);
    expect((await probeUpload(back)).duration).toBeCloseTo(2, 0);
    expect(await s.pendingJobs()).toEqual([]);
  });

  it('ends with a short, specific reply when the render fails', async () => {
    // A 30 s composition cannot render within the smallest render timeout, on every retry.
    const s = await startSlackStack({ redisUrl: redis.url, env: { CUTROOM_RENDER_TIMEOUT_MS: '1000' } });
    stack = s;
    const longTitle = `const layer = await composition.add(new core.Layer());
await layer.add(new core.TextClip({ text: 'Long', position: 'center', duration: 30, font: { family: 'DejaVu Sans', size: 48 }, color: '#ffffff' }));`;
    s.llm.setFallback((req) => {
      if (req.model === STACK_VISION_MODEL) return verdictReply('approve');
      const step = req.toolResults().length;
      if (step === 0) return toolCallReply('run_code', { code: longTitle });
      return step === 1 ? toolCallReply('visual_feedback', {}) : toolCallReply('render', {});
    });
    const ts = await mention(s, 'a 30 second title card');
    const failure = await s.slack.waitFor(() => s.slack.botMessages(ts).find((m) => m.text.startsWith('⚠️')), {
      timeoutMs: 200_000,
      what: 'a failure reply',
    });
    expect(failure.text).toMatch(/render/i);
    expect(failure.text.length).toBeLessThan(300);
    expect(mp4Uploads(s, ts)).toEqual([]);
    await s.slack.waitFor(() => /Failed/.test(s.slack.botMessages(ts)[0].text), {
      what: 'the status to say Failed',
    });
  });

  it('ends with a short reply when the LLM endpoint is down', async () => {
    const s = await startSlackStack({ redisUrl: redis.url });
    stack = s;
    s.llm.failNext({ status: 503, times: Number.POSITIVE_INFINITY });
    const ts = await mention(s, 'make a teaser');
    const failure = await s.slack.waitFor(() => s.slack.botMessages(ts).find((m) => m.text.startsWith('⚠️')), {
      timeoutMs: 150_000,
      what: 'a failure reply',
    });
    expect(s.llm.chatRequests.length).toBeGreaterThan(0);
    expect(failure.text.length).toBeLessThan(300);
    expect(failure.text).not.toMatch(/sk-|Bearer|at .+\.ts:\d+/);
    expect(mp4Uploads(s, ts)).toEqual([]);
  });
});
