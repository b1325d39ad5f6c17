/**
 * @module `cutroom eval`: runs the edit-task suite through the agent against the configured endpoint and prints a
 * scorecard (pass rate, steps, LLM calls, tokens, seconds per task); `--out` writes the report as JSON.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MediaInspector } from '../agent/inspect-media.ts';
import { LlmClient } from '../agent/llm-client.ts';
import { createBrowserPool } from '../browser/create-browser-pool.ts';
import { loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';
import type { EvalTask } from '../eval/eval-task.ts';
import { EVAL_TASKS } from '../eval/eval-tasks.ts';
import { runEval, type TaskResult, totals } from '../eval/run-eval.ts';
import { createLogger } from '../logger.ts';

export interface EvalCommandOptions {
  list?: boolean;
  only?: string[];
  /** Runs of each task, as given on the command line. @defaultValue '1' */
  repeat?: string;
  /** Where to write the JSON report. */
  out?: string;
  /** Keep the fixtures and renders (their folder is printed). */
  keep?: boolean;
}

export async function evalCommand(
  opts: EvalCommandOptions,
  io: { out: NodeJS.WritableStream } = { out: process.stdout },
): Promise<void> {
  const say = (line = '') => io.out.write(`${line}\n`);
  if (opts.list) {
    const width = Math.max(...EVAL_TASKS.map((t) => t.name.length));
    for (const task of EVAL_TASKS) {
      say(`${task.name.padEnd(width)}  ${task.summary}${task.needs ? ` (needs ${task.needs})` : ''}`);
    }
    return;
  }
  const tasks = selectTasks(opts.only ?? []);
  const repeat = Number(opts.repeat ?? '1');
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 100) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      `eval: --repeat must be an integer 1–100, got "${opts.repeat}"`,
    );
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel === 'info' ? 'warn' : config.logLevel, pretty: true });
  const llm = LlmClient.fromConfig(config.openai, { logger });
  const endpoint = config.openai.baseURL ?? 'OpenAI';
  await mkdir(path.join(config.dataDir, 'eval'), { recursive: true });
  const workDir = await mkdtemp(path.join(config.dataDir, 'eval', 'run-'));
  const pool = createBrowserPool(config, logger, { size: 0 });
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  say(
    `Evaluating ${tasks.length} task(s) × ${repeat} against ${endpoint} (agent ${llm.model}, vision ${llm.visionModel})`,
  );
  try {
    const results = await runEval({
      tasks,
      repeat,
      llm,
      pool,
      limits: config.agent,
      workDir,
      logger,
      signal: controller.signal,
      inspector: MediaInspector.fromConfig(config, { logger }),
      transcription: config.transcribe !== undefined,
      onResult: (r) =>
        say(`  ${r.task}${repeat > 1 ? ` #${r.run}` : ''}: ${r.status}${r.reason ? ` (${r.reason})` : ''}`),
    });
    say();
    for (const line of scorecard(results)) say(line);
    const report = {
      date: new Date().toISOString(),
      endpoint,
      model: llm.model,
      visionModel: llm.visionModel,
      repeat,
      totals: totals(results),
      results,
    };
    if (opts.out) {
      await mkdir(path.dirname(path.resolve(opts.out)), { recursive: true });
      await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
      say(`Report: ${path.resolve(opts.out)}`);
    }
    if (opts.keep) say(`Fixtures and renders: ${workDir}`);
    if (report.totals.errors > 0) process.exitCode = 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    await pool.close();
    if (!opts.keep) await rm(workDir, { recursive: true, force: true });
  }
}

function selectTasks(only: string[]): EvalTask[] {
  if (only.length === 0) return EVAL_TASKS;
  const unknown = only.filter((name) => !EVAL_TASKS.some((t) => t.name === name));
  if (unknown.length > 0) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      `eval: no task named ${unknown.join(', ')}; the tasks are ${EVAL_TASKS.map((t) => t.name).join(', ')}`,
    );
  }
  return EVAL_TASKS.filter((t) => only.includes(t.name));
}

/** The table people read: one row per run, then the pass rate and the totals. */
export function scorecard(results: TaskResult[]): string[] {
  const rows = [
    ['task', 'result', 'steps', 'LLM calls', 'tokens', 'seconds'],
    ...results.map((r) => [
      r.run > 1 || results.some((o) => o.task === r.task && o.run > 1) ? `${r.task} #${r.run}` : r.task,
      r.status,
      String(r.usage.steps),
      String(r.usage.llmCalls),
      String(r.usage.promptTokens + r.usage.completionTokens),
      r.seconds.toFixed(1),
    ]),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  const lines = rows.map((row) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  '),
  );
  const sum = totals(results);
  const ran = results.length - sum.skipped;
  lines.push(
    '',
    `pass rate ${sum.passed}/${ran} (${Math.round(sum.passRate * 100)}%); ${sum.failed} failed, ${sum.errors} errors, ${sum.skipped} skipped`,
    `total: ${sum.usage.steps} steps, ${sum.usage.llmCalls} LLM calls, ${sum.usage.promptTokens + sum.usage.completionTokens} tokens, ${sum.seconds} s`,
  );
  return lines;
}
