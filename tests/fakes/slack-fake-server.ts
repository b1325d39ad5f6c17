/** @module A protocol-level fake of Slack for tests: Web API, file host, upload URLs, Socket Mode, signed event delivery. */
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type SlowLink, sendOverSlowLink } from './slow-link.ts';

/** One Web API call as the fake received it. */
export interface SlackFakeCall {
  method: string;
  token?: string;
  args: Record<string, unknown>;
  at: number;
}

/** A message the fake holds, in the shape `conversations.replies` returns. */
export interface SlackFakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  user?: string;
  bot_id?: string;
  text: string;
  blocks?: unknown;
  files?: SlackFakeFile[];
  edits: number;
  /** Every text the message has shown, oldest first (`chat.update` adds one). */
  history: string[];
  /** Whom posting it notified (`<!channel>`, `<@U…>` …): Slack notifies when it is posted, not when edited. */
  pings: string[];
}

export interface SlackFakeFile {
  id: string;
  name: string;
  title?: string;
  mimetype: string;
  filetype: string;
  size: number;
  url_private: string;
  url_private_download: string;
  file_access?: 'check_file_info';
}

/** A file uploaded by the bot through files.uploadV2. */
export interface SlackFakeUpload {
  id: string;
  filename: string;
  bytes: Buffer;
  channel?: string;
  threadTs?: string;
  initialComment?: string;
  completedAt?: number;
  /** Whom sharing it notified, from its initial comment. */
  pings?: string[];
}

export interface AddFileOptions {
  name: string;
  bytes: Buffer;
  mimetype?: string;
  /** Serve an HTML sign-in page instead of the bytes, as Slack does when the token lacks files:read. */
  loginPage?: boolean;
  /** Put only `{ id, file_access: 'check_file_info' }` in events, so the bot must call files.info. */
  checkFileInfo?: boolean;
  /** Claimed size in the file object (defaults to the real byte length). */
  claimedSize?: number;
  /** Serve the bytes slowly, maybe going silent part way. */
  link?: SlowLink;
}

export type SlackFakeFailure =
  | { kind: 'error'; error: string }
  | { kind: 'rate_limited'; retryAfterSeconds: number };

export interface SlackFakeOptions {
  botToken?: string;
  appToken?: string;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  /** Bot token scopes, sent as Slack does in `x-oauth-scopes` on every Web API answer. @defaultValue no header */
  scopes?: string[];
  /**
   * What files.completeUploadExternal answers per file: the whole file object (as Slack's own SDK types record), or
   * only id and title (as Slack's documentation shows), leaving the permalink to files.info. @defaultValue 'file-object'
   */
  completeUploadAnswer?: 'file-object' | 'id-and-title';
}

const MIME_TO_FILETYPE: Record<string, string> = {
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'application/pdf': 'pdf',
  'image/png': 'png',
  'audio/mpeg': 'mp3',
};

/**
 * A real HTTP server on 127.0.0.1:0 that answers like Slack: `POST /api/<method>` (urlencoded,
 * Bearer token, always 200 + JSON), a file host at `/files/…`, upload URLs at `/upload/…`, and
 * a Socket Mode WebSocket at `/socket`. Every call is recorded for assertions.
 */
export class SlackFakeServer {
  readonly botToken: string;
  readonly appToken: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly scopes: string[] | undefined;
  readonly calls: SlackFakeCall[] = [];
  readonly messages: SlackFakeMessage[] = [];
  readonly uploads: SlackFakeUpload[] = [];
  readonly reactions: { channel: string; timestamp: string; name: string }[] = [];
  readonly fileDownloads: { fileId: string; authorized: boolean }[] = [];
  readonly socketAcks: { envelope_id: string; payload?: unknown }[] = [];
  private readonly files = new Map<
    string,
    { file: SlackFakeFile; bytes: Buffer; loginPage: boolean; link?: SlowLink }
  >();
  private readonly failures = new Map<string, SlackFakeFailure[]>();
  /** Messages only one user sees (chat.postEphemeral), in order. */
  readonly ephemerals: { channel: string; user: string; thread_ts?: string; text: string }[] = [];
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly listeners = new Set<() => void>();
  private seq = 0;
  private heldUploads = 0;
  private baseUrl = '';
  private readonly completeUploadAnswer: NonNullable<SlackFakeOptions['completeUploadAnswer']>;
  private closing?: Promise<void>;

