/** @module The agent loop: one request plus clips in, code actions checked on sampled frames, an MP4 out. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { CodeResult, EditSession, LoadableAsset, RenderResult, SampleResult } from '../browser/types.ts';
import { CancelledError, CutroomError, ErrorCode, isAbortError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Version } from '../queue/types.ts';
import { AgentBudget, type AgentLimits, type LimitHit, type LimitName } from './agent-budget.ts';
import type { AgentProgress, AgentProgressListener } from './agent-progress.ts';
import { AGENT_SYSTEM_PROMPT, firstUserMessage, requestWithEarlier } from './agent-prompts.ts';
import { AGENT_TOOLS, parseToolCall } from './agent-tools.ts';
import { DocsSearch, formatDocHits } from './docs-search.ts';
import { MediaInspector } from './inspect-media.ts';
import { InspectMediaTool } from './inspect-media-tool.ts';
import type { LlmClient } from './llm-client.ts';
import { describeVerdict, type Verdict } from './verdict.ts';
import { checkFrames } from './visual-check.ts';

export interface RunEditOptions {
  request: { prompt: string };
  /** Every asset the page needs, the base version's first, in upload order. */
  assets: LoadableAsset[];
  /** The version to continue from: its script is replayed before the agent starts. */
  base?: Version;
  session: EditSession;
  llm: LlmClient;
  limits: AgentLimits;
  /** Where the render and the preview sheets are written (created if missing). */
  outDir: string;
  /** @defaultValue llm.txt, hybrid with the LLM's embeddings when an embedding model is configured */
  docs?: DocsSearch;
  onProgress?: AgentProgressListener;
  /** The job's signal: aborting it cancels the request (CancelledError). */
  signal?: AbortSignal;
  logger: Logger;
  /** Per code action; unset uses the session's default. */
  codeTimeoutMs?: number;
  /** Unset uses the session's default. */
  renderTimeoutMs?: number;
  /** Most frames sent to the vision model; longer compositions are sampled evenly instead of at 1 fps. @defaultValue 30 */
  maxFrames?: number;
  /** Measures the source clips for inspect_media. @defaultValue in-memory cache, transcription off */
  inspector?: MediaInspector;
}

export interface EditUsage {
  steps: number;
  llmCalls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface EditOutcome {
  /** `rendered`: renderPath is set. `limit`: a limit stopped the agent with no approved state. `failed`: the model gave up. */
  status: 'rendered' | 'limit' | 'failed';
  /** Every successful code action in order, the base version's included: replaying it rebuilds the result. */
  script: string[];
  verdicts: Verdict[];
  renderPath?: string;
  render?: RenderResult;
  previewPaths: string[];
  /** For the user: what was made, or why nothing was. */
  summary: string;
  durationSeconds?: number;
  usage: EditUsage;
  /** Set when a limit ended the loop (the render, if any, is the best approved state). */
  limit?: LimitName;
  /** The thread's requests still in force, oldest first, this one last: store them in the version. */
  requests: string[];
}

const MAX_TOOL_TEXT = 6000;
const DEFAULT_COMPOSITION = 'composition = new core.Composition({ width: 1280, height: 720 });';

/**
 * Runs the agent for one request on a session the caller owns (and releases).
 * @throws CutroomError for LLM faults (llm_auth, llm_model_not_found, llm_unavailable), browser faults, cancelled
 */
export async function runEdit(options: RunEditOptions): Promise<EditOutcome> {
  return new EditRun(options).run();
}

class EditRun {
  private readonly budget: AgentBudget;
  private readonly docs: DocsSearch;
  private readonly inspectMedia: InspectMediaTool;
  private readonly wallSignal: AbortSignal;
  private readonly signal: AbortSignal;
  private readonly logger: Logger;
  private readonly messages: ChatCompletionMessageParam[] = [];
  private script: string[] = [];
  private readonly verdicts: Verdict[] = [];
  private readonly previewPaths: string[] = [];
  /** Bumped by every successful code action: an approval holds for one state only. */
  private stateVersion = 0;
  private approvedVersion: number | undefined;
  private approvedScript: string[] | undefined;
  private autoCheckedVersion: number | undefined;
  private sampled: { version: number; sample: SampleResult } | undefined;
  private current = { outline: '', duration: 0 };
  private lastText = '';

