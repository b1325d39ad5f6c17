/**
 * @module The agent loop: one request plus clips in; code actions checked on sampled frames and an MP4 out, or an
 * answer, or a question that a later call resumes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type {
  ChatCompletionMessageFunctionToolCall,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type {
  CodeResult,
  EditSession,
  LoadableAsset,
  RenderResult,
  SampleResult,
  WaitOptions,
} from '../browser/types.ts';
import { CancelledError, CutroomError, ErrorCode, isAbortError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { AgentUsage, Version } from '../queue/types.ts';
import { AgentBudget, type AgentLimits, type LimitHit, type LimitName } from './agent-budget.ts';
import type { AgentConversation } from './agent-conversation.ts';
import type { AgentProgress, AgentProgressListener } from './agent-progress.ts';
import {
  AGENT_SYSTEM_PROMPT,
  firstUserMessage,
  requestWithEarlier,
  textToolProtocol,
} from './agent-prompts.ts';
import { AGENT_TOOLS, parseToolCall, type ReadToolCall } from './agent-tools.ts';
import { ContextWindow, estimateTokens } from './context-window.ts';
import { DocsSearch, formatDocHits } from './docs-search.ts';
import { summariseEdit } from './edit-summary.ts';
import { capabilitiesOf, toolsRefusal } from './endpoint-capabilities.ts';
import { MediaInspector } from './inspect-media.ts';
import { InspectMediaTool } from './inspect-media-tool.ts';
import type { ChatResult, LlmClient, LlmUsage } from './llm-client.ts';
import { readTextToolCalls, type TextToolCall } from './text-tool-calls.ts';
import { describeVerdict, type Verdict } from './verdict.ts';
import { checkFrames } from './visual-check.ts';

export interface RunEditOptions {
  request: { prompt: string };
  /** Every asset the page needs, the base version's first, in upload order. */
  assets: LoadableAsset[];
  /** The version to continue from: its script is replayed when the page is first needed. */
  base?: Version;
  /**
   * Opens the browser session on first need (a code action, a check, a render): a run that only answers never opens
   * one. The caller releases what it returned.
   */
  openSession: (options: WaitOptions) => Promise<EditSession>;
  /** The conversation of a run that ended with a question: `request.prompt` is the user's reply, and the run goes on. */
  resume?: AgentConversation;
  llm: LlmClient;
  /** `contextTokens` unset: the model's reported context, else {@link DEFAULT_CONTEXT_TOKENS}. */
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

export type EditUsage = AgentUsage;

export interface EditOutcome {
  /**
   * `rendered`: renderPath is set. `replied`: a plain answer and no new version (`summary` is the text to post).
   * `question`: the model asks the user something (`summary`); `conversation` resumes the run with their reply.
   * `limit`: a limit stopped the agent with no approved state. `failed`: the model gave up.
   */
  status: 'rendered' | 'replied' | 'question' | 'limit' | 'failed';
  /** Every successful code action in order, the base version's included: replaying it rebuilds the result. */
  script: string[];
  verdicts: Verdict[];
  renderPath?: string;
  render?: RenderResult;
  previewPaths: string[];
  /** For the user: what was made, the answer or question, or why nothing was made. */
  summary: string;
  durationSeconds?: number;
  usage: EditUsage;
  /** Set when a limit ended the loop (the render, if any, is the best approved state). */
  limit?: LimitName;
  /** `composition.toString()` at the end: kept with a version, it lets a follow-up start without a browser. */
  outline: string;
  /** Set with `question`: store it and pass it back as `resume` with the user's reply. */
  conversation?: AgentConversation;
  /** The thread's requests still in force, oldest first, this one last: store them in the version. */
  requests: string[];
}

/** The context budget when neither CUTROOM_CONTEXT_TOKENS nor the endpoint says. */
export const DEFAULT_CONTEXT_TOKENS = 32_768;
const MAX_TOOL_TEXT = 6000;
const MAX_NUDGES = 2;
const SUMMARY_TIMEOUT_MS = 30_000;
const DEFAULT_COMPOSITION = 'composition = new core.Composition({ width: 1280, height: 720 });';

