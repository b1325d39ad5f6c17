/** @module A protocol-level fake of an OpenAI-compatible API (chat completions, embeddings, models, transcriptions) that tests script. */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Usage:
 * ```ts
 * const fake = await OpenAiFakeServer.start({ apiKey: 'sk-test' });
 * const client = new OpenAI({ apiKey: 'sk-test', baseURL: fake.baseURL });
 * fake.enqueue(
 *   toolCallReply('run_code', { code: 'console.log(1)' }),
 *   (req) => textReply(req.lastToolResult()?.includes('error') ? 'broken' : 'done'),
 * );
 * fake.failNext({ status: 429, times: 1 });
 * // … run the code under test …
 * expect(fake.chatRequests).toHaveLength(2);
 * await fake.close();
 * ```
 * Chat requests are answered in order: injected faults first, then the request's model queue (`enqueueFor`), then the
 * shared queue, then the fallback responder.
 * A queue that runs dry with no fallback answers 500 with a message saying so, which makes a mis-scripted test obvious.
 */

/** A tool call the fake puts into an assistant message. `arguments` may be raw text to simulate malformed JSON. */
export interface FakeToolCall {
  name: string;
  arguments: Record<string, unknown> | string;
  /** @defaultValue a generated `call_…` id */
  id?: string;
}

export interface FakeUsage {
  prompt_tokens: number;
  completion_tokens: number;
}

/** A successful chat completion. */
export interface FakeChatReply {
  content?: string | null;
  toolCalls?: FakeToolCall[];
  /** @defaultValue `tool_calls` when there are tool calls, else `stop` */
  finishReason?: 'stop' | 'tool_calls' | 'length' | 'content_filter';
  /** @defaultValue estimated from the request and reply sizes (about 4 characters a token) */
  usage?: FakeUsage;
  /** Wait before answering, e.g. to trigger the client's timeout. */
  delayMs?: number;
}

/** An HTTP error in OpenAI's error shape. */
export interface FakeFault {
  status: number;
  /** @defaultValue a message fitting the status */
  message?: string;
  /** OpenAI's `error.code`, e.g. `invalid_api_key`, `model_not_found`. */
  code?: string;
  /**
   * Sent as `retry-after-ms`, so retried requests in tests do not wait for the client's default backoff.
   * `null` sends no header. @defaultValue 1
   */
  retryAfterMs?: number | null;
  delayMs?: number;
}

export type FakeChatAnswer = FakeChatReply | { fault: FakeFault };
export type FakeChatResponder =
  | FakeChatAnswer
  | ((request: RecordedChatRequest) => FakeChatAnswer | Promise<FakeChatAnswer>);

/** A chat completion request as received, with helpers to read what the client sent back. */
export interface RecordedChatRequest {
  model: string;
  messages: ChatMessage[];
  tools: Array<{ type: string; function: { name: string; description?: string; parameters?: unknown } }>;
  body: Record<string, unknown>;
  headers: IncomingMessage['headers'];
  /** Content of the last `role: tool` message (the result of the previous tool call), if any. */
  lastToolResult(): string | undefined;
  /** All `role: tool` message contents, oldest first. */
  toolResults(): string[];
  /** The text parts of every user message joined, images left out. */
  userText(): string;
  /** The `image_url` URLs (data URLs for inline images) in the user messages. */
  imageUrls(): string[];
  /** The prompt's size as the fake counts it against a model's `contextTokens`. */
  promptTokens: number;
  /** Set when the fake cut the prompt to the model's window (`overflow: 'truncate'`). */
  truncated?: boolean;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
  content?: string | Array<{ type: string; text?: string; image_url?: { url: string } }> | null;
  tool_calls?: Array<{ id: string; type: 'function'; function: { name: string; arguments: string } }>;
  tool_call_id?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
  /** HTTP status the fake answered with. */
  status: number;
  /** `performance.now()` when the request body had arrived and when the answer was sent. */
  receivedAt: number;
  answeredAt: number;
}

export type EmbedFunction = (text: string) => number[];