  constructor(options: SlackFakeOptions = {}) {
    this.botToken = options.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-fake-app-token';
    this.teamId = options.teamId ?? 'T0FAKE';
    this.botUserId = options.botUserId ?? 'U0CUTROOM';
    this.botId = options.botId ?? 'B0CUTROOM';
    this.scopes = options.scopes;
    this.completeUploadAnswer = options.completeUploadAnswer ?? 'file-object';
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
    this.wss = new WebSocketServer({ noServer: true });
    this.server.on('upgrade', (req, socket, head) => {
      if (!req.url?.startsWith('/socket')) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.sockets.add(ws);
        ws.on('close', () => this.sockets.delete(ws));
        ws.on('message', (data) => {
          const message = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown };
          this.socketAcks.push(message);
          this.notify();
        });
        ws.send(JSON.stringify({ type: 'hello', num_connections: 1, debug_info: { host: 'fake' } }));
        this.notify();
      });
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${port}`;
    return this;
  }

  /** The value for `SLACK_API_URL`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  get url(): string {
    return this.baseUrl;
  }

  get socketConnections(): number {
    return this.sockets.size;
  }

  /** Hosts a file and returns the object Slack puts in events. */
  addFile(options: AddFileOptions): SlackFakeFile | { id: string; file_access: 'check_file_info' } {
    const id = `F${String(++this.seq).padStart(8, '0')}`;
    const mimetype = options.mimetype ?? 'video/mp4';
    const path = `/files/${id}/${encodeURIComponent(options.name)}`;
    const file: SlackFakeFile = {
      id,
      name: options.name,
      title: options.name,
      mimetype,
      filetype: MIME_TO_FILETYPE[mimetype] ?? 'binary',
      size: options.claimedSize ?? options.bytes.length,
      url_private: `${this.baseUrl}${path}`,
      url_private_download: `${this.baseUrl}${path}?download=1`,
    };
    this.files.set(id, {
      file,
      bytes: options.bytes,
      loginPage: options.loginPage ?? false,
      link: options.link,
    });
    return options.checkFileInfo ? { id, file_access: 'check_file_info' } : file;
  }

  /** Stores a user message (e.g. an earlier upload in a thread) for conversations.replies. */
  addMessage(
    message: Omit<SlackFakeMessage, 'ts' | 'edits' | 'history' | 'pings'> & { ts?: string },
  ): SlackFakeMessage {
    const stored: SlackFakeMessage = {
      ...message,
      ts: message.ts ?? this.nextTs(),
      edits: 0,
      history: [message.text],
      pings: slackPings(`${message.text} ${JSON.stringify(message.blocks ?? [])}`),
    };
    this.messages.push(stored);
    return stored;
  }

  /** Makes the next call(s) of `method` fail, in order. */
  failNext(method: string, ...failures: SlackFakeFailure[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...failures]);
  }

  callsOf(method: string): SlackFakeCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages the bot posted (chat.postMessage), optionally in one thread. */
  botMessages(threadTs?: string): SlackFakeMessage[] {
    return this.messages.filter(
      (m) => m.bot_id === this.botId && (threadTs === undefined || m.thread_ts === threadTs),
    );
  }

  /** Resolves once `predicate` holds, re-checked after every request the fake serves. */
  async waitFor<T>(
    predicate: () => T | undefined | false,
    { timeoutMs = 20_000, what = 'condition' }: { timeoutMs?: number; what?: string } = {},
  ): Promise<T> {
    const first = predicate();
    if (first) return first;
    return new Promise<T>((resolve, reject) => {
      const check = () => {
        const value = predicate();
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`slack fake: ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const poll = setInterval(check, 100);
      const cleanup = () => {
        clearTimeout(timer);
        clearInterval(poll);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
    });
  }

  /** An Events API envelope as Slack posts it. */
  eventEnvelope(
    event: Record<string, unknown>,
    options: { eventId?: string; teamId?: string } = {},
  ): Record<string, unknown> {
    return {
      token: 'legacy-verification-token',
      team_id: options.teamId ?? this.teamId,
      api_app_id: 'A0CUTROOM',
      event: { event_ts: event.ts, ...event },
      type: 'event_callback',
      event_id: options.eventId ?? `Ev${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: options.teamId ?? this.teamId, user_id: this.botUserId, is_bot: true }],
    };
  }

  /** A new message ts, unique within this fake. */
  nextTs(): string {
    return `${Math.floor(Date.now() / 1000)}.${String(++this.seq).padStart(6, '0')}`;
  }

  /** Sends an Events API envelope over every open Socket Mode connection; resolves with its envelope id. */
  sendSocketEvent(body: Record<string, unknown>): string {
    const envelopeId = randomUUID();
    const envelope = {
      envelope_id: envelopeId,
      type: 'events_api',
      accepts_response_payload: false,
      retry_attempt: 0,
      retry_reason: '',
      payload: body,
    };
    for (const ws of this.sockets) ws.send(JSON.stringify(envelope));
    return envelopeId;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const ws of this.sockets) ws.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })();
    return this.closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.baseUrl);
    const body = await readBody(req);
    try {
      if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
        await this.handleApi(url.pathname.slice('/api/'.length), req, body, res);
      } else if (req.method === 'GET' && url.pathname.startsWith('/files/')) {
        this.handleFile(url.pathname, req, res);
      } else if (req.method === 'POST' && url.pathname.startsWith('/upload/')) {
        await this.handleUpload(url.pathname.slice('/upload/'.length), req, body, res);
      } else {
        res.statusCode = 404;
        res.end('not found');
      }
    } finally {
      this.notify();
    }
  }

  private async handleApi(method: string, req: IncomingMessage, raw: Buffer, res: ServerResponse) {
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const args = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
    this.calls.push({ method, token, args, at: Date.now() });
    const failure = this.failures.get(method)?.shift();
    if (failure?.kind === 'rate_limited') {
      res.writeHead(429, {
        'retry-after': String(failure.retryAfterSeconds),
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
      return;
    }
    const send = (data: Record<string, unknown>) => {
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        ...(this.scopes ? { 'x-oauth-scopes': this.scopes.join(',') } : {}),
      });
      res.end(JSON.stringify(data));
    };
    if (failure?.kind === 'error') return send({ ok: false, error: failure.error });
    const expected = method === 'apps.connections.open' ? this.appToken : this.botToken;
    if (token !== expected) return send({ ok: false, error: token ? 'invalid_auth' : 'not_authed' });
    send(this.answer(method, args));
  }

  private answer(method: string, args: Record<string, string>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.com/',
          team: 'Fake Team',
          user: 'cutroom',
          team_id: this.teamId,
          user_id: this.botUserId,
          bot_id: this.botId,
        };
      case 'chat.postMessage': {
        if (!args.channel) return { ok: false, error: 'channel_not_found' };
        const refusal = refuseText(args);
        if (refusal) return refusal;
        const message = this.addMessage({
          channel: args.channel,
          thread_ts: args.thread_ts,
          bot_id: this.botId,
          user: this.botUserId,
          text: args.text ?? '',
          blocks: args.blocks ? JSON.parse(args.blocks) : undefined,
        });
        return { ok: true, channel: args.channel, ts: message.ts, message: { ...message } };
      }
      case 'chat.update': {
        const refusal = refuseText(args);
        if (refusal) return refusal;
        const message = this.messages.find((m) => m.channel === args.channel && m.ts === args.ts);
        if (!message) return { ok: false, error: 'message_not_found' };
        message.text = args.text ?? message.text;
        message.blocks = args.blocks ? JSON.parse(args.blocks) : message.blocks;
        message.edits += 1;
        message.history.push(message.text);
        return { ok: true, channel: args.channel, ts: args.ts, text: message.text };
      }
      case 'chat.postEphemeral': {
        if (!args.channel || !args.user) return { ok: false, error: 'channel_not_found' };
        this.ephemerals.push({
          channel: args.channel,
          user: args.user,
          thread_ts: args.thread_ts,
          text: args.text ?? '',
        });
        this.notify();
        return { ok: true, message_ts: this.nextTs() };
      }
      case 'reactions.add': {
        const duplicate = this.reactions.some(
          (r) => r.channel === args.channel && r.timestamp === args.timestamp && r.name === args.name,
        );
        if (duplicate) return { ok: false, error: 'already_reacted' };
        this.reactions.push({ channel: args.channel, timestamp: args.timestamp, name: args.name });
        return { ok: true };
      }
      case 'files.info': {
        const entry = this.files.get(args.file);
        if (entry) return { ok: true, file: entry.file };
        const upload = this.uploads.find((u) => u.id === args.file && u.completedAt);
        return upload
          ? { ok: true, file: this.uploadedFile(upload.id, upload.filename) }
          : { ok: false, error: 'file_not_found' };
      }
      case 'conversations.replies': {
        const thread = this.messages.filter(
          (m) => m.channel === args.channel && (m.ts === args.ts || m.thread_ts === args.ts),
        );
        if (thread.length === 0) return { ok: false, error: 'thread_not_found' };
        return { ok: true, messages: thread, has_more: false };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${String(++this.seq).padStart(8, '0')}`;
        this.uploads.push({ id, filename: args.filename, bytes: Buffer.alloc(0) });
        return { ok: true, upload_url: `${this.baseUrl}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const files = JSON.parse(args.files ?? '[]') as { id: string; title?: string }[];
        for (const { id } of files) {
          const upload = this.uploads.find((u) => u.id === id);
          if (!upload || upload.bytes.length === 0) return { ok: false, error: 'file_not_found' };
          Object.assign(upload, {
            channel: args.channel_id,
            threadTs: args.thread_ts,
            initialComment: args.initial_comment,
            completedAt: Date.now(),
            pings: slackPings(args.initial_comment ?? ''),
          });
        }
        return {
          ok: true,
          files: files.map(({ id, title }) =>
            this.completeUploadAnswer === 'id-and-title'
              ? { id, title }
              : { ...this.uploadedFile(id, title ?? id), title },
          ),
        };
      }
      case 'apps.connections.open':
        return { ok: true, url: `${this.baseUrl.replace('http', 'ws')}/socket` };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  private uploadedFile(id: string, name: string): { id: string; name: string; permalink: string } {
    return {
      id,
      name,
      permalink: `https://fake-workspace.slack.com/files/${id}/${encodeURIComponent(name)}`,
    };
  }

  private handleFile(pathname: string, req: IncomingMessage, res: ServerResponse): void {
    const id = pathname.split('/')[2] ?? '';
    const entry = this.files.get(id);
    const authorized = req.headers.authorization === `Bearer ${this.botToken}`;
    this.fileDownloads.push({ fileId: id, authorized });
    if (!entry) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('file not found');
      return;
    }
    if (!authorized || entry.loginPage) {
      // What Slack really does without a usable token or the files:read scope: a 200 sign-in page.
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in to Slack</body></html>');
      return;
    }
    res.writeHead(200, {
      'content-type': entry.file.mimetype,
      'content-length': String(entry.bytes.length),
    });
    if (entry.link) sendOverSlowLink(res, entry.bytes, entry.link);
    else res.end(entry.bytes);
  }

  /** The next `count` file uploads (the bytes sent to an upload URL) get no answer, as from a stalled server. */
  holdUploads(count = 1): void {
    this.heldUploads += count;
  }

  private async handleUpload(id: string, req: IncomingMessage, raw: Buffer, res: ServerResponse) {
    if (this.heldUploads > 0) {
      this.heldUploads -= 1;
      return;
    }
    const upload = this.uploads.find((u) => u.id === id);
    if (!upload) {
      res.writeHead(404);
      res.end('unknown upload');
      return;
    }
    const form = await new Request(`${this.baseUrl}/upload/${id}`, {
      method: 'POST',
      headers: { 'content-type': req.headers['content-type'] ?? '' },
      body: new Uint8Array(raw),
    }).formData();
    const part = form.get('body') ?? form.get('file');
    if (!part || typeof part === 'string') {
      res.writeHead(400);
      res.end('no file part');
      return;
    }
    upload.bytes = Buffer.from(await part.arrayBuffer());
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(`OK - ${upload.bytes.length}`);
  }
}