/**
 * Runs the agent for one request (or one reply to its question), opening a browser session through `openSession` only
 * when it needs one.
 * @throws CutroomError for LLM faults (llm_auth, llm_model_not_found, llm_unavailable, llm_context_too_small),
 * browser faults, cancelled
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
  /** Sized in prepare(): the configured budget, else what the endpoint reports. */
  private context!: ContextWindow;
  private opening: Promise<EditSession> | undefined;
  /** Set once the page is open, with the clips loaded and the starting script replayed. */
  private session: EditSession | undefined;
  private script: string[];
  private readonly verdicts: Verdict[] = [];
  private readonly previewPaths: string[] = [];
  /** Bumped by every change to the composition (0 is where the run started): an approval holds for one revision. */
  private revision = 0;
  private approvedRevision: number | undefined;
  /** The latest approved script that differs from where the run started: what a limit falls back to. */
  private approvedScript: string[] | undefined;
  /** A resumed run whose earlier part already changed the composition. */
  private readonly changedBefore: boolean;
  private autoCheckedRevision: number | undefined;
  private sampled: { revision: number; sample: SampleResult } | undefined;
  private current: { outline: string; duration: number };
  /** What the frames are checked against: the request, the earlier ones in force, and answers to questions. */
  private readonly goal: string;
  /** The thread's requests still in force, oldest first, this one last. */
  private readonly requestsInForce: string[];
  private lastText = '';
  private nudges = 0;
  /** The endpoint refuses tool definitions: tools are called in plain text. */
  private textTools: boolean;
  private truncationReported = false;
  /** Prompt tokens of the last agent call: as estimated here, and as the endpoint read them. */
  private lastPrompt: { sent: number; read: number } | undefined;

  constructor(private readonly options: RunEditOptions) {
    const { base, resume, request, llm } = options;
    this.budget = new AgentBudget(options.limits);
    this.logger = options.logger.child({ component: 'agent' });
    this.wallSignal = AbortSignal.timeout(options.limits.maxWallMs);
    this.signal = options.signal ? AbortSignal.any([options.signal, this.wallSignal]) : this.wallSignal;
    this.docs =
      options.docs ??
      DocsSearch.fromFile(undefined, {
        logger: this.logger,
        embedder: llm.embeddingModel ? (texts, { signal }) => llm.embed(texts, { signal }) : undefined,
      });
    this.inspectMedia = new InspectMediaTool({
      inspector: options.inspector ?? new MediaInspector({ logger: this.logger }),
      assets: options.assets,
      llm: options.llm,
      logger: this.logger,
    });
    this.textTools = capabilitiesOf(llm.endpoint, llm.model).tools === false;
    if (resume) {
      this.script = [...resume.script];
      this.current = { outline: resume.outline, duration: resume.duration };
      this.changedBefore = resume.changed;
      this.goal = `${resume.goal}\nThe user then said: ${request.prompt}`;
      this.requestsInForce = [...resume.requests];
      if (resume.approved) this.approve();
    } else {
      this.script = [...(base?.script ?? [])];
      this.current = { outline: base?.outline ?? '', duration: base?.durationSeconds ?? 0 };
      this.changedBefore = false;
      const earlier = base?.requests ?? (base ? [base.prompt] : []);
      this.goal = requestWithEarlier(request.prompt, earlier);
      this.requestsInForce = [...earlier, request.prompt];
      // The base version passed its own visual check when it was made.
      if (base?.render) this.approve();
    }
  }

  async run(): Promise<EditOutcome> {
    await mkdir(this.options.outDir, { recursive: true });
    try {
      await this.prepare();
      return await this.loop();
    } catch (error) {
      if (this.options.signal?.aborted)
        throw new CancelledError('agent: request cancelled', { cause: error });
      if (this.wallSignal.aborted && isAbortError(error)) return this.finishAtLimit(this.wallLimit());
      throw error;
    }
  }

  /** Sizes the context, says what the endpoint is known to refuse, and writes the first messages. */
  private async prepare(): Promise<void> {
    const { llm, base, resume, request, assets, limits } = this.options;
    const contextTokens =
      limits.contextTokens ??
      (await llm.contextWindow(llm.model, { signal: this.signal })).tokens ??
      DEFAULT_CONTEXT_TOKENS;
    this.context = new ContextWindow({
      contextTokens,
      fixedTokens: () => (this.textTools ? 0 : toolDefinitionTokens()),
      current: () => this.current,
    });
    const vision = capabilitiesOf(llm.endpoint, llm.visionModel);
    if (vision.images === 'none' || vision.images === 'one') {
      this.logger.warn(
        { model: llm.visionModel, images: vision.images, reason: vision.imagesReason },
        vision.images === 'none'
          ? 'the vision model takes no images: frames are checked from measurements and the outline'
          : 'the vision model takes one image: frames go as one contact sheet',
      );
    }
    // Versions made before outlines were stored: replaying is the only way to say what the composition holds.
    if (!resume && base && base.script.length > 0 && base.outline === undefined) await this.page();
    this.messages.push({ role: 'system', content: this.systemPrompt() });
    if (resume) {
      this.messages.push(...resume.messages, { role: 'user', content: request.prompt });
      return;
    }
    this.messages.push({
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
    });
  }

  private systemPrompt(): string {
    return this.textTools
      ? `${AGENT_SYSTEM_PROMPT}\n\n${textToolProtocol(AGENT_TOOLS)}`
      : AGENT_SYSTEM_PROMPT;
  }

  private async loop(): Promise<EditOutcome> {
    for (;;) {
      const hit = this.budget.exceeded();
      if (hit) return this.finishAtLimit(hit);
      const { message, finishReason } = await this.askModel();
      const calls = (message.tool_calls ?? [])
        .filter((c): c is ChatCompletionMessageFunctionToolCall => c.type === 'function')
        // Some servers send calls without ids; a tool result must name its call.
        .map((c, i) => (c.id ? c : { ...c, id: `call_${this.budget.llmCalls}_${i}` }));
      const text = message.content?.trim() ?? '';
      if (text) this.lastText = text;
      this.messages.push({
        role: 'assistant',
        content: message.content ?? null,
        ...(calls.length > 0 ? { tool_calls: calls } : {}),
      });

      if (calls.length === 0) {
        const outcome = await this.onText(text, finishReason);
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
        const parsed = parseToolCall(call.function.name, call.function.arguments);
        const { text: result, outcome } = await this.execute(parsed, finishReason);
        this.answerTool(call.id, result);
        if (outcome) return outcome;
      }
    }
  }

  /** One agent call within the context budget; an endpoint that refuses tools is asked again with tools in text. */
  private async askModel(): Promise<ChatResult> {
    const { llm } = this.options;
    const tools = this.textTools ? undefined : AGENT_TOOLS;
    this.context.fit(this.messages);
    const sent = this.context.measure(this.messages);
    let result: ChatResult;
    try {
      result = await llm.chat({ messages: this.messages, tools }, { signal: this.signal });
    } catch (error) {
      const refusal = tools ? toolsRefusal(error) : undefined;
      if (!refusal) throw error;
      this.budget.recordLlmCall({ promptTokens: 0, completionTokens: 0 });
      const capabilities = capabilitiesOf(llm.endpoint, llm.model);
      capabilities.tools = false;
      capabilities.toolsReason = refusal;
      this.logger.warn(
        { model: llm.model, reason: refusal },
        'the endpoint refuses tool definitions: the agent calls its tools in plain text',
      );
      this.textTools = true;
      this.messages[0] = { role: 'system', content: this.systemPrompt() };
      return this.askModel();
    }
    this.budget.recordLlmCall(result.usage);
    this.noticeTruncation(sent, result.usage);
    return result;
  }

  /**
   * A server that silently cuts the prompt (Ollama beyond its `num_ctx`) reads the same number of tokens call after
   * call while more is sent: then say so once, and keep later requests within what it reads. A single low count is
   * not enough: tokenizers differ (numbers above all), and some servers count only the prompt they had not cached.
   */
  private noticeTruncation(sentTokens: number, usage: LlmUsage): void {
    const previous = this.lastPrompt;
    this.lastPrompt = { sent: sentTokens, read: usage.promptTokens };
    if (!previous || usage.promptTokens <= 0 || sentTokens < 2000 || sentTokens <= 1.5 * usage.promptTokens)
      return;
    const capped =
      Math.abs(usage.promptTokens - previous.read) <= 0.02 * previous.read &&
      sentTokens > 1.1 * previous.sent;
    if (!capped) return;
    this.context.narrow(usage.promptTokens);
    if (this.truncationReported) return;
    this.truncationReported = true;
    this.logger.warn(
      { model: this.options.llm.model, sentTokens, promptTokens: usage.promptTokens },
      'the endpoint reads the same number of prompt tokens however many are sent: it is cutting the prompt (Ollama: raise num_ctx or OLLAMA_CONTEXT_LENGTH); later requests are kept within what it reads. Set CUTROOM_CONTEXT_TOKENS to the real window',
    );
  }

  /** Runs one validated (or rejected) tool call; returns the result for the model and, when the run is done, the outcome. */
  private async execute(
    parsed: ReadToolCall,
    finishReason: string,
  ): Promise<{ text: string; outcome?: EditOutcome }> {
    if (!parsed.ok) {
      this.logger.debug({ tool: parsed.name, error: parsed.error }, 'malformed tool call');
      const cut =
        finishReason === 'length'
          ? ' Your reply was cut off at the token limit: send shorter code, over several steps.'
          : '';
      return { text: `error: ${parsed.error}${cut}` };
    }
    const done = await this.runTool(parsed, this.budget.steps);
    if (!parsed.repair) return done;
    const note = `note: your arguments were not valid JSON (${parsed.repair}); I read them that way. Send a valid JSON object next time.`;
    return { ...done, text: `${note}\n${done.text}` };
  }

  private async runTool(
    parsed: Extract<ReadToolCall, { ok: true }>,
    step: number,
  ): Promise<{ text: string; outcome?: EditOutcome }> {
    switch (parsed.name) {
      case 'search_docs': {
        this.progress({
          stage: 'searching_docs',
          step,
          text: `Looking up "${parsed.args.query}" in the docs…`,
        });
        const hits = await this.docs.search(parsed.args.query, { signal: this.signal });
        return { text: formatDocHits(hits) };
      }
      case 'run_code':
        return { text: await this.runCode(parsed.args.code, step) };
      case 'visual_feedback':
        return { text: await this.visualFeedback(step, parsed.args.goal) };
      case 'inspect_media': {
        const what = parsed.args.question ? 'Looking at' : 'Inspecting';
        this.progress({ stage: 'editing', step, text: `${what} clip ${parsed.args.asset + 1}…` });
        const result = await this.inspectMedia.run(parsed.args, {
          session: this.session,
          signal: this.signal,
        });
        if (result.usage) this.budget.recordLlmCall(result.usage);
        return { text: result.text };
      }
      case 'render': {
        if (!this.isApproved()) {
          return {
            text: 'render refused: the current state has no approving visual check. Call visual_feedback first (and fix what it reports).',
          };
        }
        const outcome = await this.render();
        return { text: `rendered ${outcome.durationSeconds ?? 0} s`, outcome };
      }
    }
  }

  private async runCode(code: string, step: number): Promise<string> {
    const page = await this.page();
    this.progress({ stage: 'editing', step, text: `Step ${step}: running code…` });
    const result = await page.runCode(code, this.codeOptions());
    this.noteResult(result);
    if (result.ok) {
      this.script.push(code);
      this.revision += 1;
    }
    return formatCodeResult(result);
  }

  /**
   * The model answered without a tool call. Calls written as text are run; then an approved change is rendered, a
   * question or a plain answer ends the run, an unchecked change is checked once for it, or the run fails.
   */
  private async onText(text: string, finishReason: string): Promise<EditOutcome | undefined> {
    const written = readTextToolCalls(text);
    if (written.length > 0) return this.runWrittenCalls(written, finishReason);
    if (this.hasChanges() && this.isApproved()) return this.render(undefined, text);
    if (!text)
      return this.nudge('Your last message was empty. Continue with a tool call, or answer the user.');
    if (isQuestion(text))
      return { ...this.base(), status: 'question', summary: text, conversation: this.conversation() };
    if (!this.hasChanges()) {
      // A new request with clips almost always asks for an edit: a first answer that changed nothing gets one nudge.
      if (!this.options.base && !this.options.resume && this.budget.steps === 0 && this.nudges === 0) {
        return this.nudge(
          'Nothing has been changed yet. If the request asks for an edit, make it now with run_code; if it only asks something, give your answer again as your final reply.',
        );
      }
      return { ...this.base(), status: 'replied', summary: text };
    }
    const hasContent = this.current.duration > 0;
    if (hasContent && this.autoCheckedRevision !== this.revision && !this.budget.exceeded()) {
      this.autoCheckedRevision = this.revision;
      this.budget.recordStep();
      const check = await this.visualFeedback(this.budget.steps);
      if (this.isApproved()) return this.render(undefined, text);
      this.messages.push({
        role: 'user',
        content: `Before finishing I checked the frames for you. ${check}\nFix these issues with run_code, then call visual_feedback and render; or, if it cannot be done, explain why to the user.`,
      });
      return undefined;
    }
    return this.failed();
  }

  private nudge(text: string): EditOutcome | undefined {
    if (this.nudges >= MAX_NUDGES) return this.failed();
    this.nudges += 1;
    this.messages.push({ role: 'user', content: text });
    return undefined;
  }

  private failed(): EditOutcome {
    return {
      ...this.base(),
      status: 'failed',
      summary: this.lastText || 'I could not make this edit. Please try rephrasing the request.',
    };
  }

  /** Runs calls the model wrote as text, in order, and tells it what was run and how it went. */
  private async runWrittenCalls(
    calls: TextToolCall[],
    finishReason: string,
  ): Promise<EditOutcome | undefined> {
    const results: string[] = [];
    const tell = () => {
      const how = calls.every((c) => c.from === 'code_block')
        ? 'Your message had no tool call, so I ran its code as run_code'
        : 'Your message wrote tool calls as text, so I ran them';
      const next = this.textTools ? '' : '\nNext time call the tools through the tool-calling interface.';
      this.messages.push({ role: 'user', content: `${how}. Results:\n${results.join('\n\n')}${next}` });
    };
    for (const call of calls) {
      const hit = this.budget.exceeded();
      if (hit) {
        tell();
        return this.finishAtLimit(hit);
      }
      this.budget.recordStep();
      const { text, outcome } = await this.execute(parseToolCall(call.name, call.arguments), finishReason);
      results.push(`${call.name}: ${clip(text)}`);
      if (outcome) return outcome;
    }
    tell();
    return undefined;
  }

  private async visualFeedback(step: number, goal?: string): Promise<string> {
    if (this.script.length === 0 || this.current.duration <= 0) {
      return 'nothing to check: the composition is empty. Add clips with run_code first.';
    }
    const sample = await this.sample(step);
    this.progress({ stage: 'checking_frames', step, text: `Checking ${sample.frames.length} frames…` });
    const fullGoal = goal ? `${this.goal}\nSpecifically: ${goal}` : this.goal;
    let verdict: Verdict;
    try {
      const checked = await checkFrames(
        {
          llm: this.options.llm,
          frames: sample.frames,
          sheet: sample.sheet,
          goal: fullGoal,
          width: sample.width,
          height: sample.height,
          duration: this.current.duration,
          outline: this.current.outline,
        },
        { signal: this.signal },
      );
      for (let i = 1; i < checked.calls; i++)
        this.budget.recordLlmCall({ promptTokens: 0, completionTokens: 0 });
      this.budget.recordLlmCall(checked.usage);
      if (checked.learnt) {
        this.logger.warn({ model: this.options.llm.visionModel }, checked.learnt);
        this.progress({
          stage: 'checking_frames',
          step,
          text:
            checked.mode === 'text'
              ? 'The vision model takes no images: checking the frames from measurements instead…'
              : 'The vision model takes one image: checking one contact sheet instead…',
        });
      }
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
    if (verdict.verdict === 'approve') this.approve();
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
    if (this.sampled?.revision === this.revision) return this.sampled.sample;
    const page = await this.page();
    const maxFrames = this.options.maxFrames ?? 30;
    const duration = this.current.duration;
    const times =
      duration > maxFrames
        ? Array.from(
            { length: maxFrames },
            (_, i) => Math.round(((i + 0.5) * duration * 100) / maxFrames) / 100,
          )
        : undefined;
    const sample = await page.sample({ fps: 1, width: 512, times, signal: this.signal });
    const previewPath = path.join(this.options.outDir, `preview-${String(step).padStart(2, '0')}.jpg`);
    await writeFile(previewPath, sample.sheet);
    this.previewPaths.push(previewPath);
    this.sampled = { revision: this.revision, sample };
    return sample;
  }

  /** Renders the current state. The caption: the limit's words, the model's own final text, or a summary call. */
  private async render(limit?: LimitHit, finalText?: string): Promise<EditOutcome> {
    const page = await this.page();
    this.progress({ stage: 'rendering', percent: 0, text: 'Rendering…' });
    const outPath = path.join(this.options.outDir, 'render.mp4');
    let lastPercent = -1;
    const render = await page.render({
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
    const summary = limit
      ? `${limit.userMessage}, so this is the last version that passed the visual check (${seconds} s).`
      : finalText || (await this.summarise(render));
    return {
      ...this.base(),
      status: 'rendered',
      renderPath: render.path,
      render,
      durationSeconds: render.durationSeconds,
      summary,
      limit: limit?.limit,
    };
  }

  /** One short call describing the new version; a plain fallback when the budget is spent or the call fails. */
  private async summarise(render: RenderResult): Promise<string> {
    const fallback = `Here is your edit: ${Math.round(render.durationSeconds * 10) / 10} s, ${render.width}x${render.height}.`;
    if (this.budget.exceeded()) return fallback;
    try {
      const { text, usage } = await summariseEdit(
        { llm: this.options.llm, request: this.goal, outline: this.current.outline, render },
        { signal: this.options.signal, timeoutMs: SUMMARY_TIMEOUT_MS },
      );
      this.budget.recordLlmCall(usage);
      return text || fallback;
    } catch (error) {
      if (this.options.signal?.aborted) throw error;
      this.budget.recordLlmCall({ promptTokens: 0, completionTokens: 0 });
      this.logger.warn({ err: error }, 'the summary call failed; the caption says only the length and size');
      return fallback;
    }
  }

  private async finishAtLimit(hit: LimitHit): Promise<EditOutcome> {
    this.logger.info({ limit: hit.limit, detail: hit.message, usage: this.usage() }, 'agent limit reached');
    if (this.options.signal?.aborted) throw new CancelledError('agent: request cancelled');
    if (this.hasChanges() && this.isApproved()) return this.render(hit);
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
    const page = await this.page();
    const options = { timeoutMs: this.options.codeTimeoutMs, signal: this.options.signal };
    const reset = await page.runCode(DEFAULT_COMPOSITION, options);
    if (!reset.ok) throw new CutroomError(ErrorCode.Internal, `agent: reset failed: ${reset.error?.message}`);
    for (const code of script) {
      const result = await page.runCode(code, options);
      if (!result.ok)
        throw new CutroomError(ErrorCode.Internal, `agent: restore failed: ${result.error?.message}`);
      this.noteResult(result);
    }
    this.script = [...script];
    this.revision += 1;
    this.approve();
  }

  /** The browser session, opened on first need: the clips loaded and the starting script replayed. */
  private page(): Promise<EditSession> {
    this.opening ??= this.openPage();
    return this.opening;
  }

  private async openPage(): Promise<EditSession> {
    const session = await this.options.openSession({ signal: this.signal });
    // With what inspect_media found so far, and what the script about to be replayed reads.
    const loadable = await this.inspectMedia.assetsFor(this.script, { signal: this.signal });
    await session.loadAssets(loadable, { signal: this.signal });
    if (this.script.length > 0) await this.replay(session);
    this.session = session;
    return session;
  }

  private async replay(session: EditSession): Promise<void> {
    const { base, resume } = this.options;
    const what = resume || !base ? 'the edit so far' : `version ${base.number}`;
    this.progress({ stage: 'replaying', text: `Rebuilding ${what}…` });
    for (const [index, code] of this.script.entries()) {
      const result = await session.runCode(code, this.codeOptions());
      if (!result.ok) {
        throw new CutroomError(
          ErrorCode.Internal,
          `agent: replaying ${what} failed at action ${index + 1}/${this.script.length}: ${result.error?.message}`,
          { userMessage: `I could not rebuild ${what} to continue from it. Try a new request from scratch.` },
        );
      }
      this.noteResult(result);
    }
  }

  private approve(): void {
    this.approvedRevision = this.revision;
    if (this.hasChanges()) this.approvedScript = [...this.script];
  }

  private isApproved(): boolean {
    return this.approvedRevision !== undefined && this.approvedRevision === this.revision;
  }

  /** Whether the composition differs from the version this request started from. */
  private hasChanges(): boolean {
    return this.revision > 0 || this.changedBefore;
  }

  private noteResult(result: CodeResult): void {
    this.current = { outline: result.outline, duration: result.duration };
  }

  private answerTool(id: string, content: string): void {
    this.messages.push({ role: 'tool', tool_call_id: id, content: clip(content) });
  }

  private conversation(): AgentConversation {
    return {
      version: 1,
      messages: this.messages.slice(1),
      script: [...this.script],
      approved: this.isApproved(),
      changed: this.hasChanges(),
      outline: this.current.outline,
      duration: this.current.duration,
      goal: this.goal,
      requests: [...this.requestsInForce],
    };
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
      outline: this.current.outline,
      requests: [...this.requestsInForce],
    };
  }
}

let toolTokens: number | undefined;
/** What the tool definitions cost in every request that carries them. */
function toolDefinitionTokens(): number {
  toolTokens ??= estimateTokens(JSON.stringify(AGENT_TOOLS));
  return toolTokens;
}

/** A reply that ends by asking the user something. */
function isQuestion(text: string): boolean {
  return /\?\s*$/.test(text.replace(/[*_`)\]"'”’\s]+$/u, ''));
}

function clip(text: string): string {
  return text.length > MAX_TOOL_TEXT ? `${text.slice(0, MAX_TOOL_TEXT)}\n[truncated]` : text;
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
