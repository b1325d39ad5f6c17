// The real Discord and Slack bots (discord.js, Bolt) against the protocol fakes (which refuse what the platforms
// refuse), real Redis: long texts are cut to each platform's limit with the whole as a file, what the model wrote pings
// no one, and an upload that fails for good, or gets no answer for CUTROOM_UPLOAD_TIMEOUT_SECONDS, ends the request as
// failed with a reply.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startDiscordBot } from '../../../src/bots/discord/discord-bot.ts';
import { startSlackBot } from '../../../src/bots/slack/slack-bot.ts';
import { type Config, loadConfig } from '../../../src/config.ts';
import { DeliveryQueue } from '../../../src/deliveries/delivery-queue.ts';
import type { Delivery } from '../../../src/deliveries/types.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import type { Services } from '../../../src/open-services.ts';
import type { ThreadRef } from '../../../src/queue/types.ts';
import { DiscordFakeServer } from '../../fakes/discord-fake-server.ts';
import { type SlackFakeOptions, SlackFakeServer } from '../../fakes/slack-fake-server.ts';
import { openTestServices, waitUntil } from '../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const logger = createSilentLogger();
let redis: TestRedis;
let dataDir: string;
let closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startTestRedis();
  dataDir = mkdtempSync(path.join(tmpdir(), 'cutroom-limits-'));
});
afterAll(async () => {
  await redis?.close();
  rmSync(dataDir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const close of closers.reverse()) await close().catch(() => {});
  closers = [];
});

/** A summary the way a chatty model writes one: sentences, a mention it should not make, and more. */
function longSummary(chars: number): string {
  const sentence = 'Cut the intro to the first laugh, kept the toast, and added a title card. ';
  return `@everyone <!channel> look: ${sentence.repeat(Math.ceil(chars / sentence.length))}`.slice(0, chars);
}

/** The configuration of `env` on the file's Redis and data directory, and queue services opened with it. */
async function configured(env: Record<string, string>): Promise<{ config: Config; s: Services }> {
  const config = loadConfig(
    { REDIS_URL: redis.url, CUTROOM_DATA_DIR: dataDir, ...env },
    { readDotenv: false },
  );
  const s = await openTestServices(config);
  closers.push(() => s.close());
  return { config, s };
}

/** A result delivery for `requestId` with a render in the artifact store, as a worker enqueues it. */
async function resultOf(
  s: Services,
  thread: ThreadRef,
  requestId: string,
  text: string,
  version = 1,
): Promise<Delivery> {
  const file = await s.artifacts.write(
    `threads/test/${requestId.replace(':', '_')}.mp4`,
    Buffer.from('mp4 bytes'),
    {
      name: 'cutroom.mp4',
      mimeType: 'video/mp4',
    },
  );
  return { kind: 'result', thread, requestId, file, text, version, durationSeconds: 12 };
}

/** The services' delivery queue with few, quick attempts: what counts is the consumer's last one. */
function quickDeliveries(s: Services, attempts: number): DeliveryQueue {
  const deliveries = new DeliveryQueue({ connection: s.redis, prefix: s.prefix, attempts, backoffMs: 20 });
  closers.push(() => deliveries.close());
  return deliveries;
}

