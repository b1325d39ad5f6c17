/** @module Error types shared by every part of cutroom: a code, a developer message and a user message. */

/**
 * Every failure a user can meet has a code. The code decides the reply in the thread
 * (`userMessage`) and whether retrying the job can help (`retryable`).
 */
export const ErrorCode = {
  ConfigInvalid: 'config_invalid',
  AssetMissing: 'asset_missing',
  AssetEmpty: 'asset_empty',
  AssetTooLarge: 'asset_too_large',
  AssetTooLong: 'asset_too_long',
  AssetUnsupported: 'asset_unsupported',
  AssetCorrupt: 'asset_corrupt',
  AssetProtected: 'asset_protected',
  NoAssets: 'no_assets',
  CodeSyntax: 'code_syntax',
  CodeRuntime: 'code_runtime',
  CodeTimeout: 'code_timeout',
  CompositionEmpty: 'composition_empty',
  RenderFailed: 'render_failed',
  RenderTimeout: 'render_timeout',
  Cancelled: 'cancelled',
  BrowserUnavailable: 'browser_unavailable',
  BrowserClosed: 'browser_closed',
  BrowserLaunchFailed: 'browser_launch_failed',
  BrowserVersionMismatch: 'browser_version_mismatch',
  SamplingFailed: 'sampling_failed',
  FfmpegFailed: 'ffmpeg_failed',
  ToolMissing: 'tool_missing',
  LlmUnavailable: 'llm_unavailable',
  LlmAuth: 'llm_auth',
  LlmModelNotFound: 'llm_model_not_found',
  LlmBadResponse: 'llm_bad_response',
  LlmContextTooSmall: 'llm_context_too_small',
  AgentLimit: 'agent_limit',
  NothingToUndo: 'nothing_to_undo',
  NoVersion: 'no_version',
  RateLimited: 'rate_limited',
  NotAllowed: 'not_allowed',
  DownloadFailed: 'download_failed',
  MissingScope: 'missing_scope',
  UploadTooLarge: 'upload_too_large',
  RedisUnavailable: 'redis_unavailable',
  Timeout: 'timeout',
  Internal: 'internal',
  JobDeadline: 'job_deadline',
  TranscriptionFailed: 'transcription_failed',
  JobCrashed: 'job_crashed',
  DeliveryFailed: 'delivery_failed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface CutroomErrorOptions {
  /** Plain words for the chat thread: no stack, path or token. */
  userMessage?: string;
  /** Whether retrying the same job can succeed. @defaultValue false */
  retryable?: boolean;
  cause?: unknown;
}

const DEFAULT_USER_MESSAGE = 'Something went wrong on our side. Please try again.';

export class CutroomError extends Error {
  readonly code: ErrorCode;
  readonly userMessage: string;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: CutroomErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = 'CutroomError';
    this.code = code;
    this.userMessage = options.userMessage ?? DEFAULT_USER_MESSAGE;
    this.retryable = options.retryable ?? false;
  }

  /** The shape that crosses process boundaries (job results, deliveries). */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      userMessage: this.userMessage,
      retryable: this.retryable,
    };
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  userMessage: string;
  retryable: boolean;
}

/** Raised when a wait on the browser ends because the page or browser went away. */
export class BrowserClosedError extends CutroomError {
  constructor(message: string, options: CutroomErrorOptions = {}) {
    super(ErrorCode.BrowserClosed, message, {
      userMessage: 'The editing browser stopped unexpectedly. Please try again.',
      retryable: true,
      ...options,
    });
    this.name = 'BrowserClosedError';
  }
}

export class TimeoutError extends CutroomError {
  constructor(message: string, options: CutroomErrorOptions = {}) {
    super(ErrorCode.Timeout, message, { userMessage: 'That took too long and was stopped.', ...options });
    this.name = 'TimeoutError';
  }
}

export class CancelledError extends CutroomError {
  constructor(message = 'cancelled', options: CutroomErrorOptions = {}) {
    super(ErrorCode.Cancelled, message, { userMessage: 'Cancelled.', ...options });
    this.name = 'CancelledError';
  }
}

export function isCutroomError(error: unknown): error is CutroomError {
  return error instanceof CutroomError;
}

/** Wraps anything thrown at a boundary, keeping the original as `cause`. */
export function toCutroomError(error: unknown, fallback: ErrorCode = ErrorCode.Internal): CutroomError {
  if (error instanceof CutroomError) return error;
  if (isAbortError(error)) return new CancelledError('operation aborted', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new CutroomError(fallback, message, { cause: error });
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'CancelledError');
}

/** Rebuilds an error that crossed a process boundary as JSON. */
export function fromSerializedError(data: SerializedError): CutroomError {
  return new CutroomError(data.code, data.message, {
    userMessage: data.userMessage,
    retryable: data.retryable,
  });
}
