/**
 * @module Keeps the agent's chat within the model's context window: counts tokens, shortens the results of older
 * steps first, then leaves the oldest steps out; the instructions, the request and the current composition stay.
 */
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { CutroomError, ErrorCode } from '../errors.ts';

/** What a chat template adds around each message (role markers, separators). */
const MESSAGE_OVERHEAD_TOKENS = 6;
/**
 * o200k (GPT-4o's tokenizer) stands in for every model's; others count more for the same text (Llama 2's and
 * Mistral's about a quarter more on code), so counts are raised by this factor.
 */
const TOKENIZER_MARGIN = 1.15;
/** A rough cost of one image at the sizes the agent sends (512 px wide), between OpenAI's low detail and LLaVA's. */
export const IMAGE_TOKENS = 600;
/** Results of this many latest steps are never shortened while anything older can be. */
const RECENT_STEPS = 2;
const SHORT_RESULT_CHARS = 200;
const SHORT_CODE_CHARS = 160;
const NOTE_START = '[cutroom:';
const NO_SPECIAL_TOKENS = { disallowedSpecial: new Set<string>() };

/** Tokens of a text by o200k, raised by the margin for other tokenizers. */
export function estimateTokens(text: string): number {
  return Math.ceil(countTokens(text, NO_SPECIAL_TOKENS) * TOKENIZER_MARGIN);
}

const counted = new WeakMap<ChatCompletionMessageParam, number>();

/** Tokens one chat message takes, its tool calls included; cached per message object (messages are replaced, not edited). */
export function messageTokens(message: ChatCompletionMessageParam): number {
  const cached = counted.get(message);
  if (cached !== undefined) return cached;
  let tokens = MESSAGE_OVERHEAD_TOKENS;
  const content = message.content;
  if (typeof content === 'string') tokens += estimateTokens(content);
  else if (Array.isArray(content)) {
    for (const part of content) {
      if (part.type === 'text') tokens += estimateTokens(part.text);
      else if (part.type === 'image_url') tokens += IMAGE_TOKENS;
    }
  }
  if (message.role === 'assistant') {
    for (const call of message.tool_calls ?? []) {
      if (call.type === 'function')
        tokens += estimateTokens(call.function.name + call.function.arguments) + 4;
    }
  }
  counted.set(message, tokens);
  return tokens;
}

export interface ContextWindowOptions {
  /** The model's window in tokens, prompt and answer together. */
  contextTokens: number;
  /** Tokens the request spends outside the messages, such as the tool definitions. */
  fixedTokens: () => number;
  /** The current composition, stated in a note once older results are cut. */
  current: () => { outline: string; duration: number };
}

export interface FitResult {
  /** Estimated prompt tokens after fitting. */
  tokens: number;
  shortened: number;
  dropped: number;
}

/**
 * Fits a chat of the agent's shape (system prompt, the first user message, then steps each starting with an assistant
 * message) into a token budget, editing the array in place. What is cut stays cut on later calls.
 */
export class ContextWindow {
  private contextTokens: number;
  private firstUserText: string | undefined;
  private shortenedTotal = 0;
  private droppedTotal = 0;

  constructor(private readonly options: ContextWindowOptions) {
    this.contextTokens = options.contextTokens;
  }

  get tokens(): number {
    return this.contextTokens;
  }

  /** Narrows the window, e.g. when the endpoint turns out to read less than it was sent. */
  narrow(contextTokens: number): void {
    this.contextTokens = Math.min(this.contextTokens, contextTokens);
  }

  /** The prompt tokens a request with these messages would take. */
  measure(messages: ChatCompletionMessageParam[]): number {
    return messages.reduce((sum, m) => sum + messageTokens(m), this.options.fixedTokens());
  }

  /**
   * Shortens old results, then old tool-call arguments, then leaves out the oldest steps, until the prompt leaves a
   * quarter of the window (at most 4096 tokens) for the answer.
   * @throws CutroomError llm_context_too_small when the instructions, the request and the latest step alone do not fit
   */
  fit(messages: ChatCompletionMessageParam[]): FitResult {
    const budget = this.contextTokens - Math.min(4096, Math.floor(this.contextTokens / 4));
    // Once anything was cut, the note keeps stating the composition as it is now.
    if (this.shortenedTotal + this.droppedTotal > 0) this.refreshNote(messages);
    let tokens = this.measure(messages);
    if (tokens > budget) {
      this.shortenResults(messages, budget);
      tokens = this.measure(messages);
    }
    if (tokens > budget) {
      this.dropOldSteps(messages, budget);
      tokens = this.measure(messages);
    }
    if (tokens > budget) {
      throw new CutroomError(
        ErrorCode.LlmContextTooSmall,
        `agent: the model's context window (${this.contextTokens} tokens) cannot hold the instructions, the request and the latest step (about ${tokens} tokens with room for the answer); raise it (Ollama: OLLAMA_CONTEXT_LENGTH or num_ctx; vLLM: --max-model-len) and set CUTROOM_CONTEXT_TOKENS to match`,
        {
          userMessage:
            "The AI model's context window is too small for this edit; an operator needs to give it more context.",
        },
      );
    }
    return { tokens, shortened: this.shortenedTotal, dropped: this.droppedTotal };
  }

