// `cutroom doctor` live: the LLM checks against the OpenAI-compatible fake (a working endpoint, one refusing tools,
// one refusing images, one whose model writes calls as text, a rejected key, a small context), Slack's auth.test and
// Discord's /users/@me against their fakes, and the whole command with --json as a script would run it.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Check, runChecks } from '../../../src/commands/doctor.ts';
import { llmChecks } from '../../../src/commands/doctor-llm.ts';
import { discordCheck, SLACK_BOT_SCOPES, slackCheck } from '../../../src/commands/doctor-platforms.ts';
import { type Env, loadConfig } from '../../../src/config.ts';
import { DiscordFakeServer } from '../../fakes/discord-fake-server.ts';
import {
  type FakeModelTraits,
  OpenAiFakeServer,
  textReply,
  toolCallReply,
} from '../../fakes/openai-fake-server.ts';
import { SlackFakeServer } from '../../fakes/slack-fake-server.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const MESSAGE_CONTENT_LIMITED = 1 << 19;

describe('cutroom doctor, live', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function openai(traits: Record<string, FakeModelTraits> = {}): Promise<OpenAiFakeServer> {
    const fake = await OpenAiFakeServer.start({ apiKey: 'sk-doctor', models: ['agent', 'vision'], traits });
    closers.push(() => fake.close());
    return fake;
  }

  const llmEnv = (fake: OpenAiFakeServer, extra: Env = {}): Env => ({
    OPENAI_API_KEY: 'sk-doctor',
    OPENAI_BASE_URL: fake.baseURL,
    CUTROOM_MODEL: 'agent',
    CUTROOM_VISION_MODEL: 'vision',
    ...extra,
  });

  const byName = (checks: Check[], name: string) => checks.find((c) => c.name === name)!;

  it('reports a working endpoint: the context it reports, a real tool call and a seen image, with times', async () => {
    const fake = await openai({ agent: { contextTokens: 32_768 } });
    fake.enqueueFor('agent', toolCallReply('add_numbers', { a: 2, b: 3 }));
    fake.enqueueFor('vision', textReply('Red.'));

    const checks = await llmChecks(loadConfig(llmEnv(fake), { readDotenv: false }));

    expect(byName(checks, 'LLM endpoint')).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(
        'agent agent, vision vision; context 32768 tokens (/v1/models max_model_len)',
      ),
    });
    expect(byName(checks, 'LLM tool calls')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^agent called add_numbers\(2, 3\) \(\d+ ms\)$/),
      data: { model: 'agent', outcome: 'works' },
    });
    expect(byName(checks, 'LLM vision')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^vision saw the red test image \(\d+ ms\)$/),
    });
    const [tools, vision] = fake.chatRequests;
    expect(tools.tools.map((t) => t.function.name)).toEqual(['add_numbers']);
    expect(vision.imageUrls()).toHaveLength(1);
    expect(vision.imageUrls()[0]).toMatch(/^data:image\/jpeg;base64,/);
  });

  it('says why when the endpoint refuses tool definitions, and how to turn them on', async () => {
    const fake = await openai({ agent: { tools: false } });
    fake.enqueueFor('vision', textReply('red'));

    const check = byName(await llmChecks(loadConfig(llmEnv(fake), { readDotenv: false })), 'LLM tool calls');

    expect(check.status).toBe('warn');
    expect(check.detail).toContain(
      'refuses tool definitions ("auto" tool choice requires --enable-auto-tool-choice',
    );
    expect(check.fix).toContain('--tool-call-parser');
  });

  it('says so when the vision model refuses images', async () => {
    const fake = await openai({ vision: { maxImages: 0 } });
    fake.enqueueFor('agent', toolCallReply('add_numbers', { a: 2, b: 3 }));

    const check = byName(await llmChecks(loadConfig(llmEnv(fake), { readDotenv: false })), 'LLM vision');

    expect(check.status).toBe('warn');
    expect(check.detail).toContain('vision does not take images (this model does not support image input)');
    expect(check.fix).toContain('CUTROOM_VISION_MODEL');
  });

  it('spots a model that writes its tool call as text, and a vision model that does not see', async () => {
    const fake = await openai();
    fake.enqueueFor(
      'agent',
      textReply('<tool_call>\n{"name": "add_numbers", "arguments": {"a": 2, "b": 3}}\n</tool_call>'),
    );
    fake.enqueueFor('vision', textReply('I cannot see any image.'));

    const checks = await llmChecks(loadConfig(llmEnv(fake), { readDotenv: false }));

    expect(byName(checks, 'LLM tool calls').detail).toContain('wrote the call as text');
    expect(byName(checks, 'LLM vision')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('answered "I cannot see any image." for a red one'),
    });
  });

  it('fails both probes with the reason when the key is rejected, and warns about a small context', async () => {
    const fake = await openai({ agent: { contextTokens: 4096, reportContext: 'ollama' } });

    const checks = await llmChecks(
      loadConfig(llmEnv(fake, { OPENAI_API_KEY: 'sk-wrong' }), { readDotenv: false }),
    );

    expect(byName(checks, 'LLM tool calls')).toMatchObject({ status: 'fail', fix: 'check OPENAI_API_KEY' });
    expect(byName(checks, 'LLM vision').detail).toMatch(/^does not work: llm: .* rejected the credentials/);
    expect(JSON.stringify(checks)).not.toContain('sk-wrong');

    const small = byName(await llmChecks(loadConfig(llmEnv(fake), { readDotenv: false })), 'LLM endpoint');
    expect(small).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('context 4096 tokens (Ollama num_ctx'),
    });
  });

  it("checks Slack's auth.test and the bot's scopes", async () => {
    const slack = await new SlackFakeServer({ scopes: SLACK_BOT_SCOPES }).start();
    closers.push(() => slack.close());
    const env = { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: 's', SLACK_API_URL: slack.apiUrl };

    expect(await slackCheck(loadConfig(env, { readDotenv: false }))).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(
        /^auth\.test: bot @cutroom \(U0CUTROOM\) in Fake Team; HTTP events; scopes ok/,
      ),
    });
    expect(slack.calls.map((c) => c.method)).toEqual(['auth.test']);

    const narrow = await new SlackFakeServer({
      scopes: SLACK_BOT_SCOPES.filter((s) => s !== 'files:write'),
    }).start();
    closers.push(() => narrow.close());
    const missing = await slackCheck(
      loadConfig({ ...env, SLACK_API_URL: narrow.apiUrl }, { readDotenv: false }),
    );
    expect(missing).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('missing scopes files:write'),
    });

    const rejected = await slackCheck(
      loadConfig({ ...env, SLACK_BOT_TOKEN: 'xoxb-wrong' }, { readDotenv: false }),
    );
    expect(rejected).toMatchObject({
      status: 'fail',
      detail: 'auth.test: SLACK_BOT_TOKEN was rejected (invalid_auth)',
    });
  });

  it("checks Discord's bot user and the Message Content intent", async () => {
    const discord = await DiscordFakeServer.start({ applicationFlags: MESSAGE_CONTENT_LIMITED });
    closers.push(() => discord.close());
    const env = {
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
    };

    expect(await discordCheck(loadConfig(env, { readDotenv: false }))).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining(
        'bot @cutroom (900000000000000002); application 900000000000000001; Message Content intent on',
      ),
    });

    const off = await DiscordFakeServer.start();
    closers.push(() => off.close());
    const intentOff = await discordCheck(
      loadConfig({ ...env, DISCORD_API_URL: off.apiUrl }, { readDotenv: false }),
    );
    expect(intentOff).toMatchObject({
      status: 'warn',
      fix: expect.stringContaining('Message Content intent'),
    });

    const rejected = await discordCheck(
      loadConfig({ ...env, DISCORD_TOKEN: 'wrong' }, { readDotenv: false }),
    );
    expect(rejected).toMatchObject({
      status: 'fail',
      detail: 'GET /users/@me: DISCORD_TOKEN was rejected (401)',
    });
  });

  it('lists the same Slack scopes as the app manifest', async () => {
    const manifest = await readFile(path.join(ROOT, 'slack-app-manifest.yaml'), 'utf8');
    const bot = /\n {4}bot:\n((?: {6}(?:#.*|- .*)\n)+)/.exec(manifest)?.[1] ?? '';
    const scopes = [...bot.matchAll(/- (\S+)/g)].map((m) => m[1]);
    expect(scopes.sort()).toEqual([...SLACK_BOT_SCOPES].sort());
  });

  it('runs only what it is given, in order', async () => {
    const seen: string[] = [];
    const checks = await runChecks(loadConfig({}, { readDotenv: false }), [
      async () => {
        seen.push('a');
        return { name: 'a', status: 'ok', detail: '' };
      },
      async () => {
        seen.push('b');
        return [{ name: 'b', status: 'warn', detail: '' }];
      },
    ]);
    expect(checks.map((c) => c.name)).toEqual(['a', 'b']);
    expect(seen).toEqual(['a', 'b']);
  });

  it('prints every check as JSON with --json, and exits 0 when nothing fails', async () => {
    const fake = await openai();
    fake.enqueueFor('agent', toolCallReply('add_numbers', { a: 2, b: 3 }));
    fake.enqueueFor('vision', textReply('red'));
    const slack = await new SlackFakeServer({ scopes: SLACK_BOT_SCOPES }).start();
    closers.push(() => slack.close());

    const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(ROOT, 'bin/cutroom.js'), 'doctor', '--json'], {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          ...llmEnv(fake),
          SLACK_BOT_TOKEN: slack.botToken,
          SLACK_SIGNING_SECRET: 's',
          SLACK_API_URL: slack.apiUrl,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      closers.push(async () => {
        if (child.exitCode === null) child.kill('SIGKILL');
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      child.on('close', (exit) => resolve({ code: exit, stdout: out }));
    });

    const report = JSON.parse(stdout) as { ok: boolean; checks: Check[] };
    expect(report.ok).toBe(true);
    expect(code).toBe(0);
    expect(report.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'Chromium',
        'ffmpeg',
        'Redis',
        'LLM endpoint',
        'LLM tool calls',
        'LLM vision',
        'Slack',
        'Discord',
      ]),
    );
    expect(byName(report.checks, 'LLM tool calls').data).toMatchObject({ model: 'agent', outcome: 'works' });
    expect(byName(report.checks, 'Discord').detail).toBe('not configured');
  });
});
