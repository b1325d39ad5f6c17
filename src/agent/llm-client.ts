/** @module The agent's connection to an OpenAI-compatible endpoint: chat with tools, embeddings, and error mapping. */
import OpenAI from 'openai';
import type {
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Config } from '../config.ts';
import { CancelledError, CutroomError, ErrorCode } from '../errors.ts';
import { metrics } from '../http/metrics.ts';
import type { Logger } from '../logger.ts';
import { capabilitiesOf } from './endpoint-capabilities.ts';

export interface LlmClientOptions {
  apiKey?: string;
  /** The endpoint including `/v1`. @defaultValue OpenAI's */
  baseURL?: string;
  model: string;
  visionModel: string;
  embeddingModel?: string;
  /** Retries on 408/409/429/5xx/timeouts/connection errors, with the client's exponential backoff. @defaultValue 3 */
  maxRetries?: number;
  /** Per-request timeout. @defaultValue 120000 */
  timeoutMs?: number;
  logger?: Logger;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
}

export interface ChatResult {
  message: ChatCompletionMessage;
  finishReason: string;
  usage: LlmUsage;
}

export interface ChatParams {
  messages: ChatCompletionMessageParam[];
  /** @defaultValue the agent model */
  model?: string;
  tools?: ChatCompletionTool[];
  temperature?: number;
  maxTokens?: number;
}

export interface LlmCallOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ContextWindow {
  /** Tokens the model takes in one request, prompt and answer together; `null` when the endpoint does not say. */
  tokens: number | null;
  /** Where the figure came from (or why there is none), for logs and `doctor`. */
  source: string;
}

/** Fields OpenAI-compatible servers put on a `/v1/models` entry for the context window (vLLM, LM Studio, others). */
const CONTEXT_FIELDS = ['max_model_len', 'context_length', 'context_window', 'max_context_length'] as const;
/** Ollama's smallest default context (machines with under 24 GiB of VRAM) when nothing sets `num_ctx`. */
const OLLAMA_DEFAULT_CONTEXT = 4096;
const CONTEXT_QUERY_TIMEOUT_MS = 5000;

// Local servers (Ollama, LM Studio, vLLM) accept any key, but the openai client refuses to start without one.
const NO_KEY_PLACEHOLDER = 'not-needed';

/**
 * The openai client's per-request options. It adds an abort listener to the signal it gets and never removes it, so
 * each call gets a child signal whose link to the caller's is removed by `release`: a run of many calls on one job
 * signal would otherwise pile listeners up. An undefined timeout is left out (the client validates it when set).
 */
function scopedRequest(options: LlmCallOptions): {
  request: { signal?: AbortSignal; timeout?: number };
  release: () => void;
} {
  const timeout = options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {};
  const parent = options.signal;
  if (!parent) return { request: timeout, release: () => {} };
  const controller = new AbortController();
  const abort = () => controller.abort(parent.reason);
  if (parent.aborted) abort();
  else parent.addEventListener('abort', abort, { once: true });
  return {
    request: { ...timeout, signal: controller.signal },
    release: () => parent.removeEventListener('abort', abort),
  };
}

export class LlmClient {
  readonly model: string;
  readonly visionModel: string;
  readonly embeddingModel?: string;
  /** The base URL requests go to (including `/v1`): with a model name, the key of what is learnt about it. */
  readonly endpoint: string;
  private readonly client: OpenAI;
  private readonly logger?: Logger;
  private readonly apiKey?: string;

  constructor(options: LlmClientOptions) {
    if (!options.apiKey && !options.baseURL) {
      throw new CutroomError(
        ErrorCode.LlmAuth,
        'llm: OPENAI_API_KEY is not set (set it, or set OPENAI_BASE_URL to a local OpenAI-compatible server)',
        { userMessage: 'The AI service is not configured; an operator needs to set its API key.' },
      );
    }
    this.model = options.model;
    this.visionModel = options.visionModel;
    this.embeddingModel = options.embeddingModel;
    this.logger = options.logger;
    this.apiKey = options.apiKey;
    this.endpoint = options.baseURL ?? 'https://api.openai.com/v1';
    this.client = new OpenAI({
      apiKey: options.apiKey ?? NO_KEY_PLACEHOLDER,
      baseURL: options.baseURL,
      maxRetries: options.maxRetries ?? 3,
      timeout: options.timeoutMs ?? 120_000,
    });
  }

  static fromConfig(
    openai: Config['openai'],
    options: Pick<LlmClientOptions, 'maxRetries' | 'timeoutMs' | 'logger'> = {},
  ): LlmClient {
    return new LlmClient({ ...openai, ...options });
  }

