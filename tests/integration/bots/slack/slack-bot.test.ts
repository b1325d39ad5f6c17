// Real Bolt over HTTP and Socket Mode against the protocol-level Slack fake, real redis-server
// (BullMQ queues) and real ffmpeg clips. No worker runs here: deliveries are enqueued the way a worker does.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BotMessages } from '../../../../src/bots/shared/bot-core.ts';
import { type SlackBot, startSlackBot } from '../../../../src/bots/slack/slack-bot.ts';
import { MISSING_FILES_READ } from '../../../../src/bots/slack/slack-files.ts';
import { escapeSlackText } from '../../../../src/bots/slack/slack-surface.ts';
import { loadConfig } from '../../../../src/config.ts';
import type { DeliveryQueue } from '../../../../src/deliveries/delivery-queue.ts';
import { HttpServer } from '../../../../src/http/http-server.ts';
import { createSilentLogger } from '../../../../src/logger.ts';
import type { Services } from '../../../../src/open-services.ts';
import { type ArtifactStore, previewKey, renderKey } from '../../../../src/queue/artifact-store.ts';
import type { EditQueue } from '../../../../src/queue/edit-queue.ts';
import type { EditRequest, ThreadRef } from '../../../../src/queue/types.ts';
import {
  type AddFileOptions,
  blockActionBody,
  SlackFakeServer,
  sendSignedEvent,
} from '../../../fakes/slack-fake-server.ts';
import { MediaFixtures } from '../../../helpers/media-fixtures.ts';
import { openTestServices } from '../../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../../helpers/redis-server.ts';

const SECRET = 'test-signing-secret';
const CHANNEL = 'C0VIDEO';
const ALICE = 'U0ALICE';

let redis: TestRedis;
let media: MediaFixtures;
let workDir: string;
let clip: Buffer;
let corrupt: Buffer;

beforeAll(async () => {
  redis = await startTestRedis();
  media = await MediaFixtures.create();
  workDir = mkdtempSync(path.join(tmpdir(), 'cutroom-slack-test-'));
  const clipPath = await media.clip('clip.mp4', { seconds: 2, width: 320, height: 240 });
  clip = readFileSync(clipPath);
  // A real MP4 header followed by noise: what a broken transfer or a renamed file looks like.
  corrupt = Buffer.concat([clip.subarray(0, 32), randomBytes(64 * 1024)]);
});

