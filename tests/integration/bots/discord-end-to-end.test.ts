// The whole Discord story with every real part: discord.js against the Discord fake, BullMQ on a real
// redis-server, the edit worker with the real processor (agent + Chromium + ffmpeg), and the openai
// client against the scripted OpenAI-compatible fake.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DiscordBot, startDiscordBot } from '../../../src/bots/discord/discord-bot.ts';
import { type Closable, closeAll } from '../../../src/commands/runtime.ts';
import { startEditWorker } from '../../../src/commands/worker.ts';
import { loadConfig } from '../../../src/config.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { openServices, type Services } from '../../../src/open-services.ts';
import { DiscordFakeServer, type FakeMessage, type FakeUser } from '../../fakes/discord-fake-server.ts';
import { OpenAiFakeServer, textReply, toolCallReply, verdictReply } from '../../fakes/openai-fake-server.ts';
import { ffprobe } from '../../helpers/mp4-inspect.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';

const run = promisify(execFile);
const AGENT_MODEL = 'agent-model';
const VISION_MODEL = 'vision-model';
const API_KEY = 'sk-test-discord';
const bob: FakeUser = { id: '400000000000000002', username: 'bob' };

const TRIM_CODE = `const v = assets.find((a) => a.kind === 'video');
const layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));
await layer.add(new core.VideoClip(v.source, { range: [0, 2] }));`;

const TITLE_CODE = `const texts = await composition.add(new core.Layer());
await texts.add(new core.TextClip({ text: 'Hello', position: 'center', duration: composition.duration, font: { family: 'DejaVu Sans', size: 48 }, color: '#ffffff' }));`;

let redis: TestRedis;
let dir: string;
let clip: Buffer;

beforeAll(async () => {
  redis = await startTestRedis();
  dir = await mkdtemp(path.join(tmpdir(), 'cutroom-discord-e2e-'));
  const clipPath = path.join(dir, 'clip.mp4');
  await run('ffmpeg', [
    ...['-hide_banner', '-loglevel', 'error', '-y'],
    ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=30:duration=4'],
    ...['-f', 'lavfi', '-i', 'sine=frequency=440:duration=4'],
    ...['-c:v', 'libx264', '-preset', 'ultrafast', '-g', '30', '-c:a', 'aac', '-shortest', clipPath],
  ]);
  clip = await readFile(clipPath);
});

afterAll(async () => {
  await redis?.close();
  await rm(dir, { recursive: true, force: true });
});

interface Story {
  discord: DiscordFakeServer;
  llm: OpenAiFakeServer;
  services: Services;
  bot: DiscordBot;
  channelId: string;
}

let cleanups: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  cleanups = [];
});

async function startStory(env: Record<string, string> = {}): Promise<Story> {
  const discord = await DiscordFakeServer.start();
  cleanups.push(() => discord.close());
  const llm = await OpenAiFakeServer.start({ apiKey: API_KEY, models: [AGENT_MODEL, VISION_MODEL] });
  cleanups.push(() => llm.close());
  const dataDir = await mkdtemp(path.join(dir, 'data-'));
  const prefix = `e2e${randomUUID().slice(0, 8)}`;
  const config = loadConfig({
    REDIS_URL: redis.url,
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    OPENAI_API_KEY: API_KEY,
    OPENAI_BASE_URL: llm.baseURL,
    CUTROOM_MODEL: AGENT_MODEL,
    CUTROOM_VISION_MODEL: VISION_MODEL,
    CUTROOM_DATA_DIR: dataDir,
    ...env,
  });
  const logger = createSilentLogger();
  const services = await openServices({ config, logger, prefix });
  cleanups.push(() => services.close());
  const worker: Closable[] = [];
  cleanups.push(() => closeAll(worker, logger));
  await startEditWorker(services, logger, config, worker);
  const bot = await startDiscordBot({ config, logger, services });
  cleanups.push(() => bot.close());
  return { discord, llm, services, bot, channelId: discord.guilds[0].channels[0].id };
}

function waitForMessage(
  story: Story,
  channelId: string,
  pattern: RegExp,
  timeoutMs = 90_000,
): Promise<FakeMessage> {
  return story.discord.waitUntil(
    () => story.discord.channelMessages(channelId).find((m) => pattern.test(m.content)),
    { timeoutMs, what: `a message matching ${pattern}` },
  );
}