  constructor(private readonly options: RunEditOptions) {
    this.budget = new AgentBudget(options.limits);
    this.logger = options.logger.child({ component: 'agent' });
    this.wallSignal = AbortSignal.timeout(options.limits.maxWallMs);
    this.signal = options.signal ? AbortSignal.any([options.signal, this.wallSignal]) : this.wallSignal;
    this.docs =
      options.docs ??
      DocsSearch.fromFile(undefined, {
        logger: this.logger,
        embedder: options.llm.embeddingModel
          ? (texts, { signal }) => options.llm.embed(texts, { signal })
          : undefined,
      });
    this.inspectMedia = new InspectMediaTool({
      inspector: options.inspector ?? new MediaInspector({ logger: this.logger }),
      assets: options.assets,
      llm: options.llm,
      logger: this.logger,
    });
  }

  async run(): Promise<EditOutcome> {
    const { session, request, assets, base } = this.options;
    await mkdir(this.options.outDir, { recursive: true });
    try {
      const loadable = await this.inspectMedia.assetsFor(base?.script ?? [], { signal: this.signal });
      await session.loadAssets(loadable, { signal: this.signal });
      if (base && base.script.length > 0) await this.replay(base);
      this.messages.push(
        { role: 'system', content: AGENT_SYSTEM_PROMPT },
        {
          role: 'user',
          content: firstUserMessage({
            prompt: request.prompt,
            assets,
            previous: base
              ? {
                  number: base.number,
                  prompt: base.prompt,
                  outline: this.current.outline,
                  duration: this.current.duration,
                }
              : undefined,
          }),
        },
      );
      return await this.loop();
    } catch (error) {
      if (this.options.signal?.aborted)
        throw new CancelledError('agent: request cancelled', { cause: error });
      if (this.wallSignal.aborted && isAbortError(error)) return this.finishAtLimit(this.wallLimit());
      throw error;
    }
  }

  private async replay(base: Version): Promise<void> {
    this.progress({ stage: 'replaying', text: `Rebuilding version ${base.number}…` });
    for (const [index, code] of base.script.entries()) {
      const result = await this.options.session.runCode(code, this.codeOptions());
      if (!result.ok) {
        throw new CutroomError(
          ErrorCode.Internal,
          `agent: replaying version ${base.number} failed at action ${index + 1}/${base.script.length}: ${result.error?.message}`,
          {
            userMessage: `I could not rebuild version ${base.number} to continue from it. Try a new request from scratch.`,
          },
        );
      }
      this.noteResult(result);
    }
    this.script = [...base.script];
    this.stateVersion += 1;
    // The base version passed its own visual check when it was made.
    if (base.render) {
      this.approvedVersion = this.stateVersion;
      this.approvedScript = [...this.script];
    }
  }

  private async loop(): Promise<EditOutcome> {
    for (;;) {
      const hit = this.budget.exceeded();
      if (hit) return this.finishAtLimit(hit);
      const result = await this.options.llm.chat(
        { messages: this.messages, tools: AGENT_TOOLS },
        { signal: this.signal },
      );
      this.budget.recordLlmCall(result.usage);
      const { message } = result;
      const calls = (message.tool_calls ?? []).filter(
        (c): c is ChatCompletionMessageFunctionToolCall => c.type === 'function',
      );
      if (message.content?.trim()) this.lastText = message.content.trim();
      this.messages.push({
        role: 'assistant',
        content: message.content ?? null,
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      });

      if (calls.length === 0) {
        const outcome = await this.onModelStopped();
        if (outcome) return outcome;
        continue;
      }
      for (const [index, call] of calls.entries()) {
        const callHit = this.budget.exceeded();
        if (callHit) {
          for (const skipped of calls.slice(index))
            this.answerTool(skipped.id, `not run: ${callHit.message}`);
          return this.finishAtLimit(callHit);
        }
        this.budget.recordStep();
        const outcome = await this.runTool(call);
        if (outcome) return outcome;
      }
    }
  }