// Slack's limits: a message's text over 40,000 characters is refused, a section's text over 3,000 too.
const SLACK_MAX_TEXT_CHARS = 40_000;
const SLACK_MAX_SECTION_CHARS = 3000;

function refuseText(args: Record<string, string>): { ok: false; error: string } | undefined {
  if ((args.text ?? '').length > SLACK_MAX_TEXT_CHARS) return { ok: false, error: 'msg_too_long' };
  const blocks = args.blocks ? (JSON.parse(args.blocks) as { text?: { text?: string } }[]) : [];
  if (blocks.some((b) => (b.text?.text ?? '').length > SLACK_MAX_SECTION_CHARS)) {
    return { ok: false, error: 'invalid_blocks' };
  }
  return undefined;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export interface SignedEventOptions {
  signingSecret: string;
  /** Seconds since the epoch. @defaultValue now */
  timestamp?: number;
  retryNum?: number;
  /** Override the computed signature (to send a bad one). */
  signature?: string;
}

/** Posts a body to the bot's `/slack/events` URL the way Slack does, signed with the signing secret. */
export async function sendSignedEvent(
  eventsUrl: string,
  body: Record<string, unknown> | string,
  options: SignedEventOptions,
): Promise<{ status: number; text: string }> {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const signature =
    options.signature ??
    `v0=${createHmac('sha256', options.signingSecret).update(`v0:${timestamp}:${raw}`).digest('hex')}`;
  const headers: Record<string, string> = {
    'content-type':
      typeof body === 'string' && raw.startsWith('payload=')
        ? 'application/x-www-form-urlencoded'
        : 'application/json',
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': signature,
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_timeout';
  }
  const res = await fetch(eventsUrl, { method: 'POST', headers, body: raw });
  return { status: res.status, text: await res.text() };
}

/** An interactive payload (button click) as Slack form-posts it. */
export function blockActionBody(options: {
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  userId?: string;
  teamId?: string;
}): string {
  const payload = {
    type: 'block_actions',
    team: { id: options.teamId ?? 'T0FAKE', domain: 'fake' },
    user: { id: options.userId ?? 'U0ALICE', name: 'alice', team_id: options.teamId ?? 'T0FAKE' },
    api_app_id: 'A0CUTROOM',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: options.messageTs, channel_id: options.channel },
    trigger_id: `${Date.now()}.trigger`,
    channel: { id: options.channel, name: 'video' },
    message: { ts: options.messageTs, thread_ts: options.threadTs, type: 'message', text: '' },
    actions: [
      {
        action_id: options.actionId,
        block_id: 'cutroom_actions',
        value: options.value,
        type: 'button',
        action_ts: `${Date.now() / 1000}`,
      },
    ],
  };
  return `payload=${encodeURIComponent(JSON.stringify(payload))}`;
}

/** The mentions Slack notifies for in posted text; escaped ones (`&lt;!channel&gt;`) are plain text. */
function slackPings(text: string): string[] {
  return [...text.matchAll(/<(![a-z]+(?:\^[A-Z0-9]+)?|@[UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1]);
}
