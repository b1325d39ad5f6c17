/** @module `cutroom browser-server`: Playwright browser sessions over WebSocket behind a token, capacity and version check. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { chromium, type BrowserServer as PlaywrightBrowserServer } from 'playwright-core';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import { chromiumLaunchArgs } from './chromium-args.ts';
import { findChromium } from './find-chromium.ts';
import { describeGpuUsage, detectGpu, type GpuInfo, type GpuUsage } from './gpu.ts';

/** The `playwright-core` version this process runs; a client must match its major.minor. */
export const PLAYWRIGHT_VERSION: string = createRequire(import.meta.url)(
  'playwright-core/package.json',
).version;

/** Headers a refusal carries so clients can tell "try another server" from "fix your setup". */
export const RefusalHeader = {
  Reason: 'x-cutroom-refusal',
  ServerVersion: 'x-cutroom-playwright-version',
} as const;

export const RefusalReason = {
  Unauthorized: 'unauthorized',
  VersionMismatch: 'version_mismatch',
  Full: 'full',
  Unavailable: 'unavailable',
} as const;
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

export interface BrowserServerOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** Interface to bind. @defaultValue '127.0.0.1' */
  host?: string;
  /** Clients must send `Authorization: Bearer <token>` (or `?token=`). Required, never logged. */
  token: string;
  /** Concurrent WebSocket sessions; one more is refused with 503. @defaultValue 2 */
  maxSessions?: number;
  /** @defaultValue found on PATH (`findChromium`) */
  chromiumPath?: string;
  /** `off` keeps `--disable-gpu` even when a GPU is visible. @defaultValue 'auto' */
  gpu?: 'auto' | 'off';
  /** Where to look for GPU device files. @defaultValue '/dev' */
  devRoot?: string;
  /** The version this server claims to clients; other values only make sense to test skew handling. @defaultValue PLAYWRIGHT_VERSION */
  playwrightVersion?: string;
  /** How long to wait for Chromium to start. @defaultValue 30_000 */
  launchTimeoutMs?: number;
  logger?: Logger;
}

export interface BrowserServerHealth {
  /** Chromium is running and accepting sessions (capacity aside). */
  ok: boolean;
  sessions: number;
  maxSessions: number;
  available: number;
  playwrightVersion: string;
  gpu: { present: boolean; kind: GpuInfo['kind']; usage: GpuUsage | null };
}