  private shortenResults(messages: ChatCompletionMessageParam[], budget: number): void {
    const starts = stepStarts(messages);
    const protectedFrom = starts.at(-Math.min(RECENT_STEPS, starts.length)) ?? messages.length;
    for (let i = 2; i < protectedFrom; i++) {
      const shorter = shorten(messages[i]);
      if (!shorter) continue;
      messages[i] = shorter;
      this.shortenedTotal += 1;
      this.refreshNote(messages);
      if (this.measure(messages) <= budget) return;
    }
  }

  private dropOldSteps(messages: ChatCompletionMessageParam[], budget: number): void {
    for (let starts = stepStarts(messages); starts.length > 1; starts = stepStarts(messages)) {
      messages.splice(starts[0], starts[1] - starts[0]);
      this.droppedTotal += 1;
      this.refreshNote(messages);
      if (this.measure(messages) <= budget) return;
    }
    // Only the latest step is left: as a last resort its own results are shortened too.
    for (let i = 2; i < messages.length; i++) {
      const shorter = shorten(messages[i]);
      if (!shorter) continue;
      messages[i] = shorter;
      this.shortenedTotal += 1;
    }
    this.refreshNote(messages);
  }

  /** States what was cut and the current composition in the first user message, which is never cut. */
  private refreshNote(messages: ChatCompletionMessageParam[]): void {
    const first = messages[1];
    if (first?.role !== 'user' || typeof first.content !== 'string') return;
    // A resumed chat may carry the note of the run before.
    this.firstUserText ??= first.content.split(`\n\n${NOTE_START}`, 1)[0];
    const { outline, duration } = this.options.current();
    const dropped = this.droppedTotal > 0 ? ` and ${this.droppedTotal} earlier step(s) left out` : '';
    const note = [
      `${NOTE_START} to fit the model's context window, results of older steps were shortened${dropped}. The composition now (${Math.round(duration * 100) / 100} s):`,
      `${outline.trim() || '(empty)'}]`,
    ].join('\n');
    messages[1] = { role: 'user', content: `${this.firstUserText}\n\n${note}` };
  }
}

/** Indexes of the assistant messages after the first user message: each starts one step. */
function stepStarts(messages: ChatCompletionMessageParam[]): number[] {
  const starts: number[] = [];
  for (let i = 2; i < messages.length; i++) if (messages[i].role === 'assistant') starts.push(i);
  return starts;
}

/** A shorter copy of an old message, or undefined when it is short already. */
function shorten(message: ChatCompletionMessageParam): ChatCompletionMessageParam | undefined {
  if (message.role === 'tool' || message.role === 'user') {
    if (typeof message.content !== 'string' || message.content.length <= SHORT_RESULT_CHARS + 40)
      return undefined;
    const head = message.content.split('\n', 1)[0].slice(0, SHORT_RESULT_CHARS);
    return { ...message, content: `${head} … [older result shortened]` };
  }
  if (message.role !== 'assistant') return undefined;
  let changed = false;
  const content =
    typeof message.content === 'string' && message.content.length > SHORT_RESULT_CHARS + 40
      ? `${message.content.slice(0, SHORT_RESULT_CHARS)} … [shortened]`
      : message.content;
  if (content !== message.content) changed = true;
  const toolCalls = message.tool_calls?.map((call) => {
    if (call.type !== 'function' || call.function.arguments.length <= SHORT_CODE_CHARS + 40) return call;
    changed = true;
    return { ...call, function: { ...call.function, arguments: shortenArguments(call.function.arguments) } };
  });
  if (!changed) return undefined;
  return { ...message, content, ...(toolCalls ? { tool_calls: toolCalls } : {}) };
}

/** Keeps arguments valid JSON: each long string field cut, or an empty object when they were not JSON. */
function shortenArguments(raw: string): string {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    return '{}';
  }
  if (typeof data !== 'object' || data === null) return '{}';
  const short = Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      typeof value === 'string' && value.length > SHORT_CODE_CHARS
        ? `${value.slice(0, SHORT_CODE_CHARS)} … [shortened: this action is part of the current script]`
        : value,
    ]),
  );
  return JSON.stringify(short);
}
