// Phone footage through the Slack and Discord ingest, end to end: the real bots against their protocol fakes, real
// Redis, a real edit worker that converts in ffmpeg and renders in local Chromium, the scripted OpenAI-compatible fake.
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CutroomError } from '../../../src/errors.ts';
import { validateMedia } from '../../../src/media/validate-media.ts';
import type { EditQueue } from '../../../src/queue/edit-queue.ts';
import { type OpenAiFakeServer, toolCallReply, verdictReply } from '../../fakes/openai-fake-server.ts';
import { sendSignedEvent } from '../../fakes/slack-fake-server.ts';
import {
  DISCORD_STACK_AGENT_MODEL,
  DISCORD_STACK_VISION_MODEL,
  startDiscordStack,
} from '../../helpers/discord-stack.ts';
import {
  type BrokenUploads,
  expectFaithfulSequence,
  makeBrokenUploads,
  makePhoneClips,
  type PhoneClips,
  PhoneFootage,
  SEQUENCE_SCRIPT,
} from '../../helpers/phone-footage.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';
import {
  STACK_AGENT_MODEL,
  STACK_SIGNING_SECRET,
  STACK_VISION_MODEL,
  startSlackStack,
} from '../../helpers/slack-stack.ts';

const MIME: Record<string, string> = {
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.avi': 'video/x-msvideo',
  '.png': 'image/png',
  '.zip': 'application/zip',
};

/** One chat platform as these stories use it. */
interface Chat {
  llm: OpenAiFakeServer;
  agentModel: string;
  visionModel: string;
  edits: EditQueue;
  /** The artifact store's root. */
  artifactsRoot: string;
  /** Posts the files with a message addressed to the bot; resolves with the thread's id. */
  post(files: string[], text: string): Promise<string>;
  reply(thread: string, text: string): Promise<void>;
  /** The bytes of the nth MP4 the bot posted in the thread. */
  render(thread: string, n: number): Promise<Buffer>;
  /** Resolves once the bot has said something containing `text` in the thread. */
  said(thread: string, text: string): Promise<void>;
  /** Every status line the bot has shown so far, in any thread. */
  statusTexts(): string[];
  close(): Promise<void>;
}

let redis: TestRedis;
let footage: PhoneFootage;
let clips: PhoneClips;
let broken: BrokenUploads;

beforeAll(async () => {
  redis = await startTestRedis();
  footage = new PhoneFootage(await mkdtemp(path.join(tmpdir(), 'cutroom-phone-chat-')));
  [clips, broken] = await Promise.all([makePhoneClips(footage), makeBrokenUploads(footage)]);
}, 120_000);

afterAll(async () => {
  await redis?.close();
  if (footage) await rm(footage.dir, { recursive: true, force: true });
});

async function slackChat(): Promise<Chat> {
  const s = await startSlackStack({ redisUrl: redis.url });
  const channel = 'C0PHONE';
  const user = 'U0ALICE';
  const send = async (event: Record<string, unknown>) => {
    const res = await sendSignedEvent(s.bot.eventsUrl ?? '', s.slack.eventEnvelope(event), {
      signingSecret: STACK_SIGNING_SECRET,
    });
    expect(res.status).toBe(200);
  };
  const mp4s = (thread: string) =>
    s.slack.uploads.filter((u) => u.completedAt && u.threadTs === thread && /\.mp4$/i.test(u.filename));
  return {
    llm: s.llm,
    agentModel: STACK_AGENT_MODEL,
    visionModel: STACK_VISION_MODEL,
    edits: s.edits,
    artifactsRoot: s.store.root,
    async post(files, text) {
      const added = await Promise.all(
        files.map(async (file) =>
          s.slack.addFile({
            name: path.basename(file),
            bytes: await readFile(file),
            mimetype: MIME[path.extname(file).toLowerCase()],
          }),
        ),
      );
      const message = s.slack.addMessage({ channel, user, text: `<@${s.slack.botUserId}> ${text}` });
      await send({ type: 'app_mention', user, text: message.text, ts: message.ts, channel, files: added });
      return message.ts;
    },
    async reply(thread, text) {
      const message = s.slack.addMessage({ channel, user, thread_ts: thread, text });
      await send({
        type: 'message',
        channel_type: 'channel',
        user,
        text,
        ts: message.ts,
        thread_ts: thread,
        channel,
      });
    },
    async render(thread, n) {
      const uploads = await s.slack.waitFor(() => mp4s(thread).length >= n && mp4s(thread), {
        timeoutMs: 200_000,
        what: `render ${n} in the thread`,
      });
      return uploads[n - 1].bytes;
    },
    async said(thread, text) {
      await s.slack.waitFor(() => s.slack.botMessages(thread).some((m) => m.text.includes(text)), {
        what: `a reply saying ${text}`,
      });
    },
    statusTexts: () =>
      s.slack.calls
        .filter((c) => c.method === 'chat.update' || c.method === 'chat.postMessage')
        .map((c) => String(c.args.text)),
    close: () => s.close(),
  };
}

