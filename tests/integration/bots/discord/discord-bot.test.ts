// Real discord.js against the protocol-level Discord fake, real redis-server (BullMQ queues) and real
// ffmpeg clips. No worker runs here: deliveries are enqueued the way a worker does.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordBot, startDiscordBot } from '../../../../src/bots/discord/discord-bot.ts';
import { createDiscordSurface } from '../../../../src/bots/discord/discord-surface.ts';
import { loadConfig } from '../../../../src/config.ts';
import type { DeliveryQueue } from '../../../../src/deliveries/delivery-queue.ts';
import type { Delivery } from '../../../../src/deliveries/types.ts';
import { createSilentLogger } from '../../../../src/logger.ts';
import type { Services } from '../../../../src/open-services.ts';
import type { ArtifactStore } from '../../../../src/queue/artifact-store.ts';
import type { EditQueue } from '../../../../src/queue/edit-queue.ts';
import type { EditRequest, ThreadRef } from '../../../../src/queue/types.ts';
import { DiscordFakeServer, type FakeMessage, type FakeUser } from '../../../fakes/discord-fake-server.ts';
import { openTestServices } from '../../../helpers/queue-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../../helpers/redis-server.ts';

const alice: FakeUser = { id: '400000000000000001', username: 'alice' };
const MiB = 1024 * 1024;

let redis: TestRedis;
let workDir: string;
let clip: Buffer;

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

beforeAll(async () => {
  redis = await startTestRedis();
  workDir = mkdtempSync(path.join(tmpdir(), 'cutroom-discord-test-'));
  const clipPath = path.join(workDir, 'clip.mp4');
  ffmpeg([
    ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25:duration=2'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-c:a', 'aac', '-shortest', clipPath],
  ]);
  clip = readFileSync(clipPath);
});

afterAll(async () => {
  await redis?.close();
  rmSync(workDir, { recursive: true, force: true });
});

interface Harness {
  fake: DiscordFakeServer;
  bot: DiscordBot;
  store: ArtifactStore;
  edits: EditQueue;
  deliveries: DeliveryQueue;
  channelId: string;
  guildId: string;
  jobs(): Promise<EditRequest[]>;
}

let open: (() => Promise<void>)[] = [];

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

async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const fake = await DiscordFakeServer.start();
  open.push(() => fake.close());
  const dataDir = mkdtempSync(path.join(workDir, 'data-'));
  const config = loadConfig({
    REDIS_URL: redis.url,
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    CUTROOM_DATA_DIR: dataDir,
    ...env,
  });
  const services = await servicesFor(config);
  const bot = await startDiscordBot({ config, logger: createSilentLogger(), services });
  open.push(() => bot.close());
  const { edits, deliveries } = services;
  return {
    fake,
    bot,
    store: services.artifacts,
    edits,
    deliveries,
    guildId: fake.guilds[0].id,
    channelId: fake.guilds[0].channels[0].id,
    async jobs() {
      const jobs = await edits.queue.getJobs(['waiting', 'active', 'delayed', 'prioritized']);
      return jobs.map((j) => j.data).sort((a, b) => a.receivedAt - b.receivedAt);
    },
  };
}

async function waitForJobs(h: Harness, count: number): Promise<EditRequest[]> {
  for (let i = 0; i < 200; i++) {
    const jobs = await h.jobs();
    if (jobs.length >= count) return jobs;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`expected ${count} queued edit jobs, got ${(await h.jobs()).length}`);
}

function threadOf(h: Harness): string {
  const [thread] = h.fake.threads(h.channelId);
  return thread.id;
}