/** How one model behaves beyond its scripted answers: the limits and refusals of real endpoints. */
export interface FakeModelTraits {
  /** `false`: a request carrying tools gets vLLM's 400 for a server started without a tool-call parser. @defaultValue true */
  tools?: boolean;
  /**
   * Most images one request may carry: more gets vLLM's 400 ("At most N image(s) …"); 0 gets Ollama's
   * "this model does not support image input". @defaultValue unlimited
   */
  maxImages?: number;
  /**
   * The context window in tokens (counted as about 4 characters a token, images 85 each): a longer prompt gets vLLM's
   * 400, or is cut when `overflow` is `truncate`.
   */
  contextTokens?: number;
  /** `truncate`: a prompt over the window is cut silently, as Ollama does beyond `num_ctx`. @defaultValue 'error' */
  overflow?: 'error' | 'truncate';
  /**
   * How the window is told: vLLM's `max_model_len` on GET /v1/models, Ollama's `num_ctx` from POST /api/show (no
   * `num_ctx` there when `contextTokens` is unset), or not at all. @defaultValue 'vllm'
   */
  reportContext?: 'vllm' | 'ollama' | 'none';
}

/** A `/v1/audio/transcriptions` request as received: its multipart fields and the uploaded file. */
export interface RecordedTranscriptionRequest {
  model: string;
  /** Every text field by name, repeated names (`timestamp_granularities[]`) collected in order. */
  fields: Record<string, string[]>;
  file?: { name: string; type: string; bytes: Buffer };
  headers: IncomingMessage['headers'];
}

/** A transcription in OpenAI's verbose_json shape (every part optional, to play servers that leave some out). */
export interface FakeTranscription {
  text?: string;
  language?: string;
  duration?: number;
  words?: Array<{ word: string; start: number; end: number }>;
  segments?: Array<{
    start: number;
    end: number;
    text: string;
    words?: Array<{ word: string; start: number; end: number }>;
  }>;
  delayMs?: number;
}

export type FakeTranscriptionResponder =
  | FakeTranscription
  | { fault: FakeFault }
  | ((
      request: RecordedTranscriptionRequest,
    ) => FakeTranscription | { fault: FakeFault } | Promise<FakeTranscription | { fault: FakeFault }>);

export interface OpenAiFakeServerOptions {
  /** When set, any other bearer token gets 401 `invalid_api_key`. */
  apiKey?: string;
  /** When set, other model names get 404 `model_not_found` (chat and embeddings). Listed by GET /v1/models. */
  models?: string[];
  /** Maps a text to its embedding. @defaultValue {@link hashedBagOfWords} with 256 dimensions */
  embed?: EmbedFunction;
  /** Per model: refusals and limits of real endpoints (tools off, images limited, a small context). */
  traits?: Record<string, FakeModelTraits>;
}

interface PendingFault extends FakeFault {
  remaining: number;
  path?: string;
}

export class OpenAiFakeServer {
  /** Every request received, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Every chat completion request received, in order (also those answered with a fault). */
  readonly chatRequests: RecordedChatRequest[] = [];
  /** Every transcription request received, in order (also those answered with a fault). */
  readonly transcriptionRequests: RecordedTranscriptionRequest[] = [];
  /** The base URL to give the `openai` client, ending in `/v1`. */
  baseURL = '';

  private readonly server: Server;
  private readonly queue: FakeChatResponder[] = [];
  private readonly modelQueues = new Map<string, FakeChatResponder[]>();
  private readonly faults: PendingFault[] = [];
  private fallback: FakeChatResponder | undefined;
  private transcriber: FakeTranscriptionResponder | undefined;
  private closing: Promise<void> | undefined;
  private readonly embed: EmbedFunction;
  private readonly receivedAt = new WeakMap<IncomingMessage, number>();

