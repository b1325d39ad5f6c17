/** @module A protocol-level Discord fake: REST v10, a CDN route and a gateway on 127.0.0.1, for the real discord.js client. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type SlowLink, sendOverSlowLink } from './slow-link.ts';

export interface FakeUser {
  id: string;
  username: string;
  bot?: boolean;
  /** Role ids the user has in the guild. */
  roles?: string[];
}

export interface FakeAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

/** A file that arrived in a multipart request. */
export interface FakeUploadedFile {
  field: string;
  name: string;
  contentType: string;
  data: Buffer;
}

/** Discord's limit on a message's `content`, in characters. */
const DISCORD_MAX_CONTENT_CHARS = 2000;

export interface FakeMessage {
  id: string;
  channel_id: string;
  content: string;
  author: FakeUser;
  attachments: FakeAttachment[];
  components: unknown[];
  /** The uploaded bytes of each attachment, in order. */
  files: FakeUploadedFile[];
  /** With `enforce_nonce`, a second message with this nonce returns the first (Discord's dedupe). */
  nonce?: string;
  /** How many times the message was edited after it was created. */
  edits: number;
  /** Every text the message has shown, oldest first (an edit of its content adds one). */
  history: string[];
  /**
   * Whom posting it notified (`@everyone`, `<@id>`, `<@&role>`), as its `allowed_mentions` let through: Discord
   * notifies when a message is created, not when it is edited.
   */
  pings: string[];
  thread?: { id: string; name: string };
  /** Sent with the ephemeral flag (64): only the interaction's user sees it. */
  ephemeral?: boolean;
  /** The user an ephemeral message was shown to: the interaction's. */
  shownTo?: string;
}

export interface FakeChannel {
  id: string;
  type: number;
  name: string;
  guild_id: string;
  parent_id?: string;
}

/** One REST request as the fake saw it (paths decoded). */
export interface RecordedCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: unknown;
  files: FakeUploadedFile[];
  status: number;
  at: number;
}

interface RouteRequest {
  method: string;
  body: Record<string, unknown>;
  files: FakeUploadedFile[];
}

type RouteHandler = (match: RegExpExecArray, request: RouteRequest) => [number, unknown];

export interface InjectedFailure {
  method: string;
  path: RegExp;
  /** @defaultValue 500 */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests fail. @defaultValue 1 */
  times?: number;
  /** No answer at all, as from a stalled server: the request waits until the client gives up. */
  hang?: boolean;
}

export interface DiscordFakeServerOptions {
  /** @defaultValue one guild `100000000000000001` with a text channel `200000000000000001` */
  guilds?: { id: string; name: string; channels: { id: string; name: string }[] }[];
  applicationId?: string;
  botUser?: FakeUser;
  /** The token the fake accepts (`Authorization: Bot <token>`). @defaultValue 'fake-discord-token' */
  token?: string;
  /** `flags` of GET /applications/@me, e.g. 1 << 19 for the Message Content intent (limited). @defaultValue 0 */
  applicationFlags?: number;
}

const DEFAULT_GUILD = {
  id: '100000000000000001',
  name: 'cutroom-test',
  channels: [{ id: '200000000000000001', name: 'edits' }],
};

const ALL_PERMISSIONS = '2199023255551';

function isEphemeral(body: Record<string, unknown>): boolean {
  return (Number(body.flags ?? 0) & 64) !== 0;
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json' } : {}),
    ...headers,
  });
  res.end(text);
}

/**
 * Real HTTP + WebSocket server speaking enough Discord for cutroom's bot: the gateway handshake,
 * interactions, channel messages with files, threads, commands and attachment downloads.
 */
export class DiscordFakeServer {
  readonly token: string;
  readonly applicationId: string;
  readonly botUser: FakeUser;
  readonly calls: RecordedCall[] = [];
  readonly messages = new Map<string, FakeMessage>();
  readonly channels = new Map<string, FakeChannel>();
  readonly commands = new Map<string, unknown[]>();
  readonly identifies: unknown[] = [];
  readonly guilds: NonNullable<DiscordFakeServerOptions['guilds']>;
  readonly applicationFlags: number;

  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();
  private readonly cdn = new Map<string, { data: Buffer; contentType: string; link?: SlowLink }>();
  private readonly failures: InjectedFailure[] = [];
  private readonly interactionChannels = new Map<string, string>();
  private readonly interactionUsers = new Map<string, string>();
  /** Roles added with `addRole`, by guild: real Discord sends every role of a guild in GUILD_CREATE. */
  private readonly roles = new Map<string, { id: string; name: string }[]>();
  private readonly listeners = new Set<() => void>();
  private sequence = 0;
  private nextId = 300000000000000000n;
  private closing?: Promise<void>;
  url = '';