  /** Runs one tool call and answers it; returns an outcome when the request is finished (rendered). */
  private async runTool(call: ChatCompletionMessageFunctionToolCall): Promise<EditOutcome | undefined> {
    const parsed = parseToolCall(call.function.name, call.function.arguments);
    const step = this.budget.steps;
    if (!parsed.ok) {
      this.logger.debug({ tool: parsed.name, error: parsed.error }, 'malformed tool call');
      this.answerTool(call.id, `error: ${parsed.error}`);
      return undefined;
    }
    switch (parsed.name) {
      case 'search_docs': {
        this.progress({
          stage: 'searching_docs',
          step,
          text: `Looking up "${parsed.args.query}" in the docs…`,
        });
        const hits = await this.docs.search(parsed.args.query, { signal: this.signal });
        this.answerTool(call.id, formatDocHits(hits));
        return undefined;
      }
      case 'run_code': {
        this.progress({ stage: 'editing', step, text: `Step ${step}: running code…` });
        const result = await this.options.session.runCode(parsed.args.code, this.codeOptions());
        this.noteResult(result);
        if (result.ok) {
          this.script.push(parsed.args.code);
          this.stateVersion += 1;
        }
        this.answerTool(call.id, formatCodeResult(result));
        return undefined;
      }
      case 'visual_feedback': {
        const text = await this.visualFeedback(step, parsed.args.goal);
        this.answerTool(call.id, text);
        return undefined;
      }
      case 'inspect_media': {
        const what = parsed.args.question ? 'Looking at' : 'Inspecting';
        this.progress({ stage: 'editing', step, text: `${what} clip ${parsed.args.asset + 1}…` });
        const result = await this.inspectMedia.run(parsed.args, {
          session: this.options.session,
          signal: this.signal,
        });
        if (result.usage) this.budget.recordLlmCall(result.usage);
        this.answerTool(call.id, result.text);
        return undefined;
      }
      case 'render': {
        if (!this.isApproved()) {
          this.answerTool(
            call.id,
            'render refused: the current state has no approving visual check. Call visual_feedback first (and fix what it reports).',
          );
          return undefined;
        }
        const outcome = await this.render();
        this.answerTool(call.id, `rendered ${outcome.durationSeconds ?? 0} s`);
        return outcome;
      }
    }
  }

  /** The model answered without a tool call: render an approved state, check an unchecked one, or give up. */
  private async onModelStopped(): Promise<EditOutcome | undefined> {
    if (this.isApproved()) return this.render();
    const hasContent = this.script.length > 0 && this.current.duration > 0;
    if (hasContent && this.autoCheckedVersion !== this.stateVersion && !this.budget.exceeded()) {
      this.autoCheckedVersion = this.stateVersion;
      this.budget.recordStep();
      const text = await this.visualFeedback(this.budget.steps);
      if (this.isApproved()) return this.render();
      this.messages.push({
        role: 'user',
        content: `Before finishing I checked the frames for you. ${text}\nFix these issues with run_code, then call visual_feedback and render; or, if it cannot be done, explain why to the user.`,
      });
      return undefined;
    }
    return {
      ...this.base(),
      status: 'failed',
      summary: this.lastText || 'I could not make this edit. Please try rephrasing the request.',
    };
  }