describe('Discord', () => {
  async function discordThread(extraEnv: Record<string, string> = {}) {
    const fake = await DiscordFakeServer.start();
    closers.push(() => fake.close());
    const { config, s } = await configured({
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      ...extraEnv,
    });
    const bot = await startDiscordBot({ config, logger, services: s });
    closers.push(() => bot.close());
    const channelId = fake.guilds[0].channels[0].id;
    const thread: ThreadRef = {
      platform: 'discord',
      workspaceId: fake.guilds[0].id,
      channelId,
      threadId: channelId,
    };
    return { fake, s, thread, channelId };
  }

  it('posts the MP4 of a 2500-character summary with a cut caption and the whole summary as a file, pinging no one', async () => {
    const { fake, s, thread, channelId } = await discordThread();
    const requestId = 'discord:long-summary';
    const summary = longSummary(2500);
    await s.deliveries.enqueue({ kind: 'status', thread, requestId, stage: 'editing', text: '' });
    await s.deliveries.enqueue(await resultOf(s, thread, requestId, summary));

    const file = await waitUntil(
      () => fake.channelMessages(channelId).find((m) => m.files.some((f) => f.name.endsWith('.txt'))),
      { what: 'the full summary as a file' },
    );
    const messages = fake.channelMessages(channelId);
    const video = messages.find((m) => m.files.some((f) => f.name === 'cutroom.mp4'));
    expect(video?.content.length).toBeLessThanOrEqual(2000);
    expect(video?.content).toMatch(/^\*\*Version 1\*\* · 12 s\n@everyone <!channel> look: Cut the intro/);
    expect(video?.content).toContain('(cut: the full text is in the file below)');
    expect(file.files[0]?.data.toString('utf8')).toBe(summary);
    expect(messages.indexOf(file)).toBeGreaterThan(messages.indexOf(video!));
    await waitUntil(() => /Done/.test(messages[0]?.content ?? ''), { what: 'the status done' });
    const posts = fake.calls.filter(
      (c) => /^\/api\/v10\/channels\/\d+\/messages/.test(c.path) && c.method !== 'GET',
    );
    expect(posts.length).toBeGreaterThanOrEqual(3);
    for (const post of posts) {
      expect((post.body as { allowed_mentions?: unknown }).allowed_mentions).toMatchObject({ parse: [] });
    }
  });
  it('ends the status as failed with a reply saying what to do when the upload fails for good', async () => {
    const { fake, s, thread, channelId } = await discordThread();
    const requestId = 'discord:upload-fails';
    const deliveries = quickDeliveries(s, 2);
    await s.deliveries.enqueue({ kind: 'status', thread, requestId, stage: 'uploading', text: '' });
    await waitUntil(() => fake.channelMessages(channelId)[0], { what: 'the status' });
    // The bot lost Send Attachments in the channel for both attempts: a refusal the retries cannot fix.
    fake.failNext({
      method: 'POST',
      path: new RegExp(`/channels/${channelId}/messages$`),
      status: 403,
      body: { message: 'Missing Permissions', code: 50013 },
      times: 2,
    });
    await deliveries.enqueue(await resultOf(s, thread, requestId, 'Kept the toast.', 3));
    const notice = await waitUntil(
      () => fake.channelMessages(channelId).find((m) => /could not post version 3/.test(m.content)),
      { what: 'the notice' },
    );
    expect(notice.content).toMatch(/Missing Permissions.*say `use v3` to post it again/);
    expect(fake.channelMessages(channelId)[0]?.content).toMatch(/Failed/);
    expect(fake.channelMessages(channelId).some((m) => m.files.some((f) => f.name === 'cutroom.mp4'))).toBe(
      false,
    );
  });

  it('gives up an upload with no answer after CUTROOM_UPLOAD_TIMEOUT_SECONDS, trying once per attempt', async () => {
    const { fake, s, thread, channelId } = await discordThread({ CUTROOM_UPLOAD_TIMEOUT_SECONDS: '10' });
    const requestId = 'discord:upload-stalls';
    await s.deliveries.enqueue({ kind: 'status', thread, requestId, stage: 'uploading', text: '' });
    await waitUntil(() => fake.channelMessages(channelId)[0], { what: 'the status' });
    const uploads = new RegExp(`/channels/${channelId}/messages$`);
    fake.failNext({ method: 'POST', path: uploads, hang: true });
    const started = Date.now();
    await quickDeliveries(s, 1).enqueue(await resultOf(s, thread, requestId, 'Kept the toast.', 4));
    const notice = await waitUntil(
      () => fake.channelMessages(channelId).find((m) => /could not post version 4/.test(m.content)),
      { what: 'the notice', timeoutMs: 60_000 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
    expect(notice.content).toMatch(/say `use v4` to post it again/);
    // One request: the delivery queue owns retries, not the REST client (whose own would wait 4 × 10 s).
    const posts = fake.calls.filter((c) => c.method === 'POST' && uploads.test(c.path) && c.files.length > 0);
    expect(posts).toHaveLength(1);
  });
});

describe('Slack', () => {
  async function slackThread(options: { fake?: SlackFakeOptions; env?: Record<string, string> } = {}) {
    const fake = await new SlackFakeServer(options.fake).start();
    closers.push(() => fake.close());
    const { config, s } = await configured({
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: 'limits-secret',
      SLACK_API_URL: fake.apiUrl,
      ...options.env,
    });
    const bot = await startSlackBot({
      config,
      logger,
      services: s,
      listen: { port: 0, host: '127.0.0.1' },
      statusIntervalMs: 50,
    });
    closers.push(() => bot.close());
    const thread: ThreadRef = {
      platform: 'slack',
      workspaceId: 'T1',
      channelId: 'C1',
      threadId: fake.nextTs(),
    };
    return { fake, s, thread };
  }

  it("cuts a long summary to a section's 3000 characters, escapes its mentions and posts the whole as a file", async () => {
    const { fake, s, thread } = await slackThread();
    const requestId = 'slack:long-summary';
    const summary = longSummary(3500);
    await s.deliveries.enqueue(await resultOf(s, thread, requestId, summary));
    const full = await fake.waitFor(
      () => fake.uploads.find((u) => u.filename.endsWith('.txt') && u.completedAt),
      {
        what: 'the full summary as a file',
      },
    );
    const video = fake.uploads.find((u) => u.filename === 'cutroom.mp4');
    expect(video?.initialComment?.length).toBeLessThanOrEqual(3000);
    expect(video?.initialComment).toMatch(/^\*Version 1\* · 12 s\n@everyone &lt;!channel&gt; look: /);
    expect(full.bytes.toString('utf8')).toBe(summary);
  });

  it('links a version to its render through files.info when the upload answer names only the file', async () => {
    const { fake, s, thread } = await slackThread({ fake: { completeUploadAnswer: 'id-and-title' } });
    await s.deliveries.enqueue(await resultOf(s, thread, 'slack:short-answer', 'Kept the toast.', 2));
    const video = await fake.waitFor(() =>
      fake.uploads.find((u) => u.filename === 'cutroom.mp4' && u.completedAt),
    );
    await expect.poll(async () => (await s.threads.versionLinks(thread)).get(2)).toContain(video.id);
    expect(fake.callsOf('files.info').map((c) => c.args.file)).toEqual([video.id]);
  });

  it('escapes every mention in a reply the model wrote', async () => {
    const { fake, s, thread } = await slackThread();
    const reply: Delivery = {
      kind: 'reply',
      thread,
      requestId: 'slack:reply',
      text: 'It is 12 s long. <!here> <@U0ALL> <!subteam^S123|@editors> <!everyone>',
      question: false,
    };
    await s.deliveries.enqueue(reply);
    const posted = await fake.waitFor(() =>
      fake.botMessages(thread.threadId).find((m) => /12 s long/.test(m.text)),
    );
    expect(posted.text).toBe(
      'It is 12 s long. &lt;!here&gt; &lt;@U0ALL&gt; &lt;!subteam^S123|@editors&gt; &lt;!everyone&gt;',
    );
    expect(JSON.stringify(posted.blocks)).not.toMatch(/<[!@]/);
  });

  it('ends the status as failed with a reply saying what to do when the upload fails for good', async () => {
    const { fake, s, thread } = await slackThread();
    const requestId = 'slack:upload-fails';
    const deliveries = quickDeliveries(s, 2);
    await s.deliveries.enqueue({ kind: 'status', thread, requestId, stage: 'uploading', text: '' });
    await fake.waitFor(() => fake.botMessages(thread.threadId)[0], { what: 'the status' });
    fake.failNext(
      'files.completeUploadExternal',
      { kind: 'error', error: 'internal_error' },
      { kind: 'error', error: 'internal_error' },
    );
    await deliveries.enqueue(await resultOf(s, thread, requestId, 'Kept the toast.', 3));
    const notice = await fake.waitFor(() =>
      fake.botMessages(thread.threadId).find((m) => /could not post version 3/.test(m.text)),
    );
    expect(notice.text).toMatch(/internal_error.*say `use v3` to post it again/);
    const [status] = fake.botMessages(thread.threadId);
    expect(status?.text).toMatch(/Failed/);
    expect(fake.uploads.filter((u) => u.completedAt)).toEqual([]);
  });

  it('gives up an upload with no answer after CUTROOM_UPLOAD_TIMEOUT_SECONDS, on the upload client', async () => {
    const { fake, s, thread } = await slackThread({ env: { CUTROOM_UPLOAD_TIMEOUT_SECONDS: '10' } });
    const requestId = 'slack:upload-stalls';
    fake.holdUploads();
    const started = Date.now();
    await quickDeliveries(s, 1).enqueue(await resultOf(s, thread, requestId, 'Kept the toast.', 4));
    const notice = await fake.waitFor(
      () => fake.botMessages(thread.threadId).find((m) => /could not post version 4/.test(m.text)),
      { what: 'the notice', timeoutMs: 60_000 },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_500);
    expect(notice.text).toMatch(/say `use v4` to post it again/);
    expect(fake.uploads.filter((u) => u.completedAt)).toEqual([]);
  });
});