async function probe(data: Buffer): Promise<{ duration: number; codecs: string[] }> {
  const file = path.join(dir, `probe-${randomUUID()}.mp4`);
  await writeFile(file, data);
  const probed = await ffprobe(file);
  return { duration: probed.duration, codecs: probed.streams.map((s) => s.codec_name).sort() };
}

function scriptEdit(story: Story, code: string, summary: string): void {
  story.llm.enqueueFor(
    AGENT_MODEL,
    toolCallReply('run_code', { code }),
    toolCallReply('visual_feedback', {}),
    toolCallReply('render', {}),
    // The caption comes from one short call after the render.
    textReply(summary),
  );
  story.llm.enqueueFor(VISION_MODEL, verdictReply('approve'));
}

describe('Discord end to end', () => {
  it('edits from /edit to a valid MP4 in the thread, iterates on a reply and undoes', {
    timeout: 240_000,
  }, async () => {
    const story = await startStory();
    scriptEdit(story, TRIM_CODE, 'Kept the first two seconds.');
    const attachment = story.discord.addAttachment('clip.mp4', clip, 'video/mp4');
    story.discord.sendEditCommand({ user: bob, prompt: 'keep the first two seconds', clips: [attachment] });

    const thread = await story.discord.waitUntil(() => story.discord.threads(story.channelId)[0], {
      what: 'a thread',
    });
    const v1 = await waitForMessage(story, thread.id, /Version 1/);
    expect(v1.content).toContain('Kept the first two seconds.');
    expect(v1.files).toHaveLength(1);
    const first = await probe(v1.files[0].data);
    expect(first.duration).toBeCloseTo(2, 0);
    expect(first.codecs).toContain('h264');
    expect(JSON.stringify(v1.components)).not.toContain('cutroom:undo:');
    const previews = story.discord
      .channelMessages(thread.id)
      .filter((m) => m.files.some((f) => /image\//.test(f.contentType)));
    expect(previews.length).toBeGreaterThanOrEqual(1);
    const status = await waitForMessage(story, thread.id, /Done/);
    expect(status.edits).toBeGreaterThan(1);
    expect(status.components).toEqual([]);

    scriptEdit(story, TITLE_CODE, 'Added a title.');
    story.discord.sendUserMessage({ user: bob, channelId: thread.id, content: 'add a title saying Hello' });
    const v2 = await waitForMessage(story, thread.id, /Version 2/);
    expect(v2.content).toContain('Added a title.');
    expect(JSON.stringify(v2.components)).toContain(`cutroom:undo:${thread.id}:2`);
    expect((await probe(v2.files[0].data)).duration).toBeCloseTo(2, 0);

    story.discord.sendUserMessage({ user: bob, channelId: thread.id, content: 'undo' });
    const back = await story.discord.waitUntil(
      () =>
        story.discord
          .channelMessages(thread.id)
          .slice(story.discord.channelMessages(thread.id).indexOf(v2) + 1)
          .find((m) => /version 1/i.test(m.content)),
      { timeoutMs: 60_000, what: 'the undo reply naming version 1' },
    );
    expect(back.author.id).toBe(story.discord.botUser.id);
    const latest = await story.services.threads.latest({
      platform: 'discord',
      workspaceId: story.discord.guilds[0].id,
      channelId: story.channelId,
      threadId: thread.id,
    });
    expect(latest?.number).toBe(1);
    // Every request has ended, so no status message keeps its Cancel button.
    await story.discord.waitUntil(
      () =>
        story.discord
          .channelMessages(thread.id)
          .every((m) => !JSON.stringify(m.components).includes('cutroom:cancel:')),
      { timeoutMs: 10_000, what: 'every Cancel button to be gone' },
    );
  });

  it('tells the thread when the LLM endpoint is down', { timeout: 180_000 }, async () => {
    const story = await startStory();
    story.llm.failNext({ status: 503, times: Number.POSITIVE_INFINITY });
    const attachment = story.discord.addAttachment('clip.mp4', clip, 'video/mp4');
    story.discord.sendEditCommand({ user: bob, prompt: 'keep the first two seconds', clips: [attachment] });
    const thread = await story.discord.waitUntil(() => story.discord.threads(story.channelId)[0], {
      what: 'a thread',
    });
    const message = await waitForMessage(story, thread.id, /AI service is unavailable/, 150_000);
    expect(message.content).toMatch(/^⚠️/);
    expect(message.content).not.toMatch(/sk-test|127\.0\.0\.1|stack/);
  });
});