  private async visualFeedback(step: number, goal?: string): Promise<string> {
    if (this.script.length === 0 || this.current.duration <= 0) {
      return 'nothing to check: the composition is empty. Add clips with run_code first.';
    }
    const sample = await this.sample(step);
    this.progress({ stage: 'checking_frames', step, text: `Checking ${sample.frames.length} frames…` });
    const request = requestWithEarlier(this.options.request.prompt, this.requests().slice(0, -1));
    const fullGoal = goal ? `${request}\nSpecifically: ${goal}` : request;
    let verdict: Verdict;
    try {
      const checked = await checkFrames(
        {
          llm: this.options.llm,
          frames: sample.frames,
          goal: fullGoal,
          width: sample.width,
          height: sample.height,
          duration: this.current.duration,
        },
        { signal: this.signal },
      );
      this.budget.recordLlmCall(checked.usage);
      verdict = checked.verdict;
    } catch (error) {
      if (error instanceof CutroomError && error.code === ErrorCode.LlmBadResponse) {
        this.budget.recordLlmCall({ promptTokens: 0, completionTokens: 0 });
        this.logger.warn({ err: error }, 'vision model gave no verdict');
        return 'the visual check failed: the vision model gave an unreadable answer. Call visual_feedback again.';
      }
      throw error;
    }
    this.verdicts.push(verdict);
    if (verdict.verdict === 'approve') {
      this.approvedVersion = this.stateVersion;
      this.approvedScript = [...this.script];
    }
    this.progress({
      stage: 'checking_frames',
      step,
      text: describeVerdict(verdict),
      previewPath: this.previewPaths.at(-1),
      verdict,
    });
    const next =
      verdict.verdict === 'approve'
        ? 'Approved: call render.'
        : 'Fix these issues with run_code, then call visual_feedback again.';
    return `verdict: ${JSON.stringify(verdict)}\n${next}`;
  }

  private async sample(step: number): Promise<SampleResult> {
    if (this.sampled?.version === this.stateVersion) return this.sampled.sample;
    const maxFrames = this.options.maxFrames ?? 30;
    const duration = this.current.duration;
    const times =
      duration > maxFrames
        ? Array.from(
            { length: maxFrames },
            (_, i) => Math.round(((i + 0.5) * duration * 100) / maxFrames) / 100,
          )
        : undefined;
    const sample = await this.options.session.sample({ fps: 1, width: 512, times, signal: this.signal });
    const previewPath = path.join(this.options.outDir, `preview-${String(step).padStart(2, '0')}.jpg`);
    await writeFile(previewPath, sample.sheet);
    this.previewPaths.push(previewPath);
    this.sampled = { version: this.stateVersion, sample };
    return sample;
  }

  private async render(limit?: LimitHit): Promise<EditOutcome> {
    this.progress({ stage: 'rendering', percent: 0, text: 'Rendering…' });
    const outPath = path.join(this.options.outDir, 'render.mp4');
    let lastPercent = -1;
    const render = await this.options.session.render({
      outPath,
      // The wall-time limit does not cut a render of an approved state short; the job signal still cancels it.
      signal: this.options.signal,
      timeoutMs: this.options.renderTimeoutMs,
      onProgress: ({ percent }) => {
        const rounded = Math.floor(percent);
        if (rounded === lastPercent) return;
        lastPercent = rounded;
        this.progress({ stage: 'rendering', percent: rounded, text: `Rendering… ${rounded}%` });
      },
    });
    const seconds = Math.round(render.durationSeconds * 10) / 10;
    const made = this.lastText || `Here is your edit: ${seconds} s, ${render.width}x${render.height}.`;
    return {
      ...this.base(),
      status: 'rendered',
      renderPath: render.path,
      render,
      durationSeconds: render.durationSeconds,
      summary: limit
        ? `${limit.userMessage}, so this is the last version that passed the visual check (${seconds} s).`
        : made,
      limit: limit?.limit,
    };
  }