  private constructor(private readonly options: OpenAiFakeServerOptions) {
    this.embed = options.embed ?? ((text) => hashedBagOfWords(text, 256));
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        sendJson(res, 500, { error: { message: `fake crashed: ${String(error)}`, type: 'server_error' } });
      });
    });
  }

  /** Starts listening on 127.0.0.1 at a free port. */
  static async start(options: OpenAiFakeServerOptions = {}): Promise<OpenAiFakeServer> {
    const fake = new OpenAiFakeServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = fake.server.address() as AddressInfo;
    fake.baseURL = `http://127.0.0.1:${port}/v1`;
    return fake;
  }

  /** Adds chat answers to the end of the queue; each answers one request. */
  enqueue(...responders: FakeChatResponder[]): this {
    this.queue.push(...responders);
    return this;
  }

  /**
   * Adds chat answers for requests naming `model` only; they are used before the shared queue. Lets a test script
   * an agent model and a vision model independently.
   */
  enqueueFor(model: string, ...responders: FakeChatResponder[]): this {
    const queue = this.modelQueues.get(model) ?? [];
    queue.push(...responders);
    this.modelQueues.set(model, queue);
    return this;
  }

  /** Answers every chat request once the queue is empty. */
  setFallback(responder: FakeChatResponder | undefined): this {
    this.fallback = responder;
    return this;
  }

  /**
   * Answers the next `times` requests (to `path`, default any path) with an HTTP error before anything queued.
   * @example fake.failNext({ status: 500, times: Infinity }) // fail until told otherwise
   */
  failNext(fault: FakeFault & { times?: number; path?: string }): this {
    this.faults.push({ ...fault, remaining: fault.times ?? 1 });
    return this;
  }

  /** Answers every `/v1/audio/transcriptions` request (unset: 500 saying nothing is scripted). */
  setTranscriber(responder: FakeTranscriptionResponder | undefined): this {
    this.transcriber = responder;
    return this;
  }

  /** Drops pending faults, queued answers and the fallback. */
  reset(): this {
    this.queue.length = 0;
    this.modelQueues.clear();
    this.faults.length = 0;
    this.fallback = undefined;
    return this;
  }

  /** Number of queued chat answers not yet used, per-model queues included. */
  get pending(): number {
    return [...this.modelQueues.values()].reduce((sum, q) => sum + q.length, this.queue.length);
  }

  /** Stops the server, dropping open connections. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const bytes = await readBody(req);
    this.receivedAt.set(req, performance.now());
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    if (req.method === 'POST' && path === '/v1/audio/transcriptions') {
      return this.answerTranscription(req, path, bytes, res);
    }
    const raw = bytes.toString('utf8');
    let body: unknown;
    try {
      body = raw.length > 0 ? JSON.parse(raw) : undefined;
    } catch {
      return this.reply(req, path, undefined, res, 400, {
        error: { message: 'body is not JSON', type: 'invalid_request_error' },
      });
    }
    const isChat = req.method === 'POST' && path === '/v1/chat/completions';
    const recordedChat = isChat ? recordChat(body as Record<string, unknown>, req.headers) : undefined;
    if (recordedChat) this.chatRequests.push(recordedChat);

    const fault = this.takeFault(path);
    if (fault) return this.sendFault(req, path, body, res, fault);

    if (this.options.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      return this.sendFault(req, path, body, res, {
        status: 401,
        code: 'invalid_api_key',
        message: 'Incorrect API key provided.',
      });
    }
    const model = (body as { model?: unknown } | undefined)?.model;
    if (
      this.options.models &&
      req.method === 'POST' &&
      typeof model === 'string' &&
      !this.options.models.includes(model)
    ) {
      return this.sendFault(req, path, body, res, {
        status: 404,
        code: 'model_not_found',
        message: `The model \`${model}\` does not exist or you do not have access to it.`,
      });
    }

    const refusal = recordedChat ? this.traitFault(recordedChat) : undefined;
    if (refusal) return this.sendFault(req, path, body, res, refusal);
    if (recordedChat) return this.answerChat(req, path, recordedChat, res);
    if (req.method === 'POST' && path === '/v1/embeddings')
      return this.answerEmbeddings(req, path, body, res);
    if (req.method === 'GET' && path === '/v1/models') {
      const ids = new Set([...(this.options.models ?? []), ...Object.keys(this.options.traits ?? {})]);
      const data = [...ids].map((id) => {
        const traits = this.options.traits?.[id];
        const reported = (traits?.reportContext ?? 'vllm') === 'vllm' ? traits?.contextTokens : undefined;
        return {
          id,
          object: 'model',
          created: 0,
          owned_by: traits?.reportContext === 'ollama' ? 'library' : 'fake',
          ...(reported ? { max_model_len: reported } : {}),
        };
      });
      return this.reply(req, path, body, res, 200, { object: 'list', data });
    }
    if (path === '/api/show' || path === '/api/ps') return this.answerOllama(req, path, body, res);
    return this.reply(req, path, body, res, 404, {
      error: { message: `fake: no route ${req.method} ${path}`, type: 'invalid_request_error' },
    });
  }

  /** A model's refusal of this request (tools, too many images, too long a prompt), or undefined. */
  private traitFault(request: RecordedChatRequest): FakeFault | undefined {
    const traits = this.options.traits?.[request.model];
    if (!traits) return undefined;
    if (traits.tools === false && request.tools.length > 0) {
      return {
        status: 400,
        message: '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set',
      };
    }
    const images = request.imageUrls().length;
    if (traits.maxImages !== undefined && images > traits.maxImages) {
      return {
        status: 400,
        message:
          traits.maxImages === 0
            ? 'this model does not support image input'
            : `At most ${traits.maxImages} image(s) may be provided in one request.`,
      };
    }
    if (traits.contextTokens !== undefined && request.promptTokens > traits.contextTokens) {
      if (traits.overflow === 'truncate') {
        request.truncated = true;
        return undefined;
      }
      return {
        status: 400,
        message: `This model's maximum context length is ${traits.contextTokens} tokens. However, your request has ${request.promptTokens} input tokens. Please reduce the length of the input messages.`,
      };
    }
    return undefined;
  }

  /** Ollama's own API beside the OpenAI-compatible one, for models whose traits report context the Ollama way. */
  private answerOllama(req: IncomingMessage, path: string, body: unknown, res: ServerResponse): void {
    const ollama = Object.entries(this.options.traits ?? {}).filter(([, t]) => t.reportContext === 'ollama');
    const model = (body as { model?: string } | undefined)?.model;
    const traits = ollama.find(([id]) => id === model)?.[1];
    if (ollama.length === 0) {
      this.reply(req, path, body, res, 404, { error: `fake: no route ${req.method} ${path}` });
    } else if (path === '/api/ps') {
      this.reply(req, path, body, res, 200, { models: [] });
    } else if (!traits) {
      this.reply(req, path, body, res, 404, { error: `model '${model}' not found` });
    } else {
      this.answerOllamaShow(req, path, body, res, traits);
    }
  }

  private answerOllamaShow(
    req: IncomingMessage,
    path: string,
    body: unknown,
    res: ServerResponse,
    traits: FakeModelTraits,
  ): void {
    const parameters = traits.contextTokens ? `num_ctx                        ${traits.contextTokens}` : '';
    this.reply(req, path, body, res, 200, {
      parameters,
      model_info: { 'general.architecture': 'llama', 'llama.context_length': 131072 },
    });
  }

  /** Multipart in, verbose_json out; key, model and faults are checked as for chat. */
  private async answerTranscription(
    req: IncomingMessage,
    path: string,
    bytes: Buffer,
    res: ServerResponse,
  ): Promise<void> {
    const form = await new Request('http://fake/', {
      method: 'POST',
      headers: { 'content-type': String(req.headers['content-type'] ?? '') },
      body: new Uint8Array(bytes),
    })
      .formData()
      .catch(() => undefined);
    if (!form) {
      return this.reply(req, path, undefined, res, 400, {
        error: { message: 'body is not multipart/form-data', type: 'invalid_request_error' },
      });
    }
    const fields: Record<string, string[]> = {};
    let file: RecordedTranscriptionRequest['file'];
    for (const [name, value] of form.entries()) {
      if (typeof value === 'string') fields[name] = [...(fields[name] ?? []), value];
      else file = { name: value.name, type: value.type, bytes: Buffer.from(await value.arrayBuffer()) };
    }
    const recorded: RecordedTranscriptionRequest = {
      model: fields.model?.[0] ?? '',
      fields,
      file,
      headers: req.headers,
    };
    this.transcriptionRequests.push(recorded);
    const body = {
      fields,
      file: file ? { name: file.name, type: file.type, size: file.bytes.length } : undefined,
    };

    const fault = this.takeFault(path);
    if (fault) return this.sendFault(req, path, body, res, fault);
    if (this.options.apiKey !== undefined && req.headers.authorization !== `Bearer ${this.options.apiKey}`) {
      return this.sendFault(req, path, body, res, {
        status: 401,
        code: 'invalid_api_key',
        message: 'Incorrect API key provided.',
      });
    }
    if (this.options.models && !this.options.models.includes(recorded.model)) {
      return this.sendFault(req, path, body, res, {
        status: 404,
        code: 'model_not_found',
        message: `The model \`${recorded.model}\` does not exist or you do not have access to it.`,
      });
    }
    if (!file) {
      return this.reply(req, path, body, res, 400, {
        error: { message: "Missing required parameter: 'file'.", type: 'invalid_request_error' },
      });
    }
    const responder = this.transcriber;
    if (!responder) {
      return this.sendFault(req, path, body, res, {
        status: 500,
        message: 'openai fake: no transcriber scripted (setTranscriber)',
        retryAfterMs: null,
      });
    }
    const answer = typeof responder === 'function' ? await responder(recorded) : responder;
    if ('fault' in answer) return this.sendFault(req, path, body, res, answer.fault);
    const { delayMs, ...transcription } = answer;
    if (delayMs) await sleep(delayMs, res);
    this.reply(req, path, body, res, 200, { task: 'transcribe', ...transcription });
  }

  private takeFault(path: string): PendingFault | undefined {
    const fault = this.faults.find((f) => f.remaining > 0 && (f.path === undefined || f.path === path));
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }

  private async sendFault(
    req: IncomingMessage,
    path: string,
    body: unknown,
    res: ServerResponse,
    fault: FakeFault,
  ): Promise<void> {
    if (fault.delayMs) await sleep(fault.delayMs, res);
    const retryAfterMs = fault.retryAfterMs === undefined ? 1 : fault.retryAfterMs;
    if (retryAfterMs !== null) res.setHeader('retry-after-ms', String(retryAfterMs));
    this.reply(req, path, body, res, fault.status, {
      error: {
        message: fault.message ?? defaultFaultMessage(fault.status),
        type:
          fault.status === 429
            ? 'rate_limit_error'
            : fault.status >= 500
              ? 'server_error'
              : 'invalid_request_error',
        code: fault.code ?? null,
        param: null,
      },
    });
  }

  private async answerChat(
    req: IncomingMessage,
    path: string,
    request: RecordedChatRequest,
    res: ServerResponse,
  ): Promise<void> {
    const responder = this.modelQueues.get(request.model)?.shift() ?? this.queue.shift() ?? this.fallback;
    if (!responder) {
      return this.sendFault(req, path, request.body, res, {
        status: 500,
        message: `openai fake: no scripted answer left for chat request #${this.chatRequests.length}`,
        retryAfterMs: null,
      });
    }
    const answer = typeof responder === 'function' ? await responder(request) : responder;
    if ('fault' in answer) return this.sendFault(req, path, request.body, res, answer.fault);
    if (answer.delayMs) await sleep(answer.delayMs, res);
    if (res.destroyed) return;

    const toolCalls = (answer.toolCalls ?? []).map((call) => ({
      id: call.id ?? `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`,
      type: 'function' as const,
      function: {
        name: call.name,
        arguments: typeof call.arguments === 'string' ? call.arguments : JSON.stringify(call.arguments),
      },
    }));
    const message = {
      role: 'assistant' as const,
      content: answer.content ?? null,
      refusal: null,
      ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
    };
    const window = this.options.traits?.[request.model]?.contextTokens;
    const usage = answer.usage ?? {
      prompt_tokens:
        request.truncated && window !== undefined
          ? window
          : Math.ceil(JSON.stringify(request.messages).length / 4),
      completion_tokens: Math.ceil(JSON.stringify(message).length / 4),
    };
    const finishReason = answer.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop');
    const id = `chatcmpl-${randomUUID()}`;
    const created = Math.floor(Date.now() / 1000);
    const fullUsage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };

    if (request.body.stream === true) {
      this.record(req, path, request.body, 200);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta: object, finish: string | null, withUsage = false) =>
        `data: ${JSON.stringify({
          id,
          object: 'chat.completion.chunk',
          created,
          model: request.model,
          choices: [{ index: 0, delta, finish_reason: finish }],
          ...(withUsage ? { usage: fullUsage } : {}),
        })}\n\n`;
      res.write(chunk({ role: 'assistant', content: message.content }, null));
      if (toolCalls.length > 0) {
        res.write(chunk({ tool_calls: toolCalls.map((call, index) => ({ index, ...call })) }, null));
      }
      res.write(chunk({}, finishReason, true));
      res.end('data: [DONE]\n\n');
      return;
    }
    this.reply(req, path, request.body, res, 200, {
      id,
      object: 'chat.completion',
      created,
      model: request.model,
      choices: [{ index: 0, message, finish_reason: finishReason, logprobs: null }],
      usage: fullUsage,
    });
  }

  private answerEmbeddings(req: IncomingMessage, path: string, body: unknown, res: ServerResponse): void {
    const { input, model, encoding_format } = body as {
      input: string | string[];
      model: string;
      encoding_format?: 'float' | 'base64';
    };
    const texts = Array.isArray(input) ? input : [input];
    // The openai client asks for base64 (little-endian float32) by default and decodes it itself.
    const encode = (vector: number[]) =>
      encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
    const data = texts.map((text, index) => ({
      object: 'embedding',
      index,
      embedding: encode(this.embed(String(text))),
    }));
    const tokens = texts.reduce((sum, t) => sum + Math.ceil(String(t).length / 4), 0);
    this.reply(req, path, body, res, 200, {
      object: 'list',
      data,
      model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    });
  }

  private reply(
    req: IncomingMessage,
    path: string,
    body: unknown,
    res: ServerResponse,
    status: number,
    payload: unknown,
  ): void {
    this.record(req, path, body, status);
    sendJson(res, status, payload);
  }

  private record(req: IncomingMessage, path: string, body: unknown, status: number): void {
    const answeredAt = performance.now();
    const receivedAt = this.receivedAt.get(req) ?? answeredAt;
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      headers: req.headers,
      body,
      status,
      receivedAt,
      answeredAt,
    });
  }
}