afterAll(async () => {
  await redis?.close();
  await media?.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface Harness {
  fake: SlackFakeServer;
  bot: SlackBot;
  store: ArtifactStore;
  edits: EditQueue;
  deliveries: DeliveryQueue;
  jobs(): Promise<EditRequest[]>;
  /** Posts a signed event envelope to the bot; returns the HTTP status. */
  send(event: Record<string, unknown>, options?: { eventId?: string; retryNum?: number }): Promise<number>;
  /** A user message with a mention, stored in the fake and sent as app_mention. */
  mention(
    text: string,
    options?: { files?: AddFileOptions[]; threadTs?: string; eventId?: string },
  ): Promise<{
    ts: string;
    status: number;
    thread: ThreadRef;
  }>;
  /** A plain thread reply, stored in the fake and sent as a message event. */
  reply(threadTs: string, text: string, options?: { files?: AddFileOptions[] }): Promise<number>;
}

let open: (() => Promise<void>)[] = [];

/** The environment of a bot talking to `fake`, on the test's Redis and a data directory of its own. */
function slackConfig(fake: SlackFakeServer, env: Record<string, string> = {}) {
  return loadConfig(
    {
      REDIS_URL: redis.url,
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_API_URL: fake.apiUrl,
      CUTROOM_DATA_DIR: mkdtempSync(path.join(workDir, 'data-')),
      ...env,
    },
    { readDotenv: false },
  );
}

/** The services a `cutroom bot` process opens, closed after the test. */
async function servicesFor(config: ReturnType<typeof loadConfig>): Promise<Services> {
  const services = await openTestServices(config);
  open.push(() => services.close());
  return services;
}

afterEach(async () => {
  for (const close of open.reverse()) await close().catch(() => {});
  open = [];
});

async function startHarness(
  env: Record<string, string> = {},
  options: { socketMode?: boolean } = {},
): Promise<Harness> {
  const fake = await new SlackFakeServer().start();
  open.push(() => fake.close());
  const config = slackConfig(fake, {
    ...(options.socketMode ? { SLACK_APP_TOKEN: fake.appToken } : {}),
    ...env,
  });
  const services = await servicesFor(config);
  const { edits, deliveries, artifacts: store } = services;
  const bot = await startSlackBot({
    config,
    logger: createSilentLogger(),
    services,
    listen: { port: 0, host: '127.0.0.1' },
    statusIntervalMs: 100,
  });
  open.push(() => bot.close());

  const send: Harness['send'] = async (event, options = {}) => {
    const body = fake.eventEnvelope(event, { eventId: options.eventId });
    const res = await sendSignedEvent(bot.eventsUrl ?? '', body, {
      signingSecret: SECRET,
      retryNum: options.retryNum,
    });
    return res.status;
  };
  const filesOf = (files: AddFileOptions[] = []) => files.map((f) => fake.addFile(f));
  return {
    fake,
    bot,
    store,
    edits,
    deliveries,
    send,
    async jobs() {
      const jobs = await edits.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
      return jobs.map((j) => j.data).sort((a, b) => a.receivedAt - b.receivedAt);
    },
    async mention(text, options = {}) {
      const files = filesOf(options.files);
      const message = fake.addMessage({
        channel: CHANNEL,
        user: ALICE,
        thread_ts: options.threadTs,
        text: `<@${fake.botUserId}> ${text}`,
        files: files as never,
      });
      const event = {
        type: 'app_mention',
        user: ALICE,
        text: message.text,
        ts: message.ts,
        thread_ts: options.threadTs,
        channel: CHANNEL,
        files: files.length ? files : undefined,
      };
      const status = await send(event, { eventId: options.eventId });
      return {
        ts: message.ts,
        status,
        thread: {
          platform: 'slack',
          workspaceId: fake.teamId,
          channelId: CHANNEL,
          threadId: options.threadTs ?? message.ts,
        },
      };
    },
    async reply(threadTs, text, options = {}) {
      const files = filesOf(options.files);
      const message = fake.addMessage({ channel: CHANNEL, user: ALICE, thread_ts: threadTs, text });
      return send({
        type: 'message',
        channel_type: 'channel',
        subtype: files.length ? 'file_share' : undefined,
        user: ALICE,
        text,
        ts: message.ts,
        thread_ts: threadTs,
        channel: CHANNEL,
        files: files.length ? files : undefined,
      });
    },
  };
}

async function waitForJobs(h: Harness, count: number): Promise<EditRequest[]> {
  for (let i = 0; i < 300; i++) {
    const jobs = await h.jobs();
    if (jobs.length >= count) return jobs;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${count} queued edit jobs, got ${(await h.jobs()).length}`);
}

/** Waits for a bot reply in the thread whose text matches. */
function waitForReply(h: Harness, threadTs: string, pattern: RegExp | string) {
  return h.fake.waitFor(
    () =>
      h.fake
        .botMessages(threadTs)
        .find((m) => (typeof pattern === 'string' ? m.text.includes(pattern) : pattern.test(m.text))),
    { what: `a reply matching ${pattern}` },
  );
}

const mp4 = (name = 'clip.mp4', extra: Partial<AddFileOptions> = {}): AddFileOptions => ({
  name,
  bytes: clip,
  mimetype: 'video/mp4',
  ...extra,
});

describe('Slack bot over HTTP', () => {
  it('queues a mention with a clip: reacts, probes the clip and posts a queued status in the thread', async () => {
    const h = await startHarness();
    const { ts, status } = await h.mention('make a 15 s teaser with a title "Launch day"', {
      files: [mp4()],
    });
    expect(status).toBe(200);

    const [job] = await waitForJobs(h, 1);
    expect(job.kind).toBe('edit');
    expect(job.prompt).toBe('make a 15 s teaser with a title "Launch day"');
    expect(job.thread).toEqual({
      platform: 'slack',
      workspaceId: h.fake.teamId,
      channelId: CHANNEL,
      threadId: ts,
    });
    expect(job.assets).toHaveLength(1);
    expect(job.assets[0]).toMatchObject({
      name: 'clip.mp4',
      kind: 'video',
      width: 320,
      height: 240,
      hasAudio: true,
    });
    expect(job.assets[0].duration).toBeGreaterThan(1.5);
    expect(readFileSync(h.store.pathFor(job.assets[0].key))).toEqual(clip);
    expect(h.fake.fileDownloads.every((d) => d.authorized)).toBe(true);

    expect(h.fake.reactions).toContainEqual({ channel: CHANNEL, timestamp: ts, name: 'eyes' });
    const statusMessage = await waitForReply(h, ts, /Queued/);
    expect(statusMessage.text).toMatch(/Queued \((next up|position \d+)\)/);
    expect(JSON.stringify(statusMessage.blocks)).toContain('cutroom_cancel');
  });

  it('rejects a bad signature and a stale timestamp with 401 and queues nothing', async () => {
    const h = await startHarness();
    const file = h.fake.addFile(mp4());
    const body = h.fake.eventEnvelope({
      type: 'app_mention',
      user: ALICE,
      text: `<@${h.fake.botUserId}> go`,
      ts: h.fake.nextTs(),
      channel: CHANNEL,
      files: [file],
    });
    const forged = await sendSignedEvent(h.bot.eventsUrl ?? '', body, { signingSecret: 'wrong-secret' });
    const stale = await sendSignedEvent(h.bot.eventsUrl ?? '', body, {
      signingSecret: SECRET,
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(forged.status).toBe(401);
    expect(stale.status).toBe(401);
    await new Promise((r) => setTimeout(r, 300));
    expect(await h.jobs()).toEqual([]);
    expect(h.fake.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
    expect(h.fake.fileDownloads).toEqual([]);
  });

  it('processes a retried event once: one job, one status message', async () => {
    const h = await startHarness();
    const file = h.fake.addFile(mp4());
    const message = h.fake.addMessage({
      channel: CHANNEL,
      user: ALICE,
      text: `<@${h.fake.botUserId}> trim it`,
    });
    const event = {
      type: 'app_mention',
      user: ALICE,
      text: message.text,
      ts: message.ts,
      channel: CHANNEL,
      files: [file],
    };
    expect(await h.send(event, { eventId: 'Ev0RETRY' })).toBe(200);
    expect(await h.send(event, { eventId: 'Ev0RETRY', retryNum: 1 })).toBe(200);
    expect(await h.send(event, { eventId: 'Ev0RETRY', retryNum: 2 })).toBe(200);
    await waitForJobs(h, 1);
    await waitForReply(h, message.ts, /Queued/);
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.jobs()).toHaveLength(1);
    expect(h.fake.callsOf('chat.postMessage')).toHaveLength(1);
    expect(h.fake.fileDownloads).toHaveLength(1);
  });

  it('ignores its own messages and replies in threads it does not own', async () => {
    const h = await startHarness();
    const root = h.fake.addMessage({ channel: CHANNEL, user: ALICE, text: 'unrelated chat' });
    expect(await h.reply(root.ts, 'make it shorter', { files: [mp4()] })).toBe(200);
    expect(
      await h.send({
        type: 'message',
        bot_id: h.fake.botId,
        user: h.fake.botUserId,
        text: 'Version 1',
        ts: h.fake.nextTs(),
        thread_ts: root.ts,
        channel: CHANNEL,
      }),
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect(await h.jobs()).toEqual([]);
    expect(h.fake.calls.filter((c) => c.method !== 'auth.test')).toEqual([]);
  });

  it('makes the next version from a plain reply, with or without files, and queues undo', async () => {
    const h = await startHarness();
    const { ts } = await h.mention('cut to the best second', { files: [mp4()] });
    await waitForJobs(h, 1);
    expect(await h.reply(ts, 'now add a title "Hello"')).toBe(200);
    expect(await h.reply(ts, 'add this one at the end', { files: [mp4('second.mp4')] })).toBe(200);
    expect(await h.reply(ts, 'undo')).toBe(200);
    const jobs = await waitForJobs(h, 4);
    expect(jobs.map((j) => [j.kind, j.prompt, j.assets.length])).toEqual([
      ['edit', 'cut to the best second', 1],
      ['edit', 'now add a title "Hello"', 0],
      ['edit', 'add this one at the end', 1],
      ['undo', '', 0],
    ]);
    expect(new Set(jobs.map((j) => j.thread.threadId))).toEqual(new Set([ts]));
  });

  it('uses clips posted earlier in the thread when a mention has none', async () => {
    const h = await startHarness();
    const file = h.fake.addFile(mp4('earlier.mp4'));
    const root = h.fake.addMessage({
      channel: CHANNEL,
      user: ALICE,
      text: 'here is the footage',
      files: [file as never],
    });
    await h.mention('make a teaser from this', { threadTs: root.ts });
    const [job] = await waitForJobs(h, 1);
    expect(job.assets.map((a) => a.name)).toEqual(['earlier.mp4']);
    expect(h.fake.callsOf('conversations.replies')[0].args).toMatchObject({ channel: CHANNEL, ts: root.ts });
  });

  it('reads files through files.info when the event says check_file_info', async () => {
    const h = await startHarness();
    await h.mention('trim', { files: [mp4('hidden.mp4', { checkFileInfo: true })] });
    const [job] = await waitForJobs(h, 1);
    expect(job.assets[0].name).toBe('hidden.mp4');
    expect(h.fake.callsOf('files.info')).toHaveLength(1);
  });

  describe('bad input ends as a short reply and queues nothing', () => {
    const cases: {
      name: string;
      env?: Record<string, string>;
      files: () => AddFileOptions[];
      reply: RegExp | string;
    }[] = [
      { name: 'no file in the thread', files: () => [], reply: BotMessages.noClip },
      {
        name: 'a PDF',
        files: () => [{ name: 'brief.pdf', bytes: Buffer.from('%PDF-1.4\n'), mimetype: 'application/pdf' }],
        reply: /"brief\.pdf" is a PDF, not a video/,
      },
      {
        name: 'a file over the size limit',
        env: { CUTROOM_MAX_ASSET_MB: '1' },
        files: () => [mp4('huge.mp4', { claimedSize: 5 * 1024 * 1024 })],
        reply: /"huge\.mp4" is 5\.0 MB; the limit is 1\.0 MB/,
      },
      {
        name: 'a file that streams past the size limit although it claims less',
        env: { CUTROOM_MAX_ASSET_MB: '1' },
        files: () => [
          {
            name: 'liar.mp4',
            bytes: Buffer.alloc(2 * 1024 * 1024, 1),
            mimetype: 'video/mp4',
            claimedSize: 1000,
          },
        ],
        reply: /"liar\.mp4" is larger than the limit of 1 MB/,
      },
      {
        name: 'a corrupt video',
        files: () => [{ name: 'broken.mp4', bytes: corrupt, mimetype: 'video/mp4' }],
        reply: /"broken\.mp4" looks damaged/,
      },
      {
        name: 'a sign-in page instead of the file (missing files:read)',
        files: () => [mp4('clip.mp4', { loginPage: true })],
        // Slack shows `&amp;` as `&`: the reply is escaped like any text that may carry a file's name.
        reply: escapeSlackText(MISSING_FILES_READ),
      },
    ];
    for (const c of cases) {
      it(`replies for ${c.name}`, async () => {
        const h = await startHarness(c.env);
        const { ts } = await h.mention('make a teaser', { files: c.files() });
        const reply = await waitForReply(h, ts, c.reply);
        expect(reply.thread_ts).toBe(ts);
        expect(reply.text.length).toBeLessThan(400);
        expect(reply.text).not.toContain(h.fake.botToken);
        expect(await h.jobs()).toEqual([]);
      });
    }
  });

  it('refuses channels outside the allowlist with a reply', async () => {
    const h = await startHarness({ SLACK_ALLOWED_CHANNELS: 'C0OTHER' });
    const { ts } = await h.mention('make a teaser', { files: [mp4()] });
    await waitForReply(h, ts, BotMessages.notAllowed);
    expect(await h.jobs()).toEqual([]);
    expect(h.fake.fileDownloads).toEqual([]);
  });

  it('refuses workspaces outside the allowlist', async () => {
    const h = await startHarness({ SLACK_ALLOWED_TEAMS: 'T0SOMEONEELSE' });
    const { ts } = await h.mention('make a teaser', { files: [mp4()] });
    await waitForReply(h, ts, BotMessages.notAllowed);
    expect(await h.jobs()).toEqual([]);
  });

  it('answers a rate-limited user in the thread', async () => {
    const h = await startHarness({ CUTROOM_RATE_USER_PER_HOUR: '1' });
    await h.mention('first', { files: [mp4()] });
    await waitForJobs(h, 1);
    const { ts } = await h.mention('second', { files: [mp4()] });
    await waitForReply(h, ts, /You have reached 1 edits per hour; try again in \d+ minutes/);
    expect(await h.jobs()).toHaveLength(1);
  });

  it('cancels a queued job from the Cancel button and shows it in the status message', async () => {
    const h = await startHarness();
    const { ts } = await h.mention('make a teaser', { files: [mp4()] });
    const [job] = await waitForJobs(h, 1);
    const statusMessage = await waitForReply(h, ts, /Queued/);
    const click = await sendSignedEvent(
      h.bot.eventsUrl ?? '',
      blockActionBody({
        actionId: 'cutroom_cancel',
        value: job.id,
        channel: CHANNEL,
        messageTs: statusMessage.ts,
        threadTs: ts,
      }),
      { signingSecret: SECRET },
    );
    expect(click.status).toBe(200);
    await h.fake.waitFor(() => /Cancelled/.test(statusMessage.text), { what: 'the status to say Cancelled' });
    expect(JSON.stringify(statusMessage.blocks)).not.toContain('cutroom_cancel');
    expect(await h.jobs()).toEqual([]);
  });

  it('cancels the thread’s latest request on a "cancel" reply, and says so when nothing runs', async () => {
    const h = await startHarness();
    const { ts } = await h.mention('make a teaser', { files: [mp4()] });
    await waitForJobs(h, 1);
    const statusMessage = await waitForReply(h, ts, /Queued/);
    expect(await h.reply(ts, 'cancel')).toBe(200);
    await h.fake.waitFor(() => /Cancelled/.test(statusMessage.text), { what: 'the status to say Cancelled' });
    expect(await h.jobs()).toEqual([]);
    expect(await h.reply(ts, 'stop')).toBe(200);
    await waitForReply(h, ts, BotMessages.nothingToCancel);
  });

  it('queues an undo from the Undo button once, however often it is clicked', async () => {
    const h = await startHarness();
    const { ts } = await h.mention('make a teaser', { files: [mp4()] });
    await waitForJobs(h, 1);
    const body = blockActionBody({
      actionId: 'cutroom_undo',
      value: '2',
      channel: CHANNEL,
      messageTs: h.fake.nextTs(),
      threadTs: ts,
    });
    await sendSignedEvent(h.bot.eventsUrl ?? '', body, { signingSecret: SECRET });
    await sendSignedEvent(h.bot.eventsUrl ?? '', body, { signingSecret: SECRET });
    const jobs = await waitForJobs(h, 2);
    await new Promise((r) => setTimeout(r, 300));
    expect((await h.jobs()).map((j) => j.kind)).toEqual(['edit', 'undo']);
    expect(jobs[1].thread.threadId).toBe(ts);
  });
});

describe('Slack deliveries', () => {
  async function ownedThread(h: Harness) {
    const { ts, thread } = await h.mention('make a teaser', { files: [mp4()] });
    const [job] = await waitForJobs(h, 1);
    await waitForReply(h, ts, /Queued/);
    return { ts, thread, requestId: job.id };
  }

  it('edits one status message in place, then uploads the preview and the MP4 into the thread with Undo', async () => {
    const h = await startHarness();
    const { ts, thread, requestId } = await ownedThread(h);
    for (const [stage, extra] of [
      ['editing', { text: 'step 2' }],
      ['rendering', { text: '', percent: 42 }],
    ] as const) {
      await h.deliveries.enqueue({ kind: 'status', thread, requestId, stage, ...extra });
      await h.fake.waitFor(
        () => h.fake.botMessages(ts)[0].text.includes(stage === 'editing' ? 'step 2' : '42%'),
        { what: stage },
      );
    }
    const sheet = await h.store.write(previewKey(thread, requestId, 'sheet-1.jpg'), clip.subarray(0, 2048), {
      name: 'sheet-1.jpg',
      mimeType: 'image/jpeg',
    });
    await h.deliveries.enqueue({
      kind: 'preview',
      thread,
      requestId,
      file: sheet,
      text: '👀 Check 1: approve — the title sits well.',
    });
    const render = await h.store.write(renderKey(thread, requestId), clip, {
      name: 'cutroom-v2.mp4',
      mimeType: 'video/mp4',
    });
    await h.deliveries.enqueue({
      kind: 'result',
      thread,
      requestId,
      file: render,
      text: 'Trimmed to 2 s and added a title.',
      version: 2,
      durationSeconds: 2,
    });

    const uploads = await h.fake.waitFor(
      () => {
        const done = h.fake.uploads.filter((u) => u.completedAt);
        return done.length === 2 && done;
      },
      { what: 'two uploads' },
    );
    expect(uploads.map((u) => [u.filename, u.channel, u.threadTs])).toEqual([
      ['sheet-1.jpg', CHANNEL, ts],
      ['cutroom-v2.mp4', CHANNEL, ts],
    ]);
    expect(uploads[1].bytes).toEqual(clip);
    expect(uploads[1].initialComment).toContain('Version 2');
    expect(uploads[1].initialComment).toContain('Trimmed to 2 s');
    expect(uploads[0].initialComment).toContain('approve');
    const note = await waitForReply(h, ts, 'Version 2 is ready');
    expect(JSON.stringify(note.blocks)).toContain('cutroom_undo');
    expect(h.fake.botMessages(ts).filter((m) => /Queued|Editing|Rendering/.test(m.text))).toHaveLength(1);
    expect(h.fake.callsOf('chat.update').length).toBeGreaterThanOrEqual(2);
  });

  it('waits out Slack 429 Retry-After and then posts', async () => {
    const h = await startHarness();
    const { ts, thread, requestId } = await ownedThread(h);
    h.fake.failNext('chat.postMessage', { kind: 'rate_limited', retryAfterSeconds: 1 });
    const started = Date.now();
    await h.deliveries.enqueue({ kind: 'message', thread, requestId, text: 'Going back to version 1.' });
    await waitForReply(h, ts, 'Going back to version 1.');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(h.fake.botMessages(ts).filter((m) => m.text === 'Going back to version 1.')).toHaveLength(1);
  });

  it('turns an error delivery into a failed status and a short reply', async () => {
    const h = await startHarness();
    const { ts, thread, requestId } = await ownedThread(h);
    await h.deliveries.enqueue({
      kind: 'error',
      thread,
      requestId,
      code: 'llm_unavailable',
      text: 'The AI service is not reachable right now. Please try again in a few minutes.',
    });
    await waitForReply(h, ts, '⚠️ The AI service is not reachable');
    await h.fake.waitFor(() => h.fake.botMessages(ts)[0].text.includes('Failed'), { what: 'failed status' });
  });
});

describe('Slack bot start-up', () => {
  it('refuses a bot token Slack rejects, naming the variable but not the token', async () => {
    const fake = await new SlackFakeServer().start();
    open.push(() => fake.close());
    const config = slackConfig(fake, { SLACK_BOT_TOKEN: 'xoxb-revoked-123' });
    const error = await startSlackBot({
      config,
      logger: createSilentLogger(),
      services: await servicesFor(config),
      listen: { port: 0, host: '127.0.0.1' },
    }).catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/Slack rejected SLACK_BOT_TOKEN at auth\.test \(invalid_auth\)/);
    expect((error as Error).message).not.toContain('xoxb-revoked-123');
  });
});

describe('Slack bot on the shared HTTP server', () => {
  it('serves /slack/events next to /healthz on one port and still verifies signatures', async () => {
    const fake = await new SlackFakeServer().start();
    open.push(() => fake.close());
    const config = slackConfig(fake);
    const services = await servicesFor(config);
    const http = new HttpServer({ port: 0, host: '127.0.0.1', redis: services.redis, queues: [] });
    open.push(() => http.close());
    const bot = await startSlackBot({ config, logger: createSilentLogger(), services, http });
    open.push(() => bot.close());
    const port = await http.start();
    expect(bot.eventsUrl).toBeUndefined();
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);

    const file = fake.addFile(mp4());
    const message = fake.addMessage({
      channel: CHANNEL,
      user: ALICE,
      text: `<@${fake.botUserId}> make a teaser`,
    });
    const body = fake.eventEnvelope({
      type: 'app_mention',
      user: ALICE,
      text: message.text,
      ts: message.ts,
      channel: CHANNEL,
      files: [file],
    });
    const url = `http://127.0.0.1:${port}/slack/events`;
    expect((await sendSignedEvent(url, body, { signingSecret: 'nope' })).status).toBe(401);
    expect((await sendSignedEvent(url, body, { signingSecret: SECRET })).status).toBe(200);
    await fake.waitFor(() => fake.botMessages(message.ts).find((m) => /Queued/.test(m.text)), {
      what: 'queued status',
    });
  });
});

