/** @module `cutroom browser-server`: Playwright browser sessions over WebSocket behind a token, capacity and version check. */
import { once } from 'node:events';
import http from 'node:http';
import { createRequire } from 'node:module';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { chromium } from 'playwright-core';
import { CutroomError, ErrorCode } from '../errors.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import { type ChromiumSandbox, prepareChromiumLaunch } from './chromium-launch.ts';
import { ChromiumSupervisor } from './chromium-supervisor.ts';
import { describeGpuUsage, detectGpu, type GpuInfo, type GpuUsage } from './gpu.ts';
import { SessionGate } from './session-gate.ts';
import { relaySession, type SessionRelay } from './session-relay.ts';
import { refuseUpgrade } from './upgrade-refusal.ts';

/** The `playwright-core` version this process runs; a client must match its major.minor. */
export const PLAYWRIGHT_VERSION: string = createRequire(import.meta.url)(
  'playwright-core/package.json',
).version;

export interface BrowserServerOptions {
  /** @defaultValue 0 (a free port) */
  port?: number;
  /** Interface to bind. @defaultValue '127.0.0.1' */
  host?: string;
  /** Clients must send `Authorization: Bearer <token>` (never in the URL). Required, never logged. */
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
  /** Memory each Chromium process (each page) may use. @defaultValue 4096 */
  memoryMb?: number;
  /** The unprivileged user Chromium runs as when the server runs as root. @defaultValue 'cutroom-chromium' */
  chromiumUser?: string;
  /** Extra Chromium flags (the security tests add a NetLog to observe name resolution). */
  args?: string[];
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
  /** How Chromium is confined on this server (see chromium-launch.ts). */
  sandbox: Pick<ChromiumSandbox, 'mode' | 'reason'>;
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

type ResolvedOptions = Required<
  Omit<BrowserServerOptions, 'chromiumPath' | 'memoryMb' | 'chromiumUser' | 'args'>
> &
  Pick<BrowserServerOptions, 'chromiumPath' | 'memoryMb' | 'chromiumUser' | 'args'>;

const GPU_PROBE_URL = 'http://127.0.0.1/__cutroom_gpu_probe';
const GPU_PROBE_TIMEOUT_MS = 15_000;

/** Drops `undefined` fields so they do not override defaults when spread (`{ chromiumPath: config.x }`). */
function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

function resolveOptions(options: BrowserServerOptions): ResolvedOptions {
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
  return opts;
}

/** Which GPU the browser behind `wsEndpoint` really draws with, seen from a page. */
async function probeGpu(wsEndpoint: string): Promise<GpuUsage> {
  const browser = await chromium.connect(wsEndpoint, { timeout: GPU_PROBE_TIMEOUT_MS });
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

async function listen(server: http.Server, port: number, host: string): Promise<void> {
  try {
    server.listen(port, host);
    await once(server, 'listening');
  } catch (error) {
    throw new CutroomError(
      ErrorCode.BrowserLaunchFailed,
      `browser-server could not listen on ${host}:${port}: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** The front server: health endpoints, and upgrades that pass the gate piped through to Chromium. */
class FrontDoor {
  readonly server = http.createServer((req, res) => this.onRequest(req, res));
  private readonly pipes = new Set<SessionRelay>();
  private closing = false;

  constructor(
    private readonly opts: ResolvedOptions,
    private readonly chromium: ChromiumSupervisor,
    private readonly gate: SessionGate,
    private readonly logger: Logger,
    private readonly health: () => BrowserServerHealth,
  ) {
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (_error, socket) => socket.destroy());
  }

  get sessions(): number {
    return this.pipes.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const pipe of this.pipes) pipe.destroy();
    this.server.closeAllConnections();
    await closed;
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const remote = req.socket.remoteAddress;
    const target = this.chromium.wsEndpoint;
    const refusal = this.gate.check(req, {
      browserRunning: target !== undefined && !this.closing,
      sessions: this.sessions,
    });
    if (refusal) {
      this.logger[refusal.reason === 'full' ? 'info' : 'warn'](
        { remote, reason: refusal.reason, sessions: this.sessions },
        `refused a session: ${refusal.message}`,
      );
      refuseUpgrade(socket, refusal);
      return;
    }
    const started = Date.now();
    const pipe = relaySession(req, socket, head, new URL(target as string), {
      onRefused: (reason) => this.logger.warn({ remote, reason }, 'refused a session request'),
      onEnd: () => {
        this.pipes.delete(pipe);
        this.logger.info({ sessions: this.sessions, durationMs: Date.now() - started }, 'session closed');
      },
    });
    this.pipes.add(pipe);
    this.logger.info({ sessions: this.sessions, maxSessions: this.opts.maxSessions }, 'session opened');
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const pathname = new URL(req.url ?? '/', 'http://front').pathname;
    if (req.method === 'GET' && (pathname === '/healthz' || pathname === '/readyz')) {
      const body = this.health();
      const up = pathname === '/healthz' ? body.ok : body.ok && body.available > 0;
      res.writeHead(up ? 200 : 503, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(JSON.stringify(body));
      return;
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('cutroom browser-server: WebSocket sessions, GET /healthz, GET /readyz\n');
  }
}

/**
 * Starts Chromium through `chromium.launchServer` on a private loopback port and a front server that checks each
 * WebSocket upgrade (token, client version, free slot) before relaying it, message by message, under the session
 * policy (no server files, raw DevTools or local schemes). Each accepted connection is one
 * session; the worker creates its own context in it and closing the connection discards that context.
 * @example
 * const server = await startBrowserServer({ port: 9223, host: '0.0.0.0', token, maxSessions: 4, logger });
 * // workers: BROWSER_WS_ENDPOINT=ws://this-host:9223/ CUTROOM_BROWSER_TOKEN=<token>
 */
export async function startBrowserServer(options: BrowserServerOptions): Promise<BrowserServer> {
  const opts = resolveOptions(options);
  const logger = opts.logger.child({ component: 'browser-server' });
  const gpu = detectGpu({ mode: opts.gpu, devRoot: opts.devRoot });
  const prepared = await prepareChromiumLaunch({
    chromiumPath: opts.chromiumPath,
    gpuFlags: gpu.present ? gpu.flags : undefined,
    memoryMb: opts.memoryMb,
    user: opts.chromiumUser,
    args: opts.args,
  });
  const { mode, reason } = prepared.sandbox;
  const chromiumProcess = new ChromiumSupervisor({
    launch: prepared.options,
    launchTimeoutMs: opts.launchTimeoutMs,
    logger,
  });
  let gpuUsage: GpuUsage | null = null;
  let closing = false;
  const health = (): BrowserServerHealth => {
    const ok = chromiumProcess.running && !closing;
    return {
      ok,
      sessions: front.sessions,
      maxSessions: opts.maxSessions,
      available: ok ? Math.max(0, opts.maxSessions - front.sessions) : 0,
      playwrightVersion: opts.playwrightVersion,
      gpu: { present: gpu.present, kind: gpu.kind, usage: gpuUsage },
      sandbox: { mode, reason },
    };
  };
  const gate = new SessionGate({
    token: opts.token,
    playwrightVersion: opts.playwrightVersion,
    maxSessions: opts.maxSessions,
  });
  const front = new FrontDoor(opts, chromiumProcess, gate, logger, health);

  const internal = await chromiumProcess.start();
  try {
    gpuUsage = await probeGpu(internal.wsEndpoint());
    logger.info({ gpu: gpu.kind, usage: gpuUsage.summary }, 'GPU probe');
  } catch (error) {
    logger.warn({ err: error }, 'GPU probe failed; health reports usage as unknown');
  }
  try {
    await listen(front.server, opts.port, opts.host);
  } catch (error) {
    await chromiumProcess.close();
    await prepared.cleanup();
    throw error;
  }
  front.server.on('error', (error) => logger.error({ err: error }, 'front server error'));
  const address = front.server.address() as net.AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;
  logger.info(
    {
      url,
      maxSessions: opts.maxSessions,
      gpu: gpu.kind,
      sandbox: mode,
      why: reason,
      playwrightVersion: opts.playwrightVersion,
    },
    'browser-server listening',
  );

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed ??= (async () => {
      closing = true;
      await front.close().catch((error) => logger.warn({ err: error }, 'front server close failed'));
      await chromiumProcess.close();
      await prepared.cleanup();
      logger.info({}, 'browser-server closed');
    })();
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