/** An assistant reply that calls one tool. */
export function toolCallReply(
  name: string,
  args: Record<string, unknown> | string,
  extra: Omit<FakeChatReply, 'toolCalls'> = {},
): FakeChatReply {
  return { ...extra, toolCalls: [{ name, arguments: args }] };
}

/** An assistant reply with plain text and no tool call. */
export function textReply(content: string, extra: Omit<FakeChatReply, 'content'> = {}): FakeChatReply {
  return { ...extra, content };
}

/** A vision-model reply carrying a visual verdict in the contract's JSON shape. */
export function verdictReply(
  verdict: 'approve' | 'revise',
  issues: Array<{ type: string; at: number | null; description: string }> = [],
): FakeChatReply {
  return { content: JSON.stringify({ verdict, issues }) };
}

/**
 * A deterministic stand-in for an embedding model: each word (lower-cased, 3+ letters, crudely stemmed) is hashed
 * into one of `dimensions` buckets, and the vector is normalised. Texts sharing words end up close.
 */
export function hashedBagOfWords(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []) {
    const stem = word.replace(/(ing|es|s|ed)$/, '');
    const bucket = createHash('sha1').update(stem).digest().readUInt32BE(0) % dimensions;
    vector[bucket] += 1;
  }
  const norm = Math.hypot(...vector) || 1;
  return vector.map((v) => v / norm);
}