describe('Slack bot in Socket Mode', () => {
  it('connects with the app token, receives an event and acks it', async () => {
    const { fake, bot, edits } = await startHarness({}, { socketMode: true });
    expect(bot.mode).toBe('socket');
    await fake.waitFor(() => fake.socketConnections > 0, { what: 'a socket mode connection' });
    expect(fake.callsOf('apps.connections.open')[0].token).toBe(fake.appToken);

    const file = fake.addFile(mp4());
    const message = fake.addMessage({
      channel: CHANNEL,
      user: ALICE,
      text: `<@${fake.botUserId}> make a teaser`,
    });
    const envelopeId = fake.sendSocketEvent(
      fake.eventEnvelope({
        type: 'app_mention',
        user: ALICE,
        text: message.text,
        ts: message.ts,
        channel: CHANNEL,
        files: [file],
      }),
    );
    await fake.waitFor(() => fake.socketAcks.some((a) => a.envelope_id === envelopeId), { what: 'the ack' });
    await fake.waitFor(() => fake.botMessages(message.ts).find((m) => /Queued/.test(m.text)), {
      what: 'queued status',
    });
    const jobs = await edits.queue.getJobs(['waiting']);
    expect(jobs.map((j) => j.data.assets.length)).toEqual([1]);
  });
});