  /** One chat completion (never streamed). @throws CutroomError llm_auth, llm_model_not_found, llm_unavailable, llm_bad_response, cancelled */
  async chat(params: ChatParams, options: LlmCallOptions = {}): Promise<ChatResult> {
    const model = params.model ?? this.model;
    const scope = scopedRequest(options);
    try {
      const completion = await this.client.chat.completions.create(
        {
          model,
          messages: params.messages,
          ...(params.tools?.length ? { tools: params.tools, tool_choice: 'auto' as const } : {}),
          ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
          ...(params.maxTokens !== undefined ? { max_tokens: params.maxTokens } : {}),
        },
        scope.request,
      );
      const choice = completion.choices?.[0];
      const usage = {
        promptTokens: completion.usage?.prompt_tokens ?? 0,
        completionTokens: completion.usage?.completion_tokens ?? 0,
      };
      metrics.llmTokens.inc({ model, kind: 'prompt' }, usage.promptTokens);
      metrics.llmTokens.inc({ model, kind: 'completion' }, usage.completionTokens);
      if (!choice?.message) {
        throw new CutroomError(ErrorCode.LlmBadResponse, `llm: ${model} returned no choices`, {
          userMessage: 'The AI service sent an empty answer. Please try again.',
          retryable: true,
        });
      }
      metrics.llmRequests.inc({ model, outcome: 'ok' });
      return { message: choice.message, finishReason: choice.finish_reason ?? 'stop', usage };
    } catch (error) {
      const mapped = this.mapError(error, model);
      metrics.llmRequests.inc({ model, outcome: mapped.code });
      throw mapped;
    } finally {
      scope.release();
    }
  }

  /**
   * The model's context window as the endpoint reports it: a context field on its `/v1/models` entry (vLLM's
   * `max_model_len`), else Ollama's `num_ctx` (`/api/show`, then the loaded model in `/api/ps`, else Ollama's smallest
   * default). Asked once per process and model; never throws.
   */
  async contextWindow(model: string = this.model, options: LlmCallOptions = {}): Promise<ContextWindow> {
    const capabilities = capabilitiesOf(this.endpoint, model);
    if (capabilities.contextTokens !== undefined) {
      return { tokens: capabilities.contextTokens, source: capabilities.contextSource ?? 'not reported' };
    }
    let found: ContextWindow;
    try {
      found = (await this.modelsEntryContext(model, options)) ??
        (await this.ollamaContext(model, options)) ?? {
          tokens: null,
          source: 'not reported by the endpoint',
        };
    } catch (error) {
      if (options.signal?.aborted) throw this.mapError(error, model);
      this.logger?.debug({ err: error, model }, 'context window query failed');
      // Not remembered: the next run asks again.
      return { tokens: null, source: `the endpoint did not answer (${(error as Error).message})` };
    }
    capabilities.contextTokens = found.tokens;
    capabilities.contextSource = found.source;
    return found;
  }

  private async modelsEntryContext(
    model: string,
    options: LlmCallOptions,
  ): Promise<ContextWindow | undefined> {
    const scope = scopedRequest({ timeoutMs: CONTEXT_QUERY_TIMEOUT_MS, ...options });
    try {
      for await (const entry of this.client.models.list(scope.request)) {
        if (entry.id !== model) continue;
        const fields = entry as unknown as Record<string, unknown>;
        for (const field of CONTEXT_FIELDS) {
          const value = fields[field];
          if (typeof value === 'number' && value > 0) return { tokens: value, source: `/v1/models ${field}` };
        }
        return undefined;
      }
      return undefined;
    } finally {
      scope.release();
    }
  }

  private async ollamaContext(model: string, options: LlmCallOptions): Promise<ContextWindow | undefined> {
    const show = await this.ollamaApi<{ parameters?: string }>('show', { model }, options);
    if (!show) return undefined;
    const numCtx = /(?:^|\n)\s*num_ctx\s+(\d+)/.exec(show.parameters ?? '')?.[1];
    if (numCtx) return { tokens: Number(numCtx), source: 'Ollama num_ctx (model parameters)' };
    const running = await this.ollamaApi<{
      models?: { name?: string; model?: string; context_length?: number }[];
    }>('ps', undefined, options);
    const loaded = running?.models?.find((m) => m.name === model || m.model === model);
    if (loaded?.context_length)
      return { tokens: loaded.context_length, source: 'Ollama /api/ps (loaded model)' };
    return {
      tokens: OLLAMA_DEFAULT_CONTEXT,
      source: `Ollama without num_ctx: assumed its smallest default (${OLLAMA_DEFAULT_CONTEXT}); set OLLAMA_CONTEXT_LENGTH on the server and CUTROOM_CONTEXT_TOKENS here`,
    };
  }

