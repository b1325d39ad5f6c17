/**
 * @module What a model behind an endpoint can take (tool calls, several images, any image) and its context window,
 * learnt once per process from what the endpoint says, and the readers of an endpoint's refusals.
 */
import OpenAI from 'openai';

/** How many images one request may carry: any number, one (a contact sheet), or none (a text-only model). */
export type ImageSupport = 'many' | 'one' | 'none';

export interface ModelCapabilities {
  /** Unset until a request with images told. */
  images?: ImageSupport;
  /** The endpoint's own words when it limited images. */
  imagesReason?: string;
  /** `false` once the endpoint refused a request with tools. */
  tools?: boolean;
  toolsReason?: string;
  /** The context window in tokens; `null` when the endpoint does not say. Unset until asked. */
  contextTokens?: number | null;
  /** Where `contextTokens` came from, for logs and `doctor`. */
  contextSource?: string;
}

const known = new Map<string, ModelCapabilities>();

/** The process-wide record for one model at one endpoint; callers fill it in as they learn. */
export function capabilitiesOf(endpoint: string, model: string): ModelCapabilities {
  const key = `${endpoint}\n${model}`;
  let capabilities = known.get(key);
  if (!capabilities) {
    capabilities = {};
    known.set(key, capabilities);
  }
  return capabilities;
}

export interface ImageRefusal {
  /** 0 when the model takes no image at all. */
  maxImages: number;
  reason: string;
}

const IMAGE_COUNT_PATTERNS = [
  // vLLM: "At most 1 image(s) may be provided in one request."
  /at most (\d+) image/i,
  // vLLM behind some servers: "You set image=2 (or defaulted to 1) in `--limit-mm-per-prompt`"
  /set image=(\d+)/i,
  /up to (\d+) images?/i,
  /only supports? (\d+|one) images?/i,
];
const NO_IMAGE_PATTERNS = [
  // Ollama: "this model does not support image input"; LM Studio: "Model does not support images"
  /(does not|doesn't|do not|not) support(s)? (image|vision|multi-?modal)/i,
  // OpenAI: "Invalid content type. image_url is only supported by certain models."
  /image(_url| input| inputs)? (is|are) (only supported|not supported)/i,
  // vLLM: "… is not a multimodal model"
  /not a multi-?modal model/i,
  /(image|vision) (input )?(is )?not enabled/i,
  /missing data required for image input/i,
];

/** Reads a refusal to take images (or this many images) from an endpoint's error; undefined for any other error. */
export function imageRefusal(error: unknown): ImageRefusal | undefined {
  const reason = apiErrorMessage(error);
  if (!reason) return undefined;
  for (const pattern of IMAGE_COUNT_PATTERNS) {
    const match = pattern.exec(reason);
    if (match) return { maxImages: match[1] === 'one' ? 1 : Number(match[1]), reason };
  }
  if (/more than one image/i.test(reason)) return { maxImages: 1, reason };
  if (NO_IMAGE_PATTERNS.some((p) => p.test(reason))) return { maxImages: 0, reason };
  return undefined;
}

/**
 * Reads a refusal of tool calls from an endpoint's error, e.g. vLLM without `--enable-auto-tool-choice` or an Ollama
 * model without tool support ("… does not support tools").
 */
export function toolsRefusal(error: unknown): string | undefined {
  const reason = apiErrorMessage(error);
  if (!reason || !/tool/i.test(reason)) return undefined;
  return /(not support|unsupported|enable-auto-tool-choice|tool-call-parser|tool choice|tool_choice|not enabled)/i.test(
    reason,
  )
    ? reason
    : undefined;
}

/** The message of the endpoint's 4xx/5xx answer inside an error (or its causes); undefined for other errors. */
export function apiErrorMessage(error: unknown): string | undefined {
  for (let current = error, depth = 0; current && depth < 5; depth += 1) {
    if (current instanceof OpenAI.APIError && current.status !== undefined) {
      const body = current.error as { message?: unknown } | undefined;
      return typeof body?.message === 'string' ? body.message : current.message;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