  private async finishAtLimit(hit: LimitHit): Promise<EditOutcome> {
    this.logger.info({ limit: hit.limit, detail: hit.message, usage: this.usage() }, 'agent limit reached');
    if (this.options.signal?.aborted) throw new CancelledError('agent: request cancelled');
    if (this.isApproved()) return this.render(hit);
    if (this.approvedScript) {
      await this.restore(this.approvedScript);
      return this.render(hit);
    }
    const issues =
      this.verdicts
        .at(-1)
        ?.issues.map((i) => i.description)
        .filter(Boolean) ?? [];
    return {
      ...this.base(),
      status: 'limit',
      limit: hit.limit,
      summary: `${hit.userMessage} without reaching a version that passed the visual check, so I did not render anything.${
        issues.length ? ` Still wrong: ${issues.join('; ')}.` : ''
      } Try a simpler request, or ask for one change at a time.`,
    };
  }

  /** Puts the page back to an earlier approved script: a fresh composition, then the script again. */
  private async restore(script: string[]): Promise<void> {
    const options = { timeoutMs: this.options.codeTimeoutMs, signal: this.options.signal };
    const reset = await this.options.session.runCode(DEFAULT_COMPOSITION, options);
    if (!reset.ok) throw new CutroomError(ErrorCode.Internal, `agent: reset failed: ${reset.error?.message}`);
    for (const code of script) {
      const result = await this.options.session.runCode(code, options);
      if (!result.ok)
        throw new CutroomError(ErrorCode.Internal, `agent: restore failed: ${result.error?.message}`);
      this.noteResult(result);
    }
    this.script = [...script];
    this.stateVersion += 1;
    this.approvedVersion = this.stateVersion;
  }

  private isApproved(): boolean {
    return this.approvedVersion !== undefined && this.approvedVersion === this.stateVersion;
  }

  private noteResult(result: CodeResult): void {
    this.current = { outline: result.outline, duration: result.duration };
  }

  private answerTool(id: string, content: string): void {
    const text = content.length > MAX_TOOL_TEXT ? `${content.slice(0, MAX_TOOL_TEXT)}\n[truncated]` : content;
    this.messages.push({ role: 'tool', tool_call_id: id, content: text });
  }

  private codeOptions() {
    return { timeoutMs: this.options.codeTimeoutMs, signal: this.signal };
  }

  private wallLimit(): LimitHit {
    const hit = this.budget.exceeded();
    if (hit?.limit === 'wall_time') return hit;
    const seconds = Math.round(this.options.limits.maxWallMs / 1000);
    return {
      limit: 'wall_time',
      message: `time limit ${this.options.limits.maxWallMs} ms reached`,
      userMessage: `I ran out of time (${seconds} s)`,
    };
  }

  private progress(event: AgentProgress): void {
    try {
      this.options.onProgress?.(event);
    } catch (error) {
      this.logger.warn({ err: error }, 'progress listener threw');
    }
  }

  private usage(): EditUsage {
    const { steps, llmCalls, promptTokens, completionTokens } = this.budget;
    return { steps, llmCalls, promptTokens, completionTokens };
  }

  private base(): Omit<EditOutcome, 'status' | 'summary'> {
    return {
      script: [...this.script],
      verdicts: [...this.verdicts],
      previewPaths: [...this.previewPaths],
      usage: this.usage(),
      requests: this.requests(),
    };
  }

  private requests(): string[] {
    const { base, request } = this.options;
    return [...(base?.requests ?? (base ? [base.prompt] : [])), request.prompt];
  }
}

function formatCodeResult(result: CodeResult): string {
  const lines: string[] = [];
  if (result.ok) {
    lines.push('ok');
  } else {
    const where = result.error?.line ? ` (line ${result.error.line})` : '';
    lines.push(
      `error: ${result.error?.name ?? 'Error'}: ${result.error?.message ?? 'unknown error'}${where}`,
      'The action was rolled back: the composition is as it was before it.',
    );
  }
  if (result.logs.length > 0) lines.push('console output:', ...result.logs);
  lines.push(`composition (${Math.round(result.duration * 100) / 100} s):`, result.outline.trim());
  return lines.join('\n');
}
