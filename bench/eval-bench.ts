/**
 * @module `cutroom eval` against the project's scripted oracle (the OpenAI fake playing each task's reference answer):
 * what the harness itself costs per task, and its report in bench/results/eval-scripted-model.json. Not a model's
 * score: see docs/performance.md.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LlmClient } from '../src/agent/llm-client.ts';
import { BrowserPool } from '../src/browser/browser-pool.ts';
import { LocalBrowserProvider } from '../src/browser/browser-provider.ts';
import { scorecard } from '../src/commands/eval.ts';
import { EVAL_TASKS } from '../src/eval/eval-tasks.ts';
import { runEval, totals } from '../src/eval/run-eval.ts';
import { createSilentLogger } from '../src/logger.ts';
import { OpenAiFakeServer } from '../tests/fakes/openai-fake-server.ts';
import { oracleModel } from '../tests/fakes/oracle-model.ts';

const LIMITS = { maxSteps: 24, maxLlmCalls: 40, maxTokens: 400_000, maxWallMs: 300_000 };

export async function runEvalBench(): Promise<Record<string, unknown>> {
  const logger = createSilentLogger();
  const fake = await OpenAiFakeServer.start();
  fake.setFallback(oracleModel());
  const pool = new BrowserPool({ provider: new LocalBrowserProvider({ logger }), size: 1, logger });
  const workDir = await mkdtemp(path.join(tmpdir(), 'cutroom-eval-bench-'));
  try {
    await pool.warmUp();
    const results = await runEval({
      tasks: EVAL_TASKS,
      llm: new LlmClient({ baseURL: fake.baseURL, model: 'oracle', visionModel: 'oracle' }),
      pool,
      limits: LIMITS,
      workDir,
      logger,
    });
    process.stdout.write(`\neval against the scripted oracle (harness cost, not a model's score)\n`);
    for (const line of scorecard(results)) process.stdout.write(`${line}\n`);
    const summary = totals(results);
    const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
    await mkdir(dir, { recursive: true });
    await writeFile(
      path.join(dir, 'eval-scripted-model.json'),
      `${JSON.stringify({ date: new Date().toISOString(), endpoint: 'scripted oracle', totals: summary, results }, null, 2)}\n`,
    );
    return {
      passRate: summary.passRate,
      skipped: summary.skipped,
      seconds: summary.seconds,
      secondsPerTask: Object.fromEntries(results.map((r) => [r.task, r.seconds])),
    };
  } finally {
    await pool.close();
    await fake.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runEvalBench();
}