  /** Ollama's own API beside its OpenAI-compatible one; undefined when the endpoint is not Ollama. */
  private async ollamaApi<T>(
    name: 'show' | 'ps',
    body: object | undefined,
    options: LlmCallOptions,
  ): Promise<T | undefined> {
    const root = this.endpoint.replace(/\/v1\/?$/, '');
    const signal = AbortSignal.any([
      AbortSignal.timeout(CONTEXT_QUERY_TIMEOUT_MS),
      ...(options.signal ? [options.signal] : []),
    ]);
    const response = await fetch(`${root}/api/${name}`, {
      method: body ? 'POST' : 'GET',
      headers: {
        'content-type': 'application/json',
        ...(this.apiKey ? { authorization: `Bearer ${this.apiKey}` } : {}),
      },
      body: body ? JSON.stringify(body) : undefined,
      signal,
    });
    if (!response.ok || !response.headers.get('content-type')?.includes('json')) return undefined;
    return (await response.json()) as T;
  }

  /** Embeds texts with the embedding model. @throws CutroomError as {@link chat}, or config_invalid without a model */
  async embed(texts: string[], options: LlmCallOptions = {}): Promise<number[][]> {
    const model = this.embeddingModel;
    if (!model) {
      throw new CutroomError(ErrorCode.ConfigInvalid, 'llm: CUTROOM_EMBEDDING_MODEL is not set');
    }
    const scope = scopedRequest(options);
    try {
      const response = await this.client.embeddings.create({ model, input: texts }, scope.request);
      return [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    } catch (error) {
      throw this.mapError(error, model);
    } finally {
      scope.release();
    }
  }

  private mapError(error: unknown, model: string): CutroomError {
    if (error instanceof CutroomError) return error;
    const endpoint = this.endpoint;
    if (
      error instanceof OpenAI.APIUserAbortError ||
      (error instanceof Error && error.name === 'AbortError')
    ) {
      return new CancelledError(`llm: request to ${endpoint} aborted`, { cause: error });
    }
    if (error instanceof OpenAI.AuthenticationError || error instanceof OpenAI.PermissionDeniedError) {
      return new CutroomError(
        ErrorCode.LlmAuth,
        `llm: ${endpoint} rejected the credentials (HTTP ${error.status}): check OPENAI_API_KEY`,
        {
          userMessage: 'The AI service rejected our credentials; an operator needs to fix the API key.',
          cause: error,
        },
      );
    }
    if (error instanceof OpenAI.NotFoundError) {
      return new CutroomError(
        ErrorCode.LlmModelNotFound,
        `llm: model "${model}" not found at ${endpoint} (HTTP 404: ${error.message}); check CUTROOM_MODEL, CUTROOM_VISION_MODEL and OPENAI_BASE_URL`,
        {
          userMessage: `The AI model "${model}" is not available; an operator needs to check the model setting.`,
          cause: error,
        },
      );
    }
    if (
      error instanceof OpenAI.APIConnectionError ||
      error instanceof OpenAI.RateLimitError ||
      error instanceof OpenAI.InternalServerError ||
      (error instanceof OpenAI.APIError && (error.status === 408 || error.status === 409))
    ) {
      const what =
        error instanceof OpenAI.APIConnectionTimeoutError
          ? 'timed out'
          : error instanceof OpenAI.APIConnectionError
            ? `could not be reached (${error.message})`
            : `kept failing (HTTP ${error.status}: ${error.message})`;
      this.logger?.warn(
        { endpoint, model, status: (error as { status?: number }).status },
        'llm unavailable',
      );
      return new CutroomError(ErrorCode.LlmUnavailable, `llm: ${endpoint} ${what} after retries`, {
        userMessage:
          'The AI service is unavailable or overloaded right now. Please try again in a few minutes.',
        retryable: true,
        cause: error,
      });
    }
    const message = error instanceof Error ? error.message : String(error);
    return new CutroomError(
      ErrorCode.LlmBadResponse,
      `llm: ${endpoint} request for "${model}" failed: ${message}`,
      {
        userMessage: 'The AI service could not handle this request. Please try again or rephrase it.',
        cause: error,
      },
    );
  }
}
