/**
 * @module The thread behaviours every chat platform must show, written once and run against each platform's fake
 * (`slack.test.ts`, `discord.test.ts`), so the two bots cannot drift.
 *
 * How to add a case:
 * 1. Write it below as `it('<behaviour>', async () => { … })` inside `describeThreadCases`, using only the
 *    `ThreadDriver` (`driver.start`, `thread.reply`, `thread.command`, `thread.press`, `thread.posts`, `thread.privateReplies`,
 *    `driver.waitForPost`, and `driver.workerProcesses` for a case that kills workers) and the scripting helpers of
 *    `thread-driver.ts` (`scriptEdit`, `scriptAnswer`). Script the model before the message that makes the bot call
 *    it; the fake answers in order.
 * 2. Start a thread of its own (`driver.start`) unless it builds on the shared three-version thread of the first
 *    `describe` (cases there run in order and may move its current version; say so in the case).
 * 3. Keep it cheap: each render costs seconds of real Chromium on two cores. Prefer an answer or a command to a new
 *    render, and never wait on a fixed sleep longer than the render a case must prove absent.
 * 4. A platform difference belongs in the drivers (`slack-driver.ts`, `discord-driver.ts`), never in a case.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MediaFixtures } from '../../helpers/media-fixtures.ts';
import { startTestRedis, type TestRedis } from '../../helpers/redis-server.ts';
import type { CaseFixtures, CaseThread, ThreadDriver, ThreadPost } from './thread-driver.ts';
import { renders, scriptAnswer, scriptEdit, trimCode, undoButtonOf } from './thread-driver.ts';

const isVersionPost = (n: number) => (p: ThreadPost) =>
  p.files.some((f) => /\.mp4$/i.test(f)) && new RegExp(`Version ${n}\\b`).test(p.text.replace(/[*]/g, ''));

/** Registers the cases against the driver `start` makes (one stack per file; closed after the last case). */
export function describeThreadCases(start: (fixtures: CaseFixtures) => Promise<ThreadDriver>): void {
  let redis: TestRedis | undefined;
  let media: MediaFixtures | undefined;
  let driver: ThreadDriver;

  beforeAll(async () => {
    redis = await startTestRedis();
    media = await MediaFixtures.create();
    const clip = await readFile(await media.clip('clip.mp4', { seconds: 3, width: 320, height: 240 }));
    driver = await start({ redisUrl: redis.url, clip });
  }, 120_000);
  afterAll(async () => {
    await driver?.close();
    await redis?.close();
    await media?.close();
  });
  beforeEach(() => {
    driver.llm.reset();
  });

  describe('a thread with three versions', () => {
    let thread: CaseThread;

    beforeAll(async () => {
      scriptEdit(driver, trimCode(2), 'Kept the first two seconds.');
      thread = await driver.start('keep the first two seconds');
      await driver.waitForPost(thread, isVersionPost(1), { what: 'version 1', timeoutMs: 120_000 });
      scriptEdit(driver, trimCode(1), 'Cut it to one second.');
      await thread.reply('make it one second');
      await driver.waitForPost(thread, isVersionPost(2), { what: 'version 2', timeoutMs: 120_000 });
      scriptEdit(driver, trimCode(1.5), 'Now one and a half seconds.');
      await thread.reply('make it one and a half seconds');
      await driver.waitForPost(thread, isVersionPost(3), { what: 'version 3', timeoutMs: 120_000 });
    }, 360_000);

    it('answers "thanks!" with one short reply and no new render, for one model call', async () => {
      scriptAnswer(driver, 'Glad you like it!');
      const calls = driver.llm.chatRequests.length;
      const seen = thread.posts();
      const rendersBefore = renders(thread).length;
      await thread.reply('thanks!');
      await driver.waitForPost(thread, (p) => p.text.includes('Glad you like it!'), { seen });
      // A render takes seconds here; an answer that was going to render would have posted its status by now.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(renders(thread)).toHaveLength(rendersBefore);
      const made = driver.llm.chatRequests.slice(calls);
      expect(made).toHaveLength(1);
      // The model could have edited: it had the tools and chose to answer.
      expect(made[0].tools.map((t) => t.function.name)).toContain('render');
    });

    it('answers help with what the bot does and two example requests', async () => {
      const calls = driver.llm.chatRequests.length;
      const seen = thread.posts();
      await thread.reply('help');
      const help = await driver.waitForPost(thread, (p) => /Commands:/.test(p.text), { seen });
      expect(help.text).toMatch(/edit video/i);
      expect(help.text.match(/^• "/gm)).toHaveLength(2);
      expect(driver.llm.chatRequests).toHaveLength(calls);
    });

    it('lists the versions with their requests, what each cost and a link to each, the current one marked', async () => {
      const calls = driver.llm.chatRequests.length;
      const seen = thread.posts();
      await thread.reply('versions');
      const list = await driver.waitForPost(thread, (p) => /Versions in this thread/.test(p.text), { seen });
      expect(list.text).toMatch(/v1 .*keep the first two seconds/);
      expect(list.text).toMatch(/v2 .*make it one second/);
      expect(list.text).toMatch(/v3 .*one and a half seconds.*current/);
      const lines = list.text.split('\n').filter((l) => /^• v\d/.test(l));
      for (const line of lines) expect(line).toMatch(/\d+ AI calls?, [\d.]+k? tokens/);
      // Each version links to the message its render was posted in.
      const links = lines.map((line) => line.match(/https:\/\/\S+/)?.[0]);
      expect(links.every(Boolean)).toBe(true);
      expect(new Set(links).size).toBe(lines.length);
      expect(driver.llm.chatRequests).toHaveLength(calls);
    });

    it('goes back to version 1 and posts its render again (moves the shared thread to v1)', async () => {
      const seen = thread.posts();
      await thread.reply('go back to version 1');
      const back = await driver.waitForPost(thread, (p) => /Back to version 1/.test(p.text), { seen });
      expect(back.files.some((f) => /\.mp4$/.test(f))).toBe(true);
      expect((await driver.services.threads.latest(thread.ref))?.number).toBe(1);
    });

    it('undoes to the version an older result was made from when its Undo button is pressed', async () => {
      // The thread is at v1 now; v3's button goes back to v2 (what v3 was made from), not to before v1.
      const button = undoButtonOf(thread, 3);
      expect(button).toBeDefined();
      const seen = thread.posts();
      await thread.press(button as ThreadPost, 'undo');
      const back = await driver.waitForPost(thread, (p) => /Back to version 2/.test(p.text), { seen });
      expect(back.files.some((f) => /\.mp4$/.test(f))).toBe(true);
      expect((await driver.services.threads.latest(thread.ref))?.number).toBe(2);
    });

    it('refuses an undo by someone who did not start the thread, privately', async () => {
      const button = undoButtonOf(thread, 2) as ThreadPost;
      await thread.press(button, 'undo', { as: 'bob' });
      await expect
        .poll(() => thread.privateReplies('bob').join('\n'), { timeout: 20_000 })
        .toMatch(/only the person who started this thread/);
      expect((await driver.services.threads.latest(thread.ref))?.number).toBe(2);
    });

    it('redoes what an undo took back (moves the shared thread to v1 and back to v2)', async () => {
      let seen = thread.posts();
      await thread.reply('undo');
      await driver.waitForPost(thread, (p) => /Back to version 1/.test(p.text), { seen });
      seen = thread.posts();
      await thread.reply('redo');
      const again = await driver.waitForPost(thread, (p) => /Version 2 again/.test(p.text), { seen });
      expect(again.files.some((f) => /\.mp4$/.test(f))).toBe(true);
      expect((await driver.services.threads.latest(thread.ref))?.number).toBe(2);
    });

    it('answers status with what runs in the thread and its current version, without the model', async () => {
      const calls = driver.llm.chatRequests.length;
      const seen = thread.posts();
      await thread.reply('status');
      const status = await driver.waitForPost(thread, (p) => /Current version: v2/.test(p.text), { seen });
      expect(status.text).toMatch(/Nothing is running or queued/);
      expect(driver.llm.chatRequests).toHaveLength(calls);
    });

    it('posts the current version’s replayable script as a file for show code', async () => {
      const seen = thread.posts();
      await thread.reply('show code');
      const code = await driver.waitForPost(thread, (p) => p.files.includes('cutroom-v2.js'), { seen });
      const script = code.file?.toString('utf8') ?? '';
      const version = await driver.services.threads.latest(thread.ref);
      for (const step of version?.script ?? []) expect(script).toContain(step.trim());
      expect(script).toMatch(/cutroom render/);
    });

    it('posts an older version’s script when asked through the platform’s command (/edit action: on Discord)', async () => {
      const seen = thread.posts();
      await thread.command('show code', { version: 1 });
      const code = await driver.waitForPost(thread, (p) => p.files.includes('cutroom-v1.js'), { seen });
      const script = code.file?.toString('utf8') ?? '';
      const v1 = await driver.services.threads.version(thread.ref, 1);
      for (const step of v1?.script ?? []) expect(script).toContain(step.trim());
      expect(script).not.toContain(trimCode(1.5).split('\n').at(-1));
    });

    it('refuses a go back through the platform’s command by someone who did not start the thread, privately', async () => {
      await thread.command('go back', { version: 1, as: 'bob' });
      await expect
        .poll(() => thread.privateReplies('bob').join('\n'), { timeout: 20_000 })
        .toMatch(/only the person who started this thread/);
      expect(thread.privateReplies('alice').join('\n')).not.toMatch(/only the person/);
      expect((await driver.services.threads.latest(thread.ref))?.number).toBe(2);
    });

    it('lets a thread admin (a listed user on Slack, a listed role on Discord) go back in a thread they did not start (moves the shared thread to v1)', async () => {
      const seen = thread.posts();
      await thread.reply('use v1', { as: 'admin' });
      const back = await driver.waitForPost(thread, (p) => /Back to version 1/.test(p.text), { seen });
      expect(back.files.some((f) => /\.mp4$/.test(f))).toBe(true);
      expect(thread.privateReplies('admin')).toEqual([]);
      expect((await driver.services.threads.latest(thread.ref))?.number).toBe(1);
    });
  });

  it('refuses a cancel by another user privately, and lets the starter cancel', async () => {
    // The model takes a while to answer, so the run is still going when the buttons are pressed.
    driver.llm.enqueueFor(driver.agentModel, { content: 'Still thinking.', delayMs: 8000 });
    const thread = await driver.start('make a teaser');
    const status = await driver.waitForPost(thread, (p) => p.buttons.some((b) => b.kind === 'cancel'), {
      what: 'a status with a Cancel button',
    });
    await thread.press(status, 'cancel', { as: 'bob' });
    await expect
      .poll(() => thread.privateReplies('bob').join('\n'), { timeout: 20_000 })
      .toMatch(/only the person who started this thread/);
    await thread.press(status, 'cancel', { as: 'alice' });
    await driver.waitForPost(thread, (p) => /Cancelled/.test(p.text), {
      what: 'Cancelled',
      timeoutMs: 30_000,
    });
  });

  it('answers status with the run in progress and the request queued behind it', async () => {
    // The model takes a while to answer, so the first run is still going when the thread asks.
    driver.llm.enqueueFor(driver.agentModel, { content: 'Still thinking.', delayMs: 8000 });
    const calls = driver.llm.chatRequests.length;
    const thread = await driver.start('make a teaser');
    await expect.poll(() => driver.llm.chatRequests.length, { timeout: 60_000 }).toBeGreaterThan(calls);
    const running = await driver.waitForPost(thread, (p) => p.buttons.some((b) => b.kind === 'cancel'), {
      what: 'a status with a Cancel button',
    });
    await thread.reply('and add a title');
    let seen = thread.posts();
    await thread.reply('status');
    const status = await driver.waitForPost(thread, (p) => /Working on/.test(p.text), { seen });
    expect(status.text).toMatch(/Working on “make a teaser”.*\nQueued 1: “and add a title”/s);
    // What is queued runs once the first run is cancelled: an answer ends it, so nothing outlives the case.
    scriptAnswer(driver, 'I will add it once there is a cut.');
    scriptAnswer(driver, 'I will add it once there is a cut.');
    seen = thread.posts();
    await thread.press(running, 'cancel');
    await driver.waitForPost(thread, (p) => p.text.includes('I will add it once there is a cut.'), {
      seen,
      what: 'the queued request’s answer',
    });
  });

  it('says so in the thread when the worker running its edit died three times, and stops the status', async () => {
    const workers = await driver.workerProcesses(1);
    try {
      // Each run waits on the model, long enough to be killed in the middle of it.
      for (let run = 1; run <= 3; run++) {
        driver.llm.enqueueFor(driver.agentModel, { content: 'Still thinking.', delayMs: 120_000 });
      }
      const before = driver.llm.chatRequests.length;
      const asked = () =>
        driver.llm.chatRequests.slice(before).filter((r) => r.model === driver.agentModel).length;
      const thread = await driver.start('make a teaser');
      for (let run = 1; run <= 3; run++) {
        await expect.poll(asked, { timeout: 60_000, interval: 100 }).toBe(run);
        await workers.crash();
      }
      const gaveUp = (p: ThreadPost) => /stopped unexpectedly/.test(p.text);
      const reply = await driver.waitForPost(thread, gaveUp, {
        what: 'the failure reply',
        timeoutMs: 60_000,
      });
      expect(reply.text).toMatch(/stopped unexpectedly 3 times.*Reply in this thread to try again/s);
      const status = thread.posts().find((p) => /Failed/.test(p.text));
      expect(status).toBeDefined();
      expect(status?.buttons).toEqual([]);
      // Told once: the worker that failed the job and any later one share the reply's key.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      expect(thread.posts().filter(gaveUp)).toHaveLength(1);
      expect(asked()).toBe(3);
    } finally {
      await workers.close();
    }
  });

  it('shows how far a clip on a slow link has come, and names it when the link goes silent for the idle time', async () => {
    const calls = driver.llm.chatRequests.length;
    // Half the clip over about three seconds, then nothing: the stacks' idle timeout is 2 s.
    const thread = await driver.start('keep the first second', {
      link: { chunks: 60, everyMs: 100, silentAfter: 30 },
    });
    const failure = await driver.waitForPost(thread, (p) => /stopped sending "clip-1\.mp4"/.test(p.text), {
      what: 'the download failure',
      timeoutMs: 30_000,
    });
    expect(failure.text).toMatch(/nothing arrived for 2 s\. Please try again/);
    const progress = /Downloading clips \d+% · clip-1\.mp4/;
    const status = thread.posts().find((p) => p.shown.some((text) => progress.test(text)));
    expect(status).toBeDefined();
    expect(status?.text).toMatch(/Failed/);
    expect(driver.llm.chatRequests).toHaveLength(calls);
  });

  it('retries with the thread’s clips after a failed first request, without a new upload', async () => {
    driver.llm.failNext({ status: 401, path: '/v1/chat/completions' });
    const thread = await driver.start('keep the first second');
    await driver.waitForPost(thread, (p) => p.text.startsWith('⚠️'), { what: 'the failure reply' });
    scriptEdit(driver, trimCode(1), 'Kept the first second.');
    await thread.reply('try again please');
    const v1 = await driver.waitForPost(thread, isVersionPost(1), { what: 'version 1', timeoutMs: 120_000 });
    expect(v1.text).toContain('Kept the first second.');
    expect(await driver.services.threads.clips(thread.ref)).toHaveLength(1);
  });

  it('posts the MP4 of a 3500-character summary with a cut caption and the whole summary as a file, pinging no one', async () => {
    const sentence = 'Cut the intro to the first laugh, kept the toast and added a title card. ';
    const summary = `@everyone <!channel> ${sentence.repeat(50)}`.slice(0, 3500);
    scriptEdit(driver, trimCode(1), summary);
    const thread = await driver.start('keep the first second');
    const v1 = await driver.waitForPost(thread, isVersionPost(1), { what: 'version 1', timeoutMs: 120_000 });
    // Over every platform's limit (Discord 2000, a Slack section 3000): the fakes refuse what the platforms refuse.
    expect(v1.text.length).toBeLessThanOrEqual(3000);
    expect(v1.text).toContain('(cut: the full text is in the file below)');
    const whole = await driver.waitForPost(thread, (p) => p.files.some((f) => f.endsWith('.txt')), {
      what: 'the whole summary as a file',
    });
    expect(whole.file?.toString('utf8')).toBe(summary);
    // The model wrote `@everyone <!channel>`: each platform's own rule decides whom a post notifies.
    expect(thread.posts().flatMap((p) => p.pings)).toEqual([]);
  });

  it('tells a reply after the thread expired to upload the clips again', async () => {
    // A first request with clips that changes nothing is nudged once to edit; the model answers again.
    scriptAnswer(driver, 'Hello!');
    scriptAnswer(driver, 'Hello!');
    const thread = await driver.start('hi there');
    await driver.waitForPost(thread, (p) => p.text.includes('Hello!'), { what: 'the answer' });
    // What the lifetime does after CUTROOM_RETENTION_DAYS: the thread's state is gone, its tombstone stays.
    const { redis, threads } = driver.services;
    await redis.del(...Object.values(threads.keys.thread(thread.ref)));
    const seen = thread.posts();
    await thread.reply('can you make it shorter?');
    const calls = driver.llm.chatRequests.length;
    await driver.waitForPost(thread, (p) => /clips have expired, upload them again/.test(p.text), { seen });
    expect(driver.llm.chatRequests).toHaveLength(calls);
  });
}