async function discordChat(): Promise<Chat> {
  const d = await startDiscordStack({ redisUrl: redis.url });
  const user = { id: '400000000000000003', username: 'carol' };
  const mp4s = (thread: string) =>
    d.discord.channelMessages(thread).filter((m) => m.files.some((f) => /video\/mp4/.test(f.contentType)));
  return {
    llm: d.llm,
    agentModel: DISCORD_STACK_AGENT_MODEL,
    visionModel: DISCORD_STACK_VISION_MODEL,
    edits: d.services.editQueue,
    artifactsRoot: d.services.artifacts.root,
    async post(files, text) {
      const attachments = await Promise.all(
        files.map(async (file) =>
          d.discord.addAttachment(
            path.basename(file),
            await readFile(file),
            MIME[path.extname(file).toLowerCase()],
          ),
        ),
      );
      const message = d.discord.sendUserMessage({
        user,
        channelId: d.channelId,
        content: text,
        attachments,
        mentionBot: true,
      });
      await d.discord.waitUntil(() => d.discord.threads(d.channelId).find((t) => t.id === message.id), {
        what: 'a thread on the message',
      });
      return message.id;
    },
    async reply(thread, text) {
      d.discord.sendUserMessage({ user, channelId: thread, content: text });
    },
    async render(thread, n) {
      const messages = await d.discord.waitUntil(() => mp4s(thread).length >= n && mp4s(thread), {
        timeoutMs: 200_000,
        what: `render ${n} in the thread`,
      });
      const file = messages[n - 1].files.find((f) => /video\/mp4/.test(f.contentType));
      return file?.data ?? Buffer.alloc(0);
    },
    async said(thread, text) {
      await d.discord.waitUntil(
        () => d.discord.channelMessages(thread).some((m) => m.content.includes(text)),
        {
          what: `a reply saying ${text}`,
        },
      );
    },
    statusTexts: () =>
      d.discord.calls
        .filter((c) => c.method === 'PATCH' || c.method === 'POST')
        .map((c) => JSON.stringify(c.body ?? '')),
    close: () => d.close(),
  };
}

function scriptSequence(chat: Chat): void {
  chat.llm.enqueueFor(
    chat.agentModel,
    toolCallReply('run_code', { code: SEQUENCE_SCRIPT }),
    toolCallReply('visual_feedback', {}),
    toolCallReply('render', {}, { content: 'Put the clips one after another.' }),
  );
  chat.llm.enqueueFor(chat.visionModel, verdictReply('approve'));
}

/** The code-action logs the agent was sent: where SEQUENCE_SCRIPT says what each clip looked like to the page. */
function actionLogs(chat: Chat): string {
  return JSON.stringify(chat.llm.requests.map((r) => r.body));
}

async function convertedCopies(chat: Chat): Promise<Map<string, number>> {
  const dir = path.join(chat.artifactsRoot, 'converted', 'v1');
  const names = await readdir(dir).catch(() => [] as string[]);
  return new Map(
    await Promise.all(names.map(async (n) => [n, (await stat(path.join(dir, n))).mtimeMs] as const)),
  );
}

/** Runs one more scripted edit: no status may say Converting, and the converted copies stay as they were. */
async function expectNoConversion(chat: Chat, edit: () => Promise<void>): Promise<void> {
  const before = await convertedCopies(chat);
  const statusesBefore = chat.statusTexts().length;
  scriptSequence(chat);
  await edit();
  const converting = chat
    .statusTexts()
    .slice(statusesBefore)
    .filter((t) => /Converting/.test(t));
  expect(converting).toEqual([]);
  expect(await convertedCopies(chat)).toEqual(before);
}

async function jobCount(chat: Chat): Promise<number> {
  const counts = await chat.edits.queue.getJobCounts();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

for (const [platform, open] of [
  ['Slack', slackChat],
  ['Discord', discordChat],
] as const) {
  describe(`phone footage through ${platform}`, { timeout: 300_000 }, () => {
    let chat: Chat;
    let firstThread: string;

    beforeAll(async () => {
      chat = await open();
    }, 60_000);

    afterAll(async () => {
      await chat?.close();
    });

    it('converts HEVC, 10-bit, portrait, AVI and HDR clips, says so, and renders all of them upright at their length', async () => {
      scriptSequence(chat);
      const sources = Object.values(clips);
      const thread = await chat.post(sources, 'put these one after another');
      firstThread = thread;
      const render = footage.file(`${platform}-all.mp4`);
      await writeFile(render, await chat.render(thread, 1));
      expect(chat.statusTexts().some((t) => /Converting/.test(t) && /clip/.test(t))).toBe(true);
      await expectFaithfulSequence(footage, render, sources, actionLogs(chat));
      // Everything but the variable-rate H.264 clip needed converting, once each.
      expect((await convertedCopies(chat)).size).toBe(sources.length - 1);
    });

    it('converts nothing for a second upload of the same clip', async () => {
      await expectNoConversion(chat, async () => {
        const thread = await chat.post([clips.hevc], 'this one again');
        await chat.render(thread, 1);
      });
    });

    it('converts nothing when a follow-up replays the converted clips', async () => {
      await expectNoConversion(chat, async () => {
        await chat.reply(firstThread, 'once more please');
        await chat.render(firstThread, 2);
      });
    });

    describe('refuses each broken upload before queueing it, in the words cutroom render uses', () => {
      for (const which of ['cut', 'drm', 'huge', 'misnamed', 'empty'] as const) {
        it(which, async () => {
          const refusal = await validateMedia(broken[which], {
            limits: { maxAssetDimensions: { width: 4096, height: 4096 } },
          }).then(
            () => 'accepted',
            (e: CutroomError) => e.userMessage,
          );
          const jobsBefore = await jobCount(chat);
          const thread = await chat.post([broken[which]], 'make something of this');
          await chat.said(thread, refusal);
          expect(await jobCount(chat)).toBe(jobsBefore);
        });
      }
    });
  });
}