async function startEdit(
  h: Harness,
  options: { prompt?: string; clips?: Buffer[]; attachmentSizeLimit?: number } = {},
) {
  const clips = (options.clips ?? [clip]).map((data, i) =>
    h.fake.addAttachment(`clip${i + 1}.mp4`, data, 'video/mp4'),
  );
  const interaction = h.fake.sendEditCommand({
    user: alice,
    prompt: options.prompt ?? 'best 1 second, add a title',
    clips,
    attachmentSizeLimit: options.attachmentSizeLimit,
  });
  const [job] = await waitForJobs(h, 1);
  return { interaction, job, threadId: threadOf(h) };
}

function messageWith(h: Harness, channelId: string, pattern: RegExp): Promise<FakeMessage> {
  return h.fake.waitUntil(() => h.fake.channelMessages(channelId).find((m) => pattern.test(m.content)), {
    what: `a message matching ${pattern} in ${channelId}`,
  });
}

function threadRef(h: Harness, threadId: string): ThreadRef {
  return { platform: 'discord', workspaceId: h.guildId, channelId: h.channelId, threadId };
}

describe('Discord bot', () => {
  it('identifies with the Guilds, GuildMessages and MessageContent intents', async () => {
    const h = await startHarness();
    const [identify] = h.fake.identifies as { intents: number }[];
    expect(identify.intents).toBe(1 | (1 << 9) | (1 << 15));
    expect(h.bot.client.isReady()).toBe(true);
  });

  it('refuses to start with a token Discord rejects, without printing the token', async () => {
    const fake = await DiscordFakeServer.start();
    open.push(() => fake.close());
    const config = loadConfig({
      REDIS_URL: redis.url,
      DISCORD_TOKEN: 'not-the-real-token',
      DISCORD_API_URL: fake.apiUrl,
      CUTROOM_DATA_DIR: path.join(workDir, 'unused'),
    });
    const error = await startDiscordBot({
      config,
      logger: createSilentLogger(),
      services: await servicesFor(config),
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'config_invalid', message: expect.stringMatching(/DISCORD_TOKEN/) });
    expect((error as Error).message).not.toContain('not-the-real-token');
  });

  it('defers /edit before downloading anything, opens a thread from its reply and queues the request', async () => {
    const h = await startHarness();
    const { interaction, job, threadId } = await startEdit(h, { attachmentSizeLimit: 25 * MiB });
    const calls = h.fake.calls.map((c) => `${c.method} ${c.path}`);
    const deferIndex = calls.indexOf(
      `POST /api/v10/interactions/${interaction.id}/${interaction.token}/callback`,
    );
    const downloadIndex = calls.findIndex((c) => c.startsWith('GET /cdn/'));
    expect(deferIndex).toBeGreaterThanOrEqual(0);
    expect((h.fake.calls[deferIndex].body as { type: number }).type).toBe(5);
    expect(downloadIndex).toBeGreaterThan(deferIndex);

    const original = h.fake.channelMessages(h.channelId)[0];
    expect(original.content).toContain('best 1 second, add a title');
    expect(threadId).toBe(original.id);
    expect(job).toMatchObject({
      id: `discord:${interaction.id}`,
      kind: 'edit',
      prompt: 'best 1 second, add a title',
      thread: threadRef(h, threadId),
      user: { id: alice.id, name: 'alice' },
      uploadLimitBytes: 25 * MiB,
    });
    expect(job.assets).toHaveLength(1);
    expect(job.assets[0]).toMatchObject({
      kind: 'video',
      width: 320,
      height: 240,
      hasAudio: true,
      name: 'clip1.mp4',
    });
    expect(readFileSync(h.store.pathFor(job.assets[0].key))).toEqual(clip);
  });

  it('keeps one status message per request, edited in place, with Cancel until the job ends', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    const status = await messageWith(h, threadId, /Queued/);
    expect(JSON.stringify(status.components)).toContain(`cutroom:cancel:${job.id}`);
    const base = { kind: 'status', thread: job.thread, requestId: job.id } as const;
    await h.deliveries.enqueue({ ...base, stage: 'editing', text: 'step 2' });
    await messageWith(h, threadId, /Editing.*step 2/);
    await h.deliveries.enqueue({ ...base, stage: 'rendering', text: '', percent: 42 });
    await messageWith(h, threadId, /Rendering 42%/);
    await h.deliveries.enqueue({ ...base, stage: 'done', text: '' });
    const done = await messageWith(h, threadId, /Done/);
    expect(done.id).toBe(status.id);
    expect(done.components).toEqual([]);
    const statusMessages = h.fake
      .channelMessages(threadId)
      .filter((m) => /Queued|Downloading|Editing|Rendering|Done/.test(m.content));
    expect(statusMessages).toHaveLength(1);
  });

  it('posts previews and the final MP4 into the thread with the bot token, the version and an Undo button', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    const sheet = await h.store.write(
      `renders/${job.id.replace(':', '_')}/sheet.jpg`,
      Buffer.from('jpeg-bytes'),
      {
        name: 'preview.jpg',
        mimeType: 'image/jpeg',
      },
    );
    await h.deliveries.enqueue({
      kind: 'preview',
      thread: job.thread,
      requestId: job.id,
      file: sheet,
      text: '👀 Looks right',
    });
    const preview = await messageWith(h, threadId, /Looks right/);
    expect(preview.files.map((f) => f.name)).toEqual(['preview.jpg']);

    const render = await h.store.write(`renders/${job.id.replace(':', '_')}/v1.mp4`, clip, {
      name: 'cutroom-v1.mp4',
      mimeType: 'video/mp4',
    });
    await h.deliveries.enqueue({
      kind: 'result',
      thread: job.thread,
      requestId: job.id,
      file: render,
      text: 'Trimmed to the best second and added a title.',
      version: 2,
      durationSeconds: 2,
    });
    const result = await messageWith(h, threadId, /Version 2/);
    expect(result.content).toContain('Trimmed to the best second');
    expect(result.files[0].data).toEqual(clip);
    // The button carries its version, so pressing it later still undoes to what this one was made from.
    expect(JSON.stringify(result.components)).toContain(`cutroom:undo:${threadId}:2`);
    const post = h.fake.calls.find(
      (c) => c.path === `/api/v10/channels/${threadId}/messages` && c.files.length > 0,
    );
    expect(post?.headers.authorization).toBe(`Bot ${h.fake.token}`);
    expect(h.fake.calls.some((c) => c.path.startsWith('/api/v10/webhooks/') && c.files.length > 0)).toBe(
      false,
    );
  });

  it('waits out a 429 Retry-After and posts the delivery exactly once', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    await messageWith(h, threadId, /Queued/);
    h.fake.failNext({
      method: 'POST',
      path: new RegExp(`^/api/v10/channels/${threadId}/messages$`),
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 0.3, global: false },
      headers: { 'retry-after': '0.3', 'x-ratelimit-scope': 'user' },
    });
    await h.deliveries.enqueue({
      kind: 'message',
      thread: job.thread,
      requestId: job.id,
      text: 'after the limit',
    });
    await messageWith(h, threadId, /after the limit/);
    const posts = h.fake.calls.filter(
      (c) =>
        c.method === 'POST' &&
        c.path === `/api/v10/channels/${threadId}/messages` &&
        /after the limit/.test(JSON.stringify(c.body)),
    );
    expect(posts.map((c) => c.status)).toEqual([429, 200]);
    expect(h.fake.channelMessages(threadId).filter((m) => m.content === 'after the limit')).toHaveLength(1);
  });

  it('posts a message retried after a crash only once (nonce with enforce_nonce)', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    const surface = createDiscordSurface({ client: h.bot.client });
    // A crash after posting, before the post was recorded as done: the retry posts again with the same key.
    await surface.post(job.thread, { text: 'only once' }, { idempotencyKey: 'job-1:reply' });
    await surface.post(job.thread, { text: 'only once' }, { idempotencyKey: 'job-1:reply' });
    expect(h.fake.channelMessages(threadId).filter((m) => m.content === 'only once')).toHaveLength(1);
  });

  it('does not bring back the status of a request that already ended', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    const undoId = 'discord:500000000000000001';
    await h.deliveries.enqueue({
      kind: 'error',
      thread: job.thread,
      requestId: undoId,
      code: 'nothing_to_undo',
      text: 'Nothing to undo.',
    });
    await h.deliveries.enqueue({
      kind: 'status',
      thread: job.thread,
      requestId: undoId,
      stage: 'queued',
      text: '',
      queuePosition: 1,
    });
    await h.deliveries.enqueue({ kind: 'message', thread: job.thread, requestId: job.id, text: 'marker' });
    await messageWith(h, threadId, /marker/);
    expect(
      h.fake.channelMessages(threadId).filter((m) => JSON.stringify(m.components).includes(undoId)),
    ).toEqual([]);
  });

  it('posts a new status message when the old one was deleted', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    const first = await messageWith(h, threadId, /Queued/);
    h.fake.messages.delete(first.id);
    await h.deliveries.enqueue({
      kind: 'status',
      thread: job.thread,
      requestId: job.id,
      stage: 'editing',
      text: '',
    });
    const second = await messageWith(h, threadId, /Editing/);
    expect(second.id).not.toBe(first.id);
  });

  it('turns thread replies into the next request and `undo` into an undo, and the Undo button too', async () => {
    const h = await startHarness();
    const { threadId } = await startEdit(h);
    const extra = h.fake.addAttachment('b-roll.mp4', clip, 'video/mp4');
    const reply = h.fake.sendUserMessage({
      user: alice,
      channelId: threadId,
      content: 'add this at the end',
      attachments: [extra],
    });
    const undo = h.fake.sendUserMessage({ user: alice, channelId: threadId, content: 'undo' });
    const jobs = await waitForJobs(h, 3);
    const byId = new Map(jobs.map((j) => [j.id, j]));
    expect(byId.get(`discord:${reply.id}`)).toMatchObject({
      kind: 'edit',
      prompt: 'add this at the end',
      thread: threadRef(h, threadId),
      assets: [expect.objectContaining({ name: 'b-roll.mp4', kind: 'video' })],
    });
    expect(byId.get(`discord:${undo.id}`)).toMatchObject({ kind: 'undo', assets: [] });

    const resultMessage = h.fake.channelMessages(threadId).at(-1)!;
    const press = h.fake.pressButton({
      user: alice,
      message: resultMessage,
      customId: `cutroom:undo:${threadId}:3`,
    });
    const after = await waitForJobs(h, 4);
    expect(after.find((j) => j.id === `discord:${press.id}`)).toMatchObject({ kind: 'undo', version: 3 });
  });

  it('gives a thread reply the upload limit the /edit interaction reported, else Discord’s default', async () => {
    const h = await startHarness();
    const { threadId } = await startEdit(h, { attachmentSizeLimit: 25 * MiB });
    const reply = h.fake.sendUserMessage({ user: alice, channelId: threadId, content: 'make it shorter' });
    const jobs = await waitForJobs(h, 2);
    expect(jobs.find((j) => j.id === `discord:${reply.id}`)?.uploadLimitBytes).toBe(25 * MiB);

    const other = await startHarness();
    const { job } = await startEdit(other);
    expect(job.uploadLimitBytes).toBe(10 * MiB);
  });

  it('cancels a queued request from its Cancel button', async () => {
    const h = await startHarness();
    const { job, threadId } = await startEdit(h);
    const status = await messageWith(h, threadId, /Queued/);
    h.fake.pressButton({ user: alice, message: status, customId: `cutroom:cancel:${job.id}` });
    await messageWith(h, threadId, /Cancelled/);
    expect(await h.jobs()).toEqual([]);
  });

  it('starts a thread and a request when mentioned in a channel with attachments', async () => {
    const h = await startHarness();
    const attachment = h.fake.addAttachment('clip.mp4', clip, 'video/mp4');
    const message = h.fake.sendUserMessage({
      user: alice,
      channelId: h.channelId,
      content: 'make it black and white',
      attachments: [attachment],
      mentionBot: true,
    });
    const [job] = await waitForJobs(h, 1);
    expect(job).toMatchObject({
      id: `discord:${message.id}`,
      prompt: 'make it black and white',
      thread: threadRef(h, message.id),
    });
    expect(h.fake.threads(h.channelId).map((t) => t.id)).toEqual([message.id]);
  });

  it('ignores replies in a thread it does not own', async () => {
    const h = await startHarness();
    const foreign = h.fake.addForeignThread(h.channelId);
    const attachment = h.fake.addAttachment('clip.mp4', clip, 'video/mp4');
    h.fake.sendUserMessage({
      user: alice,
      channelId: foreign.id,
      content: 'make it shorter',
      attachments: [attachment],
    });
    // A later mention in the channel proves the earlier message was processed (and ignored) by then.
    h.fake.sendUserMessage({ user: alice, channelId: h.channelId, content: 'hello', mentionBot: true });
    await messageWith(h, h.channelId, /Attach|clip/);
    expect(await h.jobs()).toEqual([]);
    expect(h.fake.channelMessages(foreign.id).filter((m) => m.author.id === h.fake.botUser.id)).toEqual([]);
    expect(h.fake.calls.some((c) => c.path.startsWith('/cdn/'))).toBe(false);
  });

  describe('bad input', () => {
    it('answers a mention without attachments with what to attach', async () => {
      const h = await startHarness();
      h.fake.sendUserMessage({
        user: alice,
        channelId: h.channelId,
        content: 'make a video',
        mentionBot: true,
      });
      const reply = await messageWith(h, h.channelId, /need a clip/);
      expect(reply.content).toMatch(/Attach a video/);
      expect(h.fake.threads()).toEqual([]);
    });

    it('answers /edit without a clip in the deferred reply', async () => {
      const h = await startHarness();
      h.fake.sendEditCommand({ user: alice, prompt: 'make it pop', clips: [] });
      const reply = await messageWith(h, h.channelId, /need a clip/);
      expect(reply.author.id).toBe(h.fake.botUser.id);
      expect(h.fake.threads()).toEqual([]);
    });

    it('refuses a non-media attachment in the thread, naming the file', async () => {
      const h = await startHarness();
      const pdf = h.fake.addAttachment('notes.pdf', Buffer.from('%PDF-1.4 not a video'), 'application/pdf');
      h.fake.sendEditCommand({ user: alice, prompt: 'edit this', clips: [pdf] });
      const threadId = (await h.fake.waitUntil(() => h.fake.threads(h.channelId)[0], { what: 'a thread' }))
        .id;
      const message = await messageWith(h, threadId, /notes\.pdf/);
      expect(message.content).toMatch(/not a video/);
      expect(await h.jobs()).toEqual([]);
    });

    it('refuses a clip over the size limit before downloading it', async () => {
      const h = await startHarness({ CUTROOM_MAX_ASSET_MB: '1' });
      const big = h.fake.addAttachment('huge.mp4', Buffer.alloc(2 * MiB, 1), 'video/mp4');
      h.fake.sendEditCommand({ user: alice, prompt: 'edit this', clips: [big] });
      const threadId = (await h.fake.waitUntil(() => h.fake.threads(h.channelId)[0], { what: 'a thread' }))
        .id;
      const message = await messageWith(h, threadId, /huge\.mp4/);
      expect(message.content).toMatch(/2(\.0)? MB.*limit.*1(\.0)? MB/);
      expect(h.fake.calls.some((c) => c.path.startsWith('/cdn/'))).toBe(false);
      expect(await h.jobs()).toEqual([]);
    });

    it('refuses a corrupt video with a plain message', async () => {
      const h = await startHarness();
      const corrupt = h.fake.addAttachment(
        'broken.mp4',
        Buffer.concat([clip.subarray(0, 64), Buffer.alloc(4096, 7)]),
        'video/mp4',
      );
      h.fake.sendEditCommand({ user: alice, prompt: 'edit this', clips: [corrupt] });
      const threadId = (await h.fake.waitUntil(() => h.fake.threads(h.channelId)[0], { what: 'a thread' }))
        .id;
      const message = await messageWith(h, threadId, /broken\.mp4/);
      expect(message.content).toMatch(/damaged|not a media file/);
      expect(message.content).not.toMatch(/\/tmp|ffprobe/);
      expect(await h.jobs()).toEqual([]);
    });

    it('posts worker failures (LLM down, failed render) as short messages in the thread', async () => {
      const h = await startHarness();
      const { job, threadId } = await startEdit(h);
      const errors: Delivery[] = [
        {
          kind: 'error',
          thread: job.thread,
          requestId: job.id,
          code: 'llm_unavailable',
          text: 'The AI service is not answering right now.',
        },
        {
          kind: 'error',
          thread: job.thread,
          requestId: job.id,
          code: 'render_failed',
          text: 'The render failed.',
        },
      ];
      const status = await messageWith(h, threadId, /Queued/);
      expect(status.components).not.toEqual([]);
      for (const error of errors) await h.deliveries.enqueue(error);
      await messageWith(h, threadId, /⚠️ The AI service is not answering/);
      await messageWith(h, threadId, /⚠️ The render failed/);
      // The worker sends no final status for a failed job: the error ends the status message and its Cancel button.
      const failed = await messageWith(h, threadId, /Failed/);
      expect(failed.id).toBe(status.id);
      expect(failed.components).toEqual([]);
    });

    it('refuses /edit outside the allowed channels with an ephemeral reply and no thread', async () => {
      const h = await startHarness({ DISCORD_ALLOWED_CHANNELS: '999999999999999999' });
      const clipAttachment = h.fake.addAttachment('clip.mp4', clip, 'video/mp4');
      const { id, token } = h.fake.sendEditCommand({ user: alice, prompt: 'edit', clips: [clipAttachment] });
      const callback = await h.fake.waitUntil(
        () => h.fake.calls.find((c) => c.path === `/api/v10/interactions/${id}/${token}/callback`),
        { what: 'the interaction callback' },
      );
      expect(callback.body).toMatchObject({
        type: 4,
        data: { content: expect.stringMatching(/not enabled/), flags: 64 },
      });
      expect(h.fake.threads()).toEqual([]);
      expect(await h.jobs()).toEqual([]);
    });

    it('says which permission is missing when it cannot start a thread', async () => {
      const h = await startHarness();
      h.fake.failNext({
        method: 'POST',
        path: /\/threads$/,
        status: 403,
        body: { message: 'Missing Permissions', code: 50013 },
      });
      const clipAttachment = h.fake.addAttachment('clip.mp4', clip, 'video/mp4');
      h.fake.sendEditCommand({ user: alice, prompt: 'edit', clips: [clipAttachment] });
      const reply = await messageWith(h, h.channelId, /Create Public Threads/);
      expect(reply.edits).toBeGreaterThan(0);
      expect(await h.jobs()).toEqual([]);
    });

    it('refuses a request over the hourly rate limit with a reply', async () => {
      const h = await startHarness({ CUTROOM_RATE_USER_PER_HOUR: '1' });
      const { threadId } = await startEdit(h);
      h.fake.sendUserMessage({ user: alice, channelId: threadId, content: 'again please' });
      const refusal = await messageWith(h, threadId, /reached 1 edits per hour/);
      expect(refusal.content).toMatch(/try again in/);
      expect(await h.jobs()).toHaveLength(1);
    });
  });
});