  private constructor(options: DiscordFakeServerOptions) {
    this.token = options.token ?? 'fake-discord-token';
    this.applicationId = options.applicationId ?? '900000000000000001';
    this.botUser = options.botUser ?? { id: '900000000000000002', username: 'cutroom', bot: true };
    this.guilds = options.guilds ?? [DEFAULT_GUILD];
    this.applicationFlags = options.applicationFlags ?? 0;
    for (const guild of this.guilds) {
      for (const channel of guild.channels) {
        this.channels.set(channel.id, { id: channel.id, type: 0, name: channel.name, guild_id: guild.id });
      }
    }
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) json(res, 500, { message: String(error), code: 0 });
        else res.destroy();
      });
    });
    this.wss = new WebSocketServer({ server: this.server, path: '/gateway' });
    this.wss.on('connection', (socket) => this.onConnection(socket));
  }

  static async start(options: DiscordFakeServerOptions = {}): Promise<DiscordFakeServer> {
    const fake = new DiscordFakeServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** What the bot's `DISCORD_API_URL` should be. */
  get apiUrl(): string {
    return `${this.url}/api`;
  }

  id(): string {
    this.nextId += 1n;
    return this.nextId.toString();
  }

  /** Serves bytes from the fake CDN and returns the attachment object Discord would send. */
  addAttachment(filename: string, data: Buffer, contentType?: string, link?: SlowLink): FakeAttachment {
    const id = this.id();
    const path = `/cdn/attachments/${id}/${encodeURIComponent(filename)}`;
    this.cdn.set(path, { data, contentType: contentType ?? 'application/octet-stream', link });
    return {
      id,
      filename,
      size: data.length,
      url: `${this.url}${path}?ex=${randomUUID()}`,
      proxy_url: `${this.url}${path}`,
      ...(contentType ? { content_type: contentType } : {}),
    };
  }

  /** Adds a role to a guild (default: the first), as a server admin would: announced with GUILD_ROLE_CREATE. */
  addRole(role: { id: string; name: string }, guildId = this.guilds[0].id): void {
    const roles = this.roles.get(guildId) ?? [];
    roles.push(role);
    this.roles.set(guildId, roles);
    this.dispatch('GUILD_ROLE_CREATE', { guild_id: guildId, role: apiRole(role) });
  }

  /** Makes the next matching REST requests fail (e.g. a 429 with Retry-After). */
  failNext(failure: InjectedFailure): void {
    this.failures.push({ times: 1, ...failure });
  }

  /** Sends a gateway dispatch to every connected client. */
  dispatch(t: string, d: unknown): void {
    for (const socket of this.sockets) this.send(socket, { op: 0, t, s: ++this.sequence, d });
  }

  /** Resolves once a client has identified and received READY. */
  async waitForIdentify(options: { timeoutMs?: number } = {}): Promise<void> {
    await this.waitUntil(() => this.identifies.length > 0, {
      timeoutMs: options.timeoutMs,
      what: 'IDENTIFY',
    });
  }

  /** Polls a condition re-evaluated on every REST call and message change. */
  async waitUntil<T>(
    check: () => T | undefined | false,
    options: { timeoutMs?: number; what?: string } = {},
  ): Promise<T> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const first = check();
    if (first) return first;
    return await new Promise<T>((resolve, reject) => {
      const listener = () => {
        const value = check();
        if (value) {
          cleanup();
          resolve(value);
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`discord fake: ${timeoutMs} ms waiting for ${options.what ?? 'a condition'}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
    });
  }

  /** Messages in a channel or thread, oldest first. */
  channelMessages(channelId: string): FakeMessage[] {
    return [...this.messages.values()].filter((m) => m.channel_id === channelId);
  }

  /** Threads created under a channel (or anywhere). */
  threads(parentId?: string): FakeChannel[] {
    return [...this.channels.values()].filter(
      (c) => c.type === 11 && (parentId === undefined || c.parent_id === parentId),
    );
  }

  member(user: FakeUser) {
    const { roles = [], ...plain } = user;
    return {
      user: { ...plain, discriminator: '0', global_name: user.username, avatar: null },
      roles,
      joined_at: new Date(0).toISOString(),
      deaf: false,
      mute: false,
      flags: 0,
      permissions: ALL_PERMISSIONS,
    };
  }

  /** Dispatches a `/edit` slash command; returns the interaction id and token. */
  sendEditCommand(options: {
    user: FakeUser;
    guildId?: string;
    channelId?: string;
    prompt?: string;
    clips?: FakeAttachment[];
    /** `/edit action:<action> [version:N]`, a thread command. */
    action?: string;
    version?: number;
    attachmentSizeLimit?: number;
  }): { id: string; token: string } {
    const guildId = options.guildId ?? this.guilds[0].id;
    const channelId = options.channelId ?? this.guilds[0].channels[0].id;
    const id = this.id();
    const token = `interaction-token-${id}`;
    const names = ['clip', 'clip2', 'clip3', 'clip4'];
    const clips = options.clips ?? [];
    const commandOptions: unknown[] = [];
    if (options.prompt !== undefined) commandOptions.push({ name: 'prompt', type: 3, value: options.prompt });
    if (options.action !== undefined) commandOptions.push({ name: 'action', type: 3, value: options.action });
    if (options.version !== undefined)
      commandOptions.push({ name: 'version', type: 4, value: options.version });
    clips.forEach((clip, i) => {
      commandOptions.push({ name: names[i], type: 11, value: clip.id });
    });
    this.interactionChannels.set(token, channelId);
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(id, token, guildId, channelId, options.user, options.attachmentSizeLimit),
      type: 2,
      data: {
        id: '700000000000000001',
        name: 'edit',
        type: 1,
        options: commandOptions,
        resolved: { attachments: Object.fromEntries(clips.map((c) => [c.id, c])) },
      },
    });
    return { id, token };
  }

  /** Dispatches a button press on a message. */
  pressButton(options: { user: FakeUser; message: FakeMessage; customId: string; guildId?: string }): {
    id: string;
    token: string;
  } {
    const guildId = options.guildId ?? this.guilds[0].id;
    const id = this.id();
    const token = `interaction-token-${id}`;
    this.interactionChannels.set(token, options.message.channel_id);
    this.dispatch('INTERACTION_CREATE', {
      ...this.interactionBase(id, token, guildId, options.message.channel_id, options.user),
      type: 3,
      data: { custom_id: options.customId, component_type: 2 },
      message: this.toApiMessage(options.message),
    });
    return { id, token };
  }

  /** Dispatches MESSAGE_CREATE as if a user posted in a channel or thread. */
  sendUserMessage(options: {
    user: FakeUser;
    channelId: string;
    content: string;
    attachments?: FakeAttachment[];
    mentionBot?: boolean;
  }): FakeMessage {
    const channel = this.channels.get(options.channelId);
    const guildId = channel?.guild_id ?? this.guilds[0].id;
    const content = options.mentionBot ? `<@${this.botUser.id}> ${options.content}` : options.content;
    const message: FakeMessage = {
      id: this.id(),
      channel_id: options.channelId,
      content,
      author: options.user,
      attachments: options.attachments ?? [],
      components: [],
      files: [],
      edits: 0,
      history: [content],
      pings: discordPings(content, undefined),
    };
    this.messages.set(message.id, message);
    this.dispatch('MESSAGE_CREATE', {
      ...this.toApiMessage(message),
      guild_id: guildId,
      member: this.member(options.user),
      mentions: options.mentionBot ? [{ ...this.botUser, discriminator: '0' }] : [],
      channel_type: channel?.type ?? 0,
    });
    this.notify();
    return message;
  }

  /** Adds a thread the bot did not create (for "not our thread" cases) and announces it. */
  addForeignThread(parentId: string): FakeChannel {
    const parent = this.channels.get(parentId);
    const thread: FakeChannel = {
      id: this.id(),
      type: 11,
      name: 'someone else',
      guild_id: parent?.guild_id ?? this.guilds[0].id,
      parent_id: parentId,
    };
    this.channels.set(thread.id, thread);
    this.dispatch('THREAD_CREATE', { ...this.toApiChannel(thread), newly_created: true });
    return thread;
  }

  async close(): Promise<void> {
    this.closing ??= (async () => {
      for (const socket of this.sockets) socket.terminate();
      await new Promise<void>((resolve) => this.wss.close(() => resolve()));
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server.close(() => resolve()));
    })();
    return this.closing;
  }

  private interactionBase(
    id: string,
    token: string,
    guildId: string,
    channelId: string,
    user: FakeUser,
    attachmentSizeLimit?: number,
  ) {
    const channel = this.channels.get(channelId);
    this.interactionUsers.set(token, user.id);
    return {
      id,
      token,
      application_id: this.applicationId,
      version: 1,
      guild_id: guildId,
      channel_id: channelId,
      channel: channel ? this.toApiChannel(channel) : { id: channelId, type: 0, guild_id: guildId },
      member: this.member(user),
      app_permissions: ALL_PERMISSIONS,
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
      ...(attachmentSizeLimit ? { attachment_size_limit: attachmentSizeLimit } : {}),
    };
  }

  private toApiChannel(channel: FakeChannel) {
    return {
      ...channel,
      ...(channel.type === 11
        ? {
            owner_id: this.botUser.id,
            thread_metadata: {
              archived: false,
              auto_archive_duration: 1440,
              archive_timestamp: new Date().toISOString(),
              locked: false,
            },
            message_count: 0,
            member_count: 1,
          }
        : { position: 0, permission_overwrites: [] }),
    };
  }

  private toApiMessage(message: FakeMessage) {
    const channel = this.channels.get(message.channel_id);
    return {
      id: message.id,
      channel_id: message.channel_id,
      ...(channel ? { guild_id: channel.guild_id } : {}),
      author: { ...message.author, discriminator: '0', global_name: message.author.username, avatar: null },
      content: message.content,
      timestamp: new Date().toISOString(),
      edited_timestamp: message.edits > 0 ? new Date().toISOString() : null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: message.attachments,
      embeds: [],
      components: message.components,
      pinned: false,
      type: 0,
      flags: 0,
      ...(message.thread && this.channels.get(message.thread.id)
        ? { thread: this.toApiChannel(this.channels.get(message.thread.id)!) }
        : {}),
    };
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }

  private send(socket: WebSocket, payload: unknown): void {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(payload));
  }

  private onConnection(socket: WebSocket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    this.send(socket, { op: 10, d: { heartbeat_interval: 41_250 } });
    socket.on('message', (raw) => {
      const payload = JSON.parse(raw.toString()) as { op: number; d: unknown };
      if (payload.op === 1) this.send(socket, { op: 11 });
      else if (payload.op === 2) this.onIdentify(socket, payload.d as { token: string });
      // A client reusing a session from an earlier test must start over with IDENTIFY.
      else if (payload.op === 6) this.send(socket, { op: 9, d: false });
    });
  }

  private onIdentify(socket: WebSocket, d: { token: string }): void {
    if (d.token !== this.token) {
      socket.close(4004, 'Authentication failed.');
      return;
    }
    this.identifies.push(d);
    this.send(socket, {
      op: 0,
      t: 'READY',
      s: ++this.sequence,
      d: {
        v: 10,
        user: { ...this.botUser, discriminator: '0', global_name: null, avatar: null },
        guilds: this.guilds.map((g) => ({ id: g.id, unavailable: true })),
        session_id: randomUUID(),
        resume_gateway_url: `${this.url.replace('http', 'ws')}/gateway`,
        shard: [0, 1],
        application: { id: this.applicationId, flags: 0 },
      },
    });
    // discord.js waits up to 15 s for every unavailable guild before it emits ready.
    for (const guild of this.guilds) {
      this.send(socket, {
        op: 0,
        t: 'GUILD_CREATE',
        s: ++this.sequence,
        d: {
          id: guild.id,
          name: guild.name,
          owner_id: '1',
          unavailable: false,
          member_count: 2,
          large: false,
          features: [],
          roles: [
            { id: guild.id, name: '@everyone', permissions: ALL_PERMISSIONS, position: 0, color: 0 },
            ...(this.roles.get(guild.id) ?? []).map(apiRole),
          ],
          emojis: [],
          stickers: [],
          members: [this.member(this.botUser)],
          channels: guild.channels.map((c) => this.toApiChannel(this.channels.get(c.id)!)),
          threads: [],
          presences: [],
          voice_states: [],
          stage_instances: [],
          guild_scheduled_events: [],
          joined_at: new Date(0).toISOString(),
          premium_tier: 0,
        },
      });
    }
    this.notify();
  }

  private async readBody(req: IncomingMessage): Promise<{ body: unknown; files: FakeUploadedFile[] }> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const type = req.headers['content-type'] ?? '';
    if (raw.length === 0) return { body: undefined, files: [] };
    if (type.startsWith('multipart/form-data')) {
      const form = await new Response(raw, { headers: { 'content-type': type } }).formData();
      let body: unknown;
      const files: FakeUploadedFile[] = [];
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') {
          if (field === 'payload_json') body = JSON.parse(value);
        } else {
          files.push({
            field,
            name: value.name,
            contentType: value.type,
            data: Buffer.from(await value.arrayBuffer()),
          });
        }
      }
      return { body, files };
    }
    if (type.startsWith('application/json')) return { body: JSON.parse(raw.toString('utf8')), files: [] };
    return { body: raw.toString('utf8'), files: [] };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const path = decodeURIComponent(url.pathname);
    if (req.method === 'GET' && path.startsWith('/cdn/')) {
      const file = this.cdn.get(url.pathname);
      this.calls.push({
        method: 'GET',
        path,
        query: url.searchParams,
        headers: req.headers,
        body: undefined,
        files: [],
        status: file ? 200 : 404,
        at: Date.now(),
      });
      if (!file) return json(res, 404, { message: 'Unknown attachment', code: 0 });
      res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.data.length) });
      if (file.link) sendOverSlowLink(res, file.data, file.link);
      else res.end(file.data);
      return;
    }
    const { body, files } = await this.readBody(req);
    const call: RecordedCall = {
      method: req.method ?? 'GET',
      path,
      query: url.searchParams,
      headers: req.headers,
      body,
      files,
      status: 0,
      at: Date.now(),
    };
    this.calls.push(call);
    const respond = (status: number, payload?: unknown, headers?: Record<string, string>) => {
      call.status = status;
      json(res, status, payload, headers);
      this.notify();
    };

    const failure = this.failures.find((f) => f.method === call.method && f.path.test(path));
    if (failure) {
      failure.times = (failure.times ?? 1) - 1;
      if (failure.times <= 0) this.failures.splice(this.failures.indexOf(failure), 1);
      if (failure.hang) return;
      return respond(
        failure.status ?? 500,
        failure.body ?? { message: 'injected failure', code: 0 },
        failure.headers,
      );
    }

    const route = path.replace(/^\/api\/v10/, '');
    if (!path.startsWith('/api/v10/')) return respond(404, { message: '404: Not Found', code: 0 });
    const isInteractionCallback = /^\/interactions\/\d+\/[^/]+\/callback$/.test(route);
    const isWebhook = route.startsWith('/webhooks/');
    if (!isInteractionCallback && !isWebhook && req.headers.authorization !== `Bot ${this.token}`) {
      return respond(401, { message: '401: Unauthorized', code: 0 });
    }

    const content = (body as { content?: unknown } | undefined)?.content;
    if (typeof content === 'string' && content.length > DISCORD_MAX_CONTENT_CHARS) {
      // What Discord answers for a message over its limit: nothing is posted.
      return respond(400, {
        message: 'Invalid Form Body',
        code: 50035,
        errors: {
          content: {
            _errors: [
              {
                code: 'BASE_TYPE_MAX_LENGTH',
                message: `Must be ${DISCORD_MAX_CONTENT_CHARS} or fewer in length.`,
              },
            ],
          },
        },
      });
    }

    const request: RouteRequest = {
      method: call.method,
      body: (body ?? {}) as Record<string, unknown>,
      files,
    };
    for (const [method, pattern, handler] of this.routes) {
      const match = pattern.exec(route);
      if (match && (method === '*' || method === call.method)) {
        const [status, payload] = handler(match, request);
        return respond(status, payload);
      }
    }
    return respond(404, { message: `404: Not Found (${req.method} ${route})`, code: 0 });
  }

  private readonly routes: [string, RegExp, RouteHandler][] = [
    [
      'GET',
      /^\/gateway\/bot$/,
      () => [
        200,
        {
          url: `${this.url.replace('http', 'ws')}/gateway`,
          shards: 1,
          session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
        },
      ],
    ],
    [
      'GET',
      /^\/users\/@me$/,
      () => [200, { ...this.botUser, discriminator: '0', global_name: null, avatar: null }],
    ],
    [
      'GET',
      /^\/applications\/@me$/,
      () => [
        200,
        { id: this.applicationId, name: 'cutroom', bot: this.botUser, flags: this.applicationFlags },
      ],
    ],
    [
      'PUT',
      /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/,
      ([, applicationId, guildId], { body }) => {
        const registered = (body as unknown as Record<string, unknown>[]).map((command) => ({
          ...command,
          id: this.id(),
          application_id: applicationId,
          version: this.id(),
          ...(guildId ? { guild_id: guildId } : {}),
        }));
        this.commands.set(guildId ? `guild:${guildId}` : 'global', registered);
        return [200, registered];
      },
    ],
    [
      'POST',
      /^\/interactions\/(\d+)\/([^/]+)\/callback$/,
      ([, , token], { body, files }) => {
        const channelId = this.interactionChannels.get(token);
        const data = (body.data ?? {}) as Record<string, unknown>;
        // A deferred ephemeral reply stays ephemeral when its original is edited later.
        if (isEphemeral(data)) this.ephemeralTokens.add(token);
        if (body.type === 4 && channelId)
          this.createMessage(channelId, data, files, { token, original: true });
        return [204, undefined];
      },
    ],
    [
      '*',
      /^\/webhooks\/(\d+)\/([^/]+)\/messages\/@original$/,
      ([, , token], { method, body, files }) => {
        const channelId = this.interactionChannels.get(token);
        if (!channelId) return [404, { message: 'Unknown Webhook', code: 10015 }];
        const original = this.originals.get(token);
        let message = original ? this.messages.get(original) : undefined;
        if (method === 'GET') {
          return message
            ? [200, this.toApiMessage(message)]
            : [404, { message: 'Unknown Message', code: 10008 }];
        }
        if (method !== 'PATCH') return [405, { message: '405: Method Not Allowed', code: 0 }];
        if (message) this.editMessage(message, body, files);
        else message = this.createMessage(channelId, body, files, { token, original: true });
        return [200, this.toApiMessage(message)];
      },
    ],
    [
      'POST',
      /^\/webhooks\/(\d+)\/([^/]+)$/,
      ([, , token], { body, files }) => {
        const channelId = this.interactionChannels.get(token);
        if (!channelId) return [404, { message: 'Unknown Webhook', code: 10015 }];
        return [200, this.toApiMessage(this.createMessage(channelId, body, files, { token }))];
      },
    ],
    [
      'GET',
      /^\/channels\/(\d+)$/,
      ([, channelId]) => {
        const channel = this.channels.get(channelId);
        return channel
          ? [200, this.toApiChannel(channel)]
          : [404, { message: 'Unknown Channel', code: 10003 }];
      },
    ],
    [
      'POST',
      /^\/channels\/(\d+)\/messages$/,
      ([, channelId], { body, files }) => {
        if (!this.channels.has(channelId)) return [404, { message: 'Unknown Channel', code: 10003 }];
        return [200, this.toApiMessage(this.createMessage(channelId, body, files))];
      },
    ],
    [
      '*',
      /^\/channels\/(\d+)\/messages\/(\d+)$/,
      ([, channelId, messageId], { method, body, files }) => {
        const message = this.messages.get(messageId);
        if (!message || message.channel_id !== channelId)
          return [404, { message: 'Unknown Message', code: 10008 }];
        if (method === 'GET') return [200, this.toApiMessage(message)];
        if (method !== 'PATCH') return [405, { message: '405: Method Not Allowed', code: 0 }];
        this.editMessage(message, body, files);
        return [200, this.toApiMessage(message)];
      },
    ],
    [
      'POST',
      /^\/channels\/(\d+)\/messages\/(\d+)\/threads$/,
      ([, channelId, messageId], { body }) => {
        const parent = this.channels.get(channelId);
        const message = this.messages.get(messageId);
        if (!parent || !message) return [404, { message: 'Unknown Message', code: 10008 }];
        if (message.thread) {
          return [400, { message: 'A thread has already been created for this message', code: 160004 }];
        }
        // A thread started from a message shares the message's id, as on Discord.
        const thread: FakeChannel = {
          id: message.id,
          type: 11,
          name: String(body.name ?? 'thread'),
          guild_id: parent.guild_id,
          parent_id: parent.id,
        };
        this.channels.set(thread.id, thread);
        message.thread = { id: thread.id, name: thread.name };
        this.dispatch('THREAD_CREATE', { ...this.toApiChannel(thread), newly_created: true });
        return [201, this.toApiChannel(thread)];
      },
    ],
  ];

  private readonly originals = new Map<string, string>();
  private readonly ephemeralTokens = new Set<string>();

  private createMessage(
    channelId: string,
    body: Record<string, unknown>,
    files: FakeUploadedFile[],
    interaction?: { token: string; original?: boolean },
  ): FakeMessage {
    const originalToken = interaction?.original ? interaction.token : undefined;
    const ephemeral = isEphemeral(body) || (originalToken && this.ephemeralTokens.has(originalToken));
    const shownTo = ephemeral && interaction ? this.interactionUsers.get(interaction.token) : undefined;
    const nonce = body.enforce_nonce ? String(body.nonce ?? '') : '';
    const same = nonce ? this.channelMessages(channelId).find((m) => m.nonce === nonce) : undefined;
    if (same) return same;
    const content = String(body.content ?? '');
    const message: FakeMessage = {
      id: this.id(),
      channel_id: channelId,
      ...(nonce ? { nonce } : {}),
      content,
      history: [content],
      pings: discordPings(content, body.allowed_mentions),
      author: this.botUser,
      attachments: [],
      components: (body.components as unknown[]) ?? [],
      files,
      edits: 0,
      ...(ephemeral ? { ephemeral: true } : {}),
      ...(shownTo ? { shownTo } : {}),
    };
    message.attachments = this.attachmentsFor(files);
    this.messages.set(message.id, message);
    if (originalToken) this.originals.set(originalToken, message.id);
    this.notify();
    return message;
  }

  private editMessage(message: FakeMessage, body: Record<string, unknown>, files: FakeUploadedFile[]): void {
    if (body.content !== undefined) {
      message.content = String(body.content ?? '');
      message.history.push(message.content);
    }
    if (body.components !== undefined) message.components = (body.components as unknown[]) ?? [];
    if (files.length > 0) {
      message.files = files;
      message.attachments = this.attachmentsFor(files);
    }
    message.edits += 1;
    this.notify();
  }

  private attachmentsFor(files: FakeUploadedFile[]): FakeAttachment[] {
    return files.map((file) => this.addAttachment(file.name, file.data, file.contentType));
  }
}

function apiRole(role: { id: string; name: string }) {
  return {
    ...role,
    permissions: '0',
    position: 1,
    color: 0,
    hoist: false,
    managed: false,
    mentionable: false,
  };
}

/**
 * What Discord notifies for in `content` under `allowed`: without it every mention in the text; with it only the kinds
 * in `parse` and the ids in `users` and `roles`.
 */
function discordPings(content: string, allowed: unknown): string[] {
  const rules = allowed as { parse?: string[]; users?: string[]; roles?: string[] } | undefined;
  const lets = (kind: 'everyone' | 'users' | 'roles', id?: string) =>
    !rules ||
    (rules.parse ?? []).includes(kind) ||
    (kind === 'users' && id !== undefined && (rules.users ?? []).includes(id)) ||
    (kind === 'roles' && id !== undefined && (rules.roles ?? []).includes(id));
  return [...content.matchAll(/@(everyone|here)\b|<@(!?|&)(\d+)>/g)].flatMap((m) => {
    if (m[1]) return lets('everyone') ? [`@${m[1]}`] : [];
    const kind = m[2] === '&' ? 'roles' : 'users';
    return lets(kind, m[3]) ? [m[0]] : [];
  });
}
