/** @module The agent's connection to an OpenAI-compatible endpoint: chat with tools, embeddings, and error mapping. */
import OpenAI from 'openai';
import type {
  ChatCompletionMessage,
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import type { Config } from '../config.ts';
import { CancelledError, CutroomError, ErrorCode } from '../errors.ts';
import type { Logger } from '../logger.ts';

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

// Local servers (Ollama, LM Studio, vLLM) accept any key, but the openai client refuses to start without one.
const NO_KEY_PLACEHOLDER = 'not-needed';

// The openai client validates `timeout` whenever the key is present, so an undefined value must be left out.
function requestOptions(options: LlmCallOptions): { signal?: AbortSignal; timeout?: number } {
  return {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  };
}

export class LlmClient {
  readonly model: string;
  readonly visionModel: string;
  readonly embeddingModel?: string;
  private readonly client: OpenAI;
  private readonly logger?: Logger;
  private readonly baseURL: string;

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
    this.baseURL = options.baseURL ?? 'https://api.openai.com/v1';
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
    try {
      const completion = await this.client.chat.completions.create(
        {
          model,
          messages: params.messages,
          ...(params.tools?.length ? { tools: params.tools, tool_choice: 'auto' as const } : {}),
          ...(params.temperature !== undefined ? { temperature: params.temperature } : {}),
          ...(params.maxTokens !== undefined ? { max_tokens: params.maxTokens } : {}),
        },
        requestOptions(options),
      );
      const choice = completion.choices?.[0];
      if (!choice?.message) {
        throw new CutroomError(ErrorCode.LlmBadResponse, `llm: ${model} returned no choices`, {
          userMessage: 'The AI service sent an empty answer. Please try again.',
          retryable: true,
        });
      }
      return {
        message: choice.message,
        finishReason: choice.finish_reason ?? 'stop',
        usage: {
          promptTokens: completion.usage?.prompt_tokens ?? 0,
          completionTokens: completion.usage?.completion_tokens ?? 0,
        },
      };
    } catch (error) {
      throw this.mapError(error, model);
    }
  }

  /** Embeds texts with the embedding model. @throws CutroomError as {@link chat}, or config_invalid without a model */
  async embed(texts: string[], options: LlmCallOptions = {}): Promise<number[][]> {
    const model = this.embeddingModel;
    if (!model) {
      throw new CutroomError(ErrorCode.ConfigInvalid, 'llm: CUTROOM_EMBEDDING_MODEL is not set');
    }
    try {
      const response = await this.client.embeddings.create({ model, input: texts }, requestOptions(options));
      return [...response.data].sort((a, b) => a.index - b.index).map((d) => d.embedding);
    } catch (error) {
      throw this.mapError(error, model);
    }
  }

  private mapError(error: unknown, model: string): CutroomError {
    if (error instanceof CutroomError) return error;
    const endpoint = this.baseURL;
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
