// `cutroom eval` as CI runs it: the real CLI, real Chromium and ffmpeg, the OpenAI fake playing the oracle model
// (each task's reference answer). The full run's report goes to bench/results/ (not tracked). Checks are also shown
// to fail on wrong answers, so a green scorecard means something.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LlmClient } from '../../../src/agent/llm-client.ts';
import type { BrowserPool } from '../../../src/browser/browser-pool.ts';
import { EVAL_TASKS } from '../../../src/eval/eval-tasks.ts';
import { runEval, type TaskResult } from '../../../src/eval/run-eval.ts';
import { createSilentLogger } from '../../../src/logger.ts';
import { OpenAiFakeServer } from '../../fakes/openai-fake-server.ts';
import { oracleModel } from '../../fakes/oracle-model.ts';
import { createPool, GENEROUS_LIMITS, tempDir } from '../agent/agent-test-kit.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const REPORT = path.join(ROOT, 'bench/results/eval-scripted-model.json');

function cutroom(args: string[], env: Record<string, string>, cwd: string) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin/cutroom.js'), ...args], {
      cwd,
      env: { PATH: process.env.PATH, HOME: cwd, CUTROOM_DATA_DIR: path.join(cwd, 'data'), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cutroom eval', { timeout: 300_000 }, () => {
  let fake: OpenAiFakeServer;
  let work: { dir: string; remove: () => Promise<void> };

  beforeAll(async () => {
    fake = await OpenAiFakeServer.start({ apiKey: 'sk-eval' });
    fake.setFallback(oracleModel());
    work = await tempDir('cutroom-eval-');
  });
  afterAll(async () => {
    await fake?.close();
    await work?.remove();
  });

  const env = () => ({
    OPENAI_API_KEY: 'sk-eval',
    OPENAI_BASE_URL: fake.baseURL,
    CUTROOM_MODEL: 'oracle',
    CUTROOM_VISION_MODEL: 'oracle',
  });

  it('lists at least twelve tasks, saying which need transcription', async () => {
    const { code, stdout } = await cutroom(['eval', '--list'], {}, work.dir);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(12);
    expect(lines.find((l) => l.startsWith('captions'))).toContain('(needs transcription)');
  });

  it('passes every task against the scripted model and writes the report to bench/results', async () => {
    const { code, stdout, stderr } = await cutroom(['eval', '--out', REPORT], env(), work.dir);

    expect(stderr).not.toMatch(/cutroom:/);
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(REPORT, 'utf8')) as {
      endpoint: string;
      results: TaskResult[];
      totals: { passRate: number; skipped: number };
    };
    expect(report.endpoint).toBe(fake.baseURL);
    const notPassed = report.results.filter((r) => r.status !== 'passed' && r.status !== 'skipped');
    expect(notPassed).toEqual([]);
    expect(report.results.find((r) => r.task === 'captions')).toMatchObject({
      status: 'skipped',
      reason: 'transcription off',
    });
    expect(report.totals.passRate).toBe(1);
    expect(report.results.filter((r) => r.status === 'passed').every((r) => r.usage.llmCalls > 0)).toBe(true);
    const ran = EVAL_TASKS.length - 1;
    expect(stdout).toContain(`pass rate ${ran}/${ran} (100%)`);
    expect(stdout).toMatch(/^trim\s+passed\s+3\s+\d+\s+\d+\s+\d+\.\d$/m);
  });

  it('runs only the tasks asked for, as many times as asked', async () => {
    const { code, stdout } = await cutroom(
      ['eval', '--only', 'impossible', '--repeat', '2'],
      env(),
      work.dir,
    );
    expect(code).toBe(0);
    expect(stdout).toMatch(/^impossible #1\s+passed/m);
    expect(stdout).toMatch(/^impossible #2\s+passed/m);
    expect(stdout).not.toMatch(/^trim/m);
  });

  it('says which tasks exist when asked for an unknown one', async () => {
    const { code, stderr } = await cutroom(['eval', '--only', 'nope'], env(), work.dir);
    expect(code).toBe(1);
    expect(stderr).toContain('no task named nope; the tasks are trim, join');
  });
});

describe('eval checks on wrong answers', { timeout: 300_000 }, () => {
  let pool: BrowserPool;
  let fake: OpenAiFakeServer;
  let work: { dir: string; remove: () => Promise<void> };

  beforeAll(async () => {
    pool = createPool();
    fake = await OpenAiFakeServer.start();
    work = await tempDir('cutroom-eval-wrong-');
  });
  afterAll(async () => {
    await pool?.close();
    await fake?.close();
    await work?.remove();
  });
  afterEach(() => {
    fake.reset();
  });

  /** Runs one task with its reference answer replaced by `code`. */
  async function runWrong(name: string, code: string): Promise<TaskResult> {
    const task = EVAL_TASKS.find((t) => t.name === name)!;
    const wrong = { ...task, oracle: [{ code: [code] }] };
    fake.setFallback(oracleModel([wrong]));
    const [result] = await runEval({
      tasks: [wrong],
      llm: new LlmClient({ baseURL: fake.baseURL, model: 'oracle', visionModel: 'oracle', maxRetries: 0 }),
      pool,
      limits: GENEROUS_LIMITS,
      workDir: path.join(work.dir, name),
      logger: createSilentLogger(),
    });
    return result;
  }

  it('fails a trim that keeps the wrong length and part', async () => {
    const result = await runWrong(
      'trim',
      `composition = new core.Composition({ width: 640, height: 360 });\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(assets[0].source, { range: [1, 4] }));`,
    );
    expect(result.status).toBe('failed');
    expect(result.reason).toContain('duration: 3 s (want 2 ± 0.15)');
    expect(result.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([
      'duration',
      'first second at 0.5 s',
      'second second at 1.5 s',
    ]);
  });

  it('fails a title task whose video has no title', async () => {
    const result = await runWrong(
      'title',
      `composition = new core.Composition({ width: 640, height: 360 });\nconst layer = await composition.add(new core.Layer({ mode: 'SEQUENTIAL' }));\nawait layer.add(new core.VideoClip(assets[0].source, { range: [0, 4] }));`,
    );
    expect(result.status).toBe('failed');
    expect(result.checks.find((c) => c.name === 'text in the middle at 0.5 s')).toMatchObject({ ok: false });
    expect(result.checks.find((c) => c.name === 'corner untouched')).toMatchObject({ ok: true });
  });
});
