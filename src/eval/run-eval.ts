/** @module Runs eval tasks through the real agent loop and measures each result: the data behind `cutroom eval`. */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AgentLimits } from '../agent/agent-budget.ts';
import type { MediaInspector } from '../agent/inspect-media.ts';
import type { LlmClient } from '../agent/llm-client.ts';
import { type EditOutcome, runEdit } from '../agent/run-edit.ts';
import type { BrowserPool } from '../browser/browser-pool.ts';
import type { EditSession, LoadableAsset } from '../browser/types.ts';
import { isCutroomError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AgentUsage, Version } from '../queue/types.ts';
import { EvalFixtures } from './eval-fixtures.ts';
import type { CheckResult, EvalTask } from './eval-task.ts';

export interface RunEvalOptions {
  tasks: EvalTask[];
  /** Runs of each task. @defaultValue 1 */
  repeat?: number;
  llm: LlmClient;
  pool: BrowserPool;
  limits: AgentLimits;
  /** Fixtures and renders go here. */
  workDir: string;
  logger: Logger;
  /** Whether speech to text is configured; tasks that need it are skipped otherwise. @defaultValue false */
  transcription?: boolean;
  /** Measures the clips for inspect_media (and transcribes them when configured). @defaultValue runEdit's */
  inspector?: MediaInspector;
  /** Called as each run finishes, e.g. to print a line. */
  onResult?: (result: TaskResult) => void;
  signal?: AbortSignal;
}

export interface TaskResult {
  task: string;
  /** 1-based run of the task, up to `repeat`. */
  run: number;
  status: 'passed' | 'failed' | 'skipped' | 'error';
  /** Why it failed, errored or was skipped. */
  reason?: string;
  checks: CheckResult[];
  /** How the agent ended the last request. */
  agentStatus?: EditOutcome['status'];
  usage: AgentUsage;
  seconds: number;
}

export interface EvalTotals {
  passed: number;
  failed: number;
  errors: number;
  skipped: number;
  /** Passed out of the runs that were not skipped, 0–1. */
  passRate: number;
  usage: AgentUsage;
  seconds: number;
}

const NO_USAGE: AgentUsage = { steps: 0, llmCalls: 0, promptTokens: 0, completionTokens: 0 };

/** Runs each task `repeat` times, one after another (a browser and the endpoint are shared). */
export async function runEval(options: RunEvalOptions): Promise<TaskResult[]> {
  const fixturesDir = path.join(options.workDir, 'fixtures');
  await mkdir(fixturesDir, { recursive: true });
  const fixtures = new EvalFixtures(fixturesDir);
  const results: TaskResult[] = [];
  for (const task of options.tasks) {
    for (let run = 1; run <= (options.repeat ?? 1); run++) {
      const result = await runTask(task, run, fixtures, options);
      results.push(result);
      options.onResult?.(result);
    }
  }
  return results;
}

async function runTask(
  task: EvalTask,
  run: number,
  fixtures: EvalFixtures,
  options: RunEvalOptions,
): Promise<TaskResult> {
  const base = { task: task.name, run, checks: [] as CheckResult[] };
  if (task.needs === 'transcription' && !options.transcription) {
    return { ...base, status: 'skipped', reason: 'transcription off', usage: NO_USAGE, seconds: 0 };
  }
  const started = performance.now();
  let usage = NO_USAGE;
  try {
    const assets = await Promise.all(task.fixtures.map((name) => fixtures.asset(name)));
    let previous: Version | undefined;
    let outcome: EditOutcome | undefined;
    for (const [index, prompt] of task.prompts.entries()) {
      outcome = await runTurn(
        prompt,
        assets,
        previous,
        path.join(options.workDir, task.name, `${run}-${index + 1}`),
        options,
      );
      usage = addUsage(usage, outcome.usage);
      if (index < task.prompts.length - 1) {
        if (outcome.status !== 'rendered') break;
        previous = versionOf(index + 1, prompt, assets, outcome);
      }
    }
    const last = outcome as EditOutcome;
    const seconds = elapsed(started);
    const met = task.expects === 'render' ? last.status === 'rendered' : last.status !== 'rendered';
    if (!met) {
      const reason =
        task.expects === 'render'
          ? `no render: the agent ended with ${last.status} ("${last.summary.slice(0, 160)}")`
          : 'rendered instead of refusing';
      return { ...base, status: 'failed', reason, agentStatus: last.status, usage, seconds };
    }
    const checks = await task.check(last, fixtures);
    const failed = checks.filter((c) => !c.ok);
    return {
      ...base,
      checks,
      status: failed.length === 0 ? 'passed' : 'failed',
      reason: failed.length > 0 ? failed.map((c) => `${c.name}: ${c.detail}`).join('; ') : undefined,
      agentStatus: last.status,
      usage,
      seconds: elapsed(started),
    };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const reason = isCutroomError(error) ? `${error.code}: ${error.message}` : String(error);
    return { ...base, status: 'error', reason, usage, seconds: elapsed(started) };
  }
}

async function runTurn(
  prompt: string,
  assets: LoadableAsset[],
  base: Version | undefined,
  outDir: string,
  options: RunEvalOptions,
): Promise<EditOutcome> {
  let session: EditSession | undefined;
  try {
    return await runEdit({
      request: { prompt },
      assets,
      base,
      openSession: async (wait) => {
        session = await options.pool.acquire(wait);
        return session;
      },
      llm: options.llm,
      limits: options.limits,
      outDir,
      logger: options.logger,
      signal: options.signal,
      inspector: options.inspector,
    });
  } finally {
    await session?.release();
  }
}

/** The version a follow-up continues from, as a thread would keep it. */
function versionOf(number: number, prompt: string, assets: LoadableAsset[], outcome: EditOutcome): Version {
  return {
    number,
    prompt,
    assets: assets.map(({ path: _path, ...stored }) => stored),
    script: outcome.script,
    verdicts: outcome.verdicts,
    render: outcome.renderPath
      ? {
          key: outcome.renderPath,
          name: 'render.mp4',
          mimeType: 'video/mp4',
          size: outcome.render?.bytes ?? 0,
        }
      : undefined,
    summary: outcome.summary,
    durationSeconds: outcome.durationSeconds,
    outline: outcome.outline,
    usage: outcome.usage,
    createdAt: Date.now(),
  };
}

export function totals(results: TaskResult[]): EvalTotals {
  const count = (status: TaskResult['status']) => results.filter((r) => r.status === status).length;
  const passed = count('passed');
  const ran = results.length - count('skipped');
  return {
    passed,
    failed: count('failed'),
    errors: count('error'),
    skipped: count('skipped'),
    passRate: ran === 0 ? 0 : passed / ran,
    usage: results.reduce((sum, r) => addUsage(sum, r.usage), NO_USAGE),
    seconds: Math.round(results.reduce((sum, r) => sum + r.seconds, 0) * 10) / 10,
  };
}

function addUsage(a: AgentUsage, b: AgentUsage): AgentUsage {
  return {
    steps: a.steps + b.steps,
    llmCalls: a.llmCalls + b.llmCalls,
    promptTokens: a.promptTokens + b.promptTokens,
    completionTokens: a.completionTokens + b.completionTokens,
  };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) / 100) / 10;
}