/** About 4 characters a token for text, tool calls and tool definitions; 85 tokens an image (OpenAI's low detail). */
function countPromptTokens(messages: ChatMessage[], tools: unknown[]): number {
  let chars = tools.length > 0 ? JSON.stringify(tools).length : 0;
  let images = 0;
  for (const message of messages) {
    const content = message.content;
    if (typeof content === 'string') chars += content.length;
    for (const part of Array.isArray(content) ? content : []) {
      if (part.type === 'image_url') images += 1;
      else chars += part.text?.length ?? 0;
    }
    for (const call of message.tool_calls ?? [])
      chars += call.function.name.length + call.function.arguments.length;
  }
  return Math.ceil(chars / 4) + images * 85;
}

function recordChat(body: Record<string, unknown>, headers: IncomingMessage['headers']): RecordedChatRequest {
  const messages = (Array.isArray(body?.messages) ? body.messages : []) as ChatMessage[];
  const tools = (Array.isArray(body?.tools) ? body.tools : []) as RecordedChatRequest['tools'];
  const parts = (role: ChatMessage['role']) =>
    messages
      .filter((m) => m.role === role)
      .flatMap((m) =>
        typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : (m.content ?? []),
      );
  return {
    model: String(body?.model ?? ''),
    messages,
    tools,
    promptTokens: countPromptTokens(messages, tools),
    body: body ?? {},
    headers,
    toolResults: () => messages.filter((m) => m.role === 'tool').map((m) => contentText(m.content)),
    lastToolResult() {
      return this.toolResults().at(-1);
    },
    userText: () =>
      parts('user')
        .filter((p) => p.type === 'text')
        .map((p) => p.text ?? '')
        .join('\n'),
    imageUrls: () =>
      parts('user')
        .filter((p) => p.type === 'image_url')
        .map((p) => p.image_url?.url ?? ''),
  };
}

function contentText(content: ChatMessage['content']): string {
  if (typeof content === 'string') return content;
  return (content ?? []).map((p) => p.text ?? '').join('');
}

function defaultFaultMessage(status: number): string {
  if (status === 401) return 'Incorrect API key provided.';
  if (status === 404) return 'Not found.';
  if (status === 429) return 'Rate limit reached. Please try again later.';
  if (status >= 500) return 'The server had an error while processing your request.';
  return `Request failed with status ${status}.`;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, payload: unknown): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(payload));
}

/** Waits `ms` before answering, or less when the client hangs up first (as a real server stops working on it). */
function sleep(ms: number, res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    res.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