export interface BrowserServer {
  /** `http://host:port`: `/healthz` (liveness and capacity) and `/readyz` (200 only with a free slot). */
  readonly url: string;
  /** What workers put in BROWSER_WS_ENDPOINT. */
  readonly wsEndpoint: string;
  health(): BrowserServerHealth;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const GPU_PROBE_URL = 'http://127.0.0.1/__cutroom_gpu_probe';
const GPU_PROBE_TIMEOUT_MS = 15_000;
const RELAUNCH_DELAY_MS = 1000;
const MAX_RELAUNCH_DELAY_MS = 10_000;

/** Drops `undefined` fields so they do not override defaults when spread (`{ chromiumPath: config.x }`). */
function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** The Playwright version a client announces in its `User-Agent` (`Playwright/1.65.1 (...)`), if any. */
export function clientPlaywrightVersion(userAgent: string | undefined): string | undefined {
  return /^Playwright\/(\d+\.\d+\.\d+)/.exec(userAgent ?? '')?.[1];
}

function refuse(
  socket: Duplex,
  status: number,
  statusText: string,
  reason: RefusalReason,
  message: string,
  extra: Record<string, string> = {},
): void {
  const body = `${message}\n`;
  const headers = {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    [RefusalHeader.Reason]: reason,
    ...extra,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${statusText}\r\n${head}\r\n${body}`);
}

/**
 * Starts Chromium through `chromium.launchServer` on a private loopback port and a front server that checks each
 * WebSocket upgrade (token, client version, free slot) before piping it through. Each accepted connection is one
 * session; the worker creates its own context in it and closing the connection discards that context.
 * @example
 * const server = await startBrowserServer({ port: 9223, host: '0.0.0.0', token, maxSessions: 4, logger });
 * // workers: BROWSER_WS_ENDPOINT=ws://this-host:9223/ CUTROOM_BROWSER_TOKEN=<token>
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const opts = {
    port: 0,
    host: '127.0.0.1',
    maxSessions: 2,
    gpu: 'auto' as const,
    devRoot: '/dev',
    playwrightVersion: PLAYWRIGHT_VERSION,
    launchTimeoutMs: 30_000,
    logger: createSilentLogger(),
    ...definedOnly(options),
  };
  if (!opts.token) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'browser-server needs a token: set CUTROOM_BROWSER_TOKEN',
      {
        userMessage: 'cutroom is misconfigured; an operator needs to check the logs.',
      },
    );
  }
  if (!Number.isInteger(opts.maxSessions) || opts.maxSessions < 1) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      `browser-server maxSessions must be an integer ≥ 1, got ${JSON.stringify(opts.maxSessions)}`,
    );
  }
  const logger = opts.logger.child({ component: 'browser-server' });
  const tokenDigest = digest(opts.token);
  const gpu = detectGpu({ mode: opts.gpu, devRoot: opts.devRoot });
  const args = chromiumLaunchArgs({ gpuFlags: gpu.present ? gpu.flags : undefined });
  let gpuUsage: GpuUsage | null = null;

  let internal: PlaywrightBrowserServer | undefined;
  let closing = false;
  let closed: Promise<void> | undefined;
  let relaunchTimer: NodeJS.Timeout | undefined;
  const sockets = new Set<Duplex>();
  let sessions = 0;

  async function launch(): Promise<PlaywrightBrowserServer> {
    const server = await chromium.launchServer({
      executablePath: findChromium(opts.chromiumPath),
      args,
      headless: true,
      host: '127.0.0.1',
      port: 0,
      timeout: opts.launchTimeoutMs,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
    });
    server.on('close', () => {
      if (internal === server) internal = undefined;
      if (closing) return;
      logger.error(
        { relaunchInMs: RELAUNCH_DELAY_MS },
        'Chromium exited; its sessions are lost, relaunching',
      );
      scheduleRelaunch(RELAUNCH_DELAY_MS);
    });
    return server;
  }

  // Keeps trying while Chromium will not start (e.g. out of memory): /healthz says not ok meanwhile, so an
  // orchestrator can also replace the whole server.
  function scheduleRelaunch(delayMs: number): void {
    relaunchTimer = setTimeout(() => {
      launch()
        .then((next) => {
          if (closing) return next.close();
          internal = next;
          logger.info({}, 'Chromium relaunched');
        })
        .catch((error: unknown) => {
          logger.error({ err: error, retryInMs: MAX_RELAUNCH_DELAY_MS }, 'Chromium relaunch failed');
          if (!closing) scheduleRelaunch(MAX_RELAUNCH_DELAY_MS);
        });
    }, delayMs);
  }

  async function probeGpu(server: PlaywrightBrowserServer): Promise<GpuUsage | null> {
    const browser = await chromium.connect(server.wsEndpoint(), { timeout: GPU_PROBE_TIMEOUT_MS });
    try {
      const page = await browser.newPage();
      await page.route(GPU_PROBE_URL, (route) =>
        route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>gpu</title>' }),
      );
      await page.goto(GPU_PROBE_URL, { timeout: GPU_PROBE_TIMEOUT_MS });
      return await describeGpuUsage(page);
    } finally {
      await browser.close();
    }
  }

  function health(): BrowserServerHealth {
    const ok = internal !== undefined && !closing;
    return {
      ok,
      sessions,
      maxSessions: opts.maxSessions,
      available: ok ? Math.max(0, opts.maxSessions - sessions) : 0,
      playwrightVersion: opts.playwrightVersion,
      gpu: { present: gpu.present, kind: gpu.kind, usage: gpuUsage },
    };
  }

  function authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    const query = new URL(req.url ?? '/', 'http://front').searchParams.get('token');
    const offered = bearer ?? query;
    return offered !== null && offered !== undefined && timingSafeEqual(digest(offered), tokenDigest);
  }

  function onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const remote = req.socket.remoteAddress;
    if (!authorized(req)) {
      logger.warn({ remote }, 'refused a session: missing or wrong token');
      refuse(
        socket,
        401,
        'Unauthorized',
        RefusalReason.Unauthorized,
        'cutroom browser-server: missing or wrong token',
      );
      return;
    }
    const clientVersion = clientPlaywrightVersion(req.headers['user-agent']);
    if (clientVersion && majorMinor(clientVersion) !== majorMinor(opts.playwrightVersion)) {
      logger.warn(
        { remote, clientVersion, serverVersion: opts.playwrightVersion },
        'refused a session: version skew',
      );
      refuse(
        socket,
        428,
        'Precondition Required',
        RefusalReason.VersionMismatch,
        `cutroom browser-server: Playwright version mismatch: server ${opts.playwrightVersion}, client ${clientVersion}; ` +
          'workers and browser servers must run the same playwright-core major.minor (deploy them from the same cutroom version)',
        { [RefusalHeader.ServerVersion]: opts.playwrightVersion },
      );
      return;
    }
    const target = internal;
    if (!target || closing) {
      refuse(
        socket,
        503,
        'Service Unavailable',
        RefusalReason.Unavailable,
        'cutroom browser-server: Chromium is not running',
        { 'Retry-After': '1' },
      );
      return;
    }
    if (sessions >= opts.maxSessions) {
      logger.info({ remote, sessions, maxSessions: opts.maxSessions }, 'refused a session: full');
      refuse(
        socket,
        503,
        'Service Unavailable',
        RefusalReason.Full,
        `cutroom browser-server: full (${sessions}/${opts.maxSessions} sessions in use)`,
        { 'Retry-After': '1' },
      );
      return;
    }
    sessions += 1;
    pipeToInternal(req, socket, head, new URL(target.wsEndpoint()));
  }

  function pipeToInternal(req: http.IncomingMessage, socket: Duplex, head: Buffer, target: URL): void {
    const started = Date.now();
    const upstream = net.connect(Number(target.port), target.hostname);
    sockets.add(socket);
    sockets.add(upstream);
    logger.info({ sessions, maxSessions: opts.maxSessions }, 'session opened');
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      sessions -= 1;
      sockets.delete(socket);
      sockets.delete(upstream);
      socket.destroy();
      upstream.destroy();
      logger.info({ sessions, durationMs: Date.now() - started }, 'session closed');
    };
    socket.on('close', end);
    upstream.on('close', end);
    upstream.on('error', end);
    upstream.on('connect', () => {
      const lines = [`GET ${target.pathname} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2) {
        const name = req.rawHeaders[i];
        const lower = name.toLowerCase();
        // The token stays at the front door: Chromium's server must never see or log it.
        if (lower === 'authorization' || lower === 'host') continue;
        lines.push(`${name}: ${req.rawHeaders[i + 1]}`);
      }
      lines.push(`Host: ${target.host}`);
      upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length > 0) upstream.write(head);
      socket.pipe(upstream);
      upstream.pipe(socket);
    });
  }

  function onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pathname = new URL(req.url ?? '/', 'http://front').pathname;
    if (req.method === 'GET' && (pathname === '/healthz' || pathname === '/readyz')) {
      const body = health();
      const up = pathname === '/healthz' ? body.ok : body.ok && body.available > 0;
      res.writeHead(up ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('cutroom browser-server: WebSocket sessions, GET /healthz, GET /readyz\n');
  }

  internal = await launch();
  try {
    gpuUsage = await probeGpu(internal);
    logger.info({ gpu: gpu.kind, usage: gpuUsage?.summary }, 'GPU probe');
  } catch (error) {
    logger.warn({ err: error }, 'GPU probe failed; health reports usage as unknown');
  }

  const front = http.createServer(onRequest);
  front.on('upgrade', onUpgrade);
  front.on('clientError', (_error, socket) => socket.destroy());
  try {
    front.listen(opts.port, opts.host);
    await once(front, 'listening');
  } catch (error) {
    closing = true;
    await internal.close();
    throw new CutroomError(
      ErrorCode.BrowserLaunchFailed,
      `browser-server could not listen on ${opts.host}:${opts.port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  front.on('error', (error) => logger.error({ err: error }, 'front server error'));
  const address = front.address() as net.AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  logger.info(
    { url, maxSessions: opts.maxSessions, gpu: gpu.kind, playwrightVersion: opts.playwrightVersion },
    'browser-server listening',
  );

  async function doClose(): Promise<void> {
    closing = true;
    clearTimeout(relaunchTimer);
    const frontClosed = new Promise<void>((resolve) => front.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    front.closeAllConnections();
    try {
      await frontClosed;
    } catch (error) {
      logger.warn({ err: error }, 'front server close failed');
    }
    try {
      await internal?.close();
    } catch (error) {
      logger.warn({ err: error }, 'Chromium close failed');
    }
    logger.info({}, 'browser-server closed');
  }

  const close = (): Promise<void> => {
    closed ??= doClose();
    return closed;
  };

  return {
    url,
    wsEndpoint: `ws://${hostForUrl}:${address.port}/`,
    health,
    close,
    [Symbol.asyncDispose]: close,
  };
}
