/** @module Picks a remote browser endpoint for each session: spreads load, skips full and dead servers, detects version skew. */
import { stripVTControlCharacters } from 'node:util';
import { type Browser, chromium } from 'playwright-core';
import { CancelledError, CutroomError, ErrorCode } from '../errors.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import type { BrowserServerHealth } from './browser-server.ts';
import type { WaitOptions } from './types.ts';

export interface RemoteBrowserConnectorOptions {
  /** `ws://` or `wss://` URLs of `cutroom browser-server`s, or one load balancer in front of many. */
  endpoints: string[];
  /** Sent as `Authorization: Bearer <token>`; never logged. */
  token?: string;
  /** Limit for one endpoint's WebSocket handshake and Playwright setup. @defaultValue 10_000 */
  connectTimeoutMs?: number;
  /** Default overall limit of `connect()`, spent retrying full or dead endpoints. @defaultValue 30_000 */
  acquireTimeoutMs?: number;
  /** First pause after every endpoint refused; doubles up to 2 s. @defaultValue 250 */
  retryDelayMs?: number;
  /** How long a failed endpoint is tried after the others; after that it takes its turn again. @defaultValue 10_000 */
  failureCooldownMs?: number;
  logger?: Logger;
}

export interface RemoteBrowser {
  browser: Browser;
  /** The endpoint that served it, as configured (for logs use `redactEndpoint`). */
  endpoint: string;
}

export interface EndpointHealth {
  /** Redacted. */
  endpoint: string;
  health?: BrowserServerHealth;
  /** Why there is no health report (unreachable, not a cutroom browser-server …). */
  error?: string;
}

/** Why one endpoint did not give a session. */
export type EndpointOutcome =
  | { kind: 'full'; detail: string }
  | { kind: 'dead'; detail: string }
  | { kind: 'unauthorized'; detail: string }
  | { kind: 'version_mismatch'; detail: string; serverVersion?: string; clientVersion?: string };

const MAX_RETRY_DELAY_MS = 2000;
const TIMED_OUT = 'connect timed out';

/** The endpoint without credentials (`?token=`, user:password), safe for messages and logs. */
export function redactEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString();
  } catch {
    return '[invalid endpoint]';
  }
}

/**
 * Sorts a failed `chromium.connect` into full / dead / unauthorized / version mismatch. Playwright reports a refused
 * WebSocket upgrade as `WebSocket error: <url> <status> <text>\n<body>`, so the status code is the reliable part.
 */
export function classifyConnectError(error: unknown): EndpointOutcome {
  // Playwright appends a colourised call log; only the status line and the first body line matter.
  const lines = stripVTControlCharacters(error instanceof Error ? error.message : String(error)).split('\n');
  const statusIndex = lines.findIndex((line) => line.includes('WebSocket error: '));
  const status = Number(/WebSocket error: \S+ (\d{3}) /.exec(lines[statusIndex] ?? '')?.[1] ?? 0);
  const body = status && statusIndex >= 0 ? (lines[statusIndex + 1] ?? '').trim() : '';
  const message = lines.join(' ');
  if (status === 401 || status === 403)
    return { kind: 'unauthorized', detail: `refused the token (${status})` };
  if (status === 426 || status === 428) {
    // Our front says "server X, client Y"; Playwright's own server draws "server version: vX" in a box.
    const ours = /server (\d+\.\d+\.\d+), client (\d+\.\d+\.\d+)/.exec(message);
    const serverVersion = ours?.[1] ?? /server version: v([\d.]+)/.exec(message)?.[1];
    const clientVersion = ours?.[2] ?? /client version: v([\d.]+)/.exec(message)?.[1];
    return { kind: 'version_mismatch', detail: `version mismatch (${status})`, serverVersion, clientVersion };
  }
  if (status === 503 || status === 429) {
    return { kind: 'full', detail: body.replace(/^cutroom browser-server: /, '') || `busy (${status})` };
  }
  if (status !== 0) return { kind: 'dead', detail: `answered ${status}` };
  const cause = /(ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|EAI_AGAIN|socket hang up)/.exec(
    message,
  )?.[1];
  if (cause) return { kind: 'dead', detail: `unreachable (${cause})` };
  if (/Timeout \d+ms exceeded|timed out/i.test(message)) return { kind: 'dead', detail: TIMED_OUT };
  return { kind: 'dead', detail: (lines[0] ?? '').replace(/^[\w.]+: /, '').slice(0, 200) };
}

/** Drops `undefined` fields so they do not override defaults when spread (`{ chromiumPath: config.x }`). */
function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('browser connect cancelled'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CancelledError('browser connect cancelled'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Opens Playwright sessions on remote `cutroom browser-server`s. Each `connect()` starts from the next endpoint in
 * turn (so sessions spread), puts endpoints that failed recently last, skips full (503) and dead ones, and keeps
 * going round with a growing pause until one accepts or the time is up. A version mismatch fails at once: no other
 * endpoint or retry can fix it.
 * @example
 * const connector = new RemoteBrowserConnector({ endpoints: config.browser.wsEndpoints, token: config.browser.token });
 * const { browser, endpoint } = await connector.connect({ timeoutMs: 30_000, signal });
 */
export class RemoteBrowserConnector {
  readonly endpoints: readonly string[];
  private readonly token?: string;
  private readonly connectTimeoutMs: number;
  private readonly acquireTimeoutMs: number;
  private readonly retryDelayMs: number;
  private readonly failureCooldownMs: number;
  private readonly logger: Logger;
  private cursor = 0;
  private readonly lastFailureAt = new Map<string, number>();

  constructor(options: RemoteBrowserConnectorOptions) {
    const opts = {
      connectTimeoutMs: 10_000,
      acquireTimeoutMs: 30_000,
      retryDelayMs: 250,
      failureCooldownMs: 10_000,
      logger: createSilentLogger(),
      ...definedOnly(options),
    };
    if (opts.endpoints.length === 0) {
      throw new CutroomError(ErrorCode.ConfigInvalid, 'RemoteBrowserConnector needs at least one endpoint');
    }
    for (const endpoint of opts.endpoints) {
      if (!URL.canParse(endpoint) || !/^wss?:$/.test(new URL(endpoint).protocol)) {
        throw new CutroomError(
          ErrorCode.ConfigInvalid,
          `BROWSER_WS_ENDPOINT entries must be ws:// or wss:// URLs, got ${JSON.stringify(redactEndpoint(endpoint))}`,
          { userMessage: 'cutroom is misconfigured; an operator needs to check the logs.' },
        );
      }
      if (new URL(endpoint).searchParams.has('token')) {
        throw new CutroomError(
          ErrorCode.ConfigInvalid,
          `BROWSER_WS_ENDPOINT ${JSON.stringify(redactEndpoint(endpoint))} carries the token in its URL; browser servers refuse that (URLs end up in logs): set CUTROOM_BROWSER_TOKEN instead`,
        );
      }
    }
    this.endpoints = [...opts.endpoints];
    this.token = opts.token;
    this.connectTimeoutMs = opts.connectTimeoutMs;
    this.acquireTimeoutMs = opts.acquireTimeoutMs;
    this.retryDelayMs = opts.retryDelayMs;
    this.failureCooldownMs = opts.failureCooldownMs;
    this.logger = opts.logger.child({ component: 'remote-browser-connector' });
  }

  /** Marks an endpoint as failed now (e.g. its session died mid-job) so the next sessions try others first. */
  reportFailure(endpoint: string): void {
    this.lastFailureAt.set(endpoint, Date.now());
  }

  /** Endpoints in the order the next `connect()` tries them. */
  order(): string[] {
    const n = this.endpoints.length;
    const rotated = Array.from({ length: n }, (_, i) => this.endpoints[(this.cursor + i) % n]);
    // Stable sort: healthy endpoints keep their round-robin order, recently failed ones follow, oldest failure
    // first; a failure older than the cooldown no longer counts, so a restarted server gets sessions again.
    const since = Date.now() - this.failureCooldownMs;
    const failedAt = (endpoint: string) => {
      const at = this.lastFailureAt.get(endpoint) ?? 0;
      return at > since ? at : 0;
    };
    return rotated.sort((a, b) => failedAt(a) - failedAt(b));
  }

  /**
   * Each endpoint's `GET /healthz` (capacity, Playwright version, GPU use), for `doctor` and operators. Behind a load
   * balancer this is whichever server answered.
   */
  async health(options: WaitOptions = {}): Promise<EndpointHealth[]> {
    const timeout = AbortSignal.timeout(options.timeoutMs ?? this.connectTimeoutMs);
    const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
    return Promise.all(
      this.endpoints.map(async (endpoint): Promise<EndpointHealth> => {
        const url = new URL(redactEndpoint(endpoint));
        url.protocol = url.protocol === 'wss:' ? 'https:' : 'http:';
        url.pathname = '/healthz';
        try {
          const res = await fetch(url, { signal });
          const body = (await res.json()) as BrowserServerHealth;
          if (typeof body.maxSessions !== 'number')
            throw new Error('not a cutroom browser-server health report');
          return { endpoint: redactEndpoint(endpoint), health: body };
        } catch (error) {
          // fetch() says only "fetch failed"; the reason (ECONNREFUSED, bad port …) is in its cause.
          const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
          return {
            endpoint: redactEndpoint(endpoint),
            error: cause?.code ?? cause?.message ?? (error as Error).message,
          };
        }
      }),
    );
  }

  /**
   * Resolves with a connected browser and the endpoint that served it.
   * @throws CutroomError browser_version_mismatch (not retryable) when a server runs another Playwright major.minor.
   * @throws CutroomError browser_unavailable, retryable when every endpoint stayed full or dead until `timeoutMs`,
   *   not retryable when every endpoint refused the token.
   * @throws CancelledError when `signal` aborts.
   */
  async connect(options: WaitOptions = {}): Promise<RemoteBrowser> {
    const timeoutMs = options.timeoutMs ?? this.acquireTimeoutMs;
    const { signal } = options;
    const deadline = Date.now() + timeoutMs;
    const outcomes = new Map<string, EndpointOutcome>();
    let delay = this.retryDelayMs;
    let round = 0;
    for (;;) {
      round += 1;
      const candidates = this.order();
      this.cursor = (this.cursor + 1) % this.endpoints.length;
      for (const endpoint of candidates) {
        if (signal?.aborted) throw new CancelledError('browser connect cancelled');
        const remaining = deadline - Date.now();
        if (remaining <= 0) break;
        const budget = Math.min(this.connectTimeoutMs, remaining);
        const attempt = await this.tryEndpoint(endpoint, budget, signal);
        if ('browser' in attempt) {
          this.lastFailureAt.delete(endpoint);
          return attempt;
        }
        const outcome = attempt.outcome;
        // An attempt that the overall deadline cut short says less than what the endpoint answered before it.
        const cutShort =
          outcome.detail === TIMED_OUT && budget < this.connectTimeoutMs && outcomes.has(endpoint);
        if (!cutShort) outcomes.set(endpoint, outcome);
        this.lastFailureAt.set(endpoint, Date.now());
        this.logger.warn(
          { endpoint: redactEndpoint(endpoint), outcome: outcome.kind, detail: outcome.detail, round },
          'browser endpoint refused a session',
        );
        if (outcome.kind === 'version_mismatch') throw this.mismatchError(endpoint, outcome);
      }
      const all = [...outcomes.values()];
      if (all.length === this.endpoints.length && all.every((o) => o.kind === 'unauthorized')) {
        throw new CutroomError(
          ErrorCode.BrowserUnavailable,
          `every browser server refused the token (${this.describe(outcomes)}): check CUTROOM_BROWSER_TOKEN on workers and servers`,
          { userMessage: 'The editing service is misconfigured; an operator needs to check the logs.' },
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      await sleep(Math.min(delay, remaining), signal);
      delay = Math.min(delay * 2, MAX_RETRY_DELAY_MS);
    }
    throw new CutroomError(
      ErrorCode.BrowserUnavailable,
      `no browser server accepted a session within ${timeoutMs} ms: ${this.describe(outcomes)}`,
      {
        userMessage:
          'All editing browsers are busy or unreachable right now. Your edit will be retried shortly.',
        retryable: true,
      },
    );
  }

  private describe(outcomes: Map<string, EndpointOutcome>): string {
    return [...outcomes].map(([endpoint, o]) => `${redactEndpoint(endpoint)} ${o.detail}`).join('; ');
  }

  private mismatchError(
    endpoint: string,
    outcome: EndpointOutcome & { kind: 'version_mismatch' },
  ): CutroomError {
    const server = outcome.serverVersion ?? 'unknown';
    const client = outcome.clientVersion ?? 'unknown';
    return new CutroomError(
      ErrorCode.BrowserVersionMismatch,
      `browser server ${redactEndpoint(endpoint)} runs Playwright ${server} but this worker runs ${client}; ` +
        'Playwright needs the same major.minor on both sides: deploy workers and browser servers from the same cutroom version',
      { userMessage: 'The editing service is misconfigured; an operator needs to check the logs.' },
    );
  }

  private async tryEndpoint(
    endpoint: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RemoteBrowser | { outcome: EndpointOutcome }> {
    const headers: Record<string, string> = this.token ? { Authorization: `Bearer ${this.token}` } : {};
    const pending = chromium.connect(endpoint, { headers, timeout: timeoutMs });
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new CancelledError('browser connect cancelled'));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const browser = await Promise.race([pending, aborted]);
      this.logger.debug({ endpoint: redactEndpoint(endpoint) }, 'browser session opened');
      return { browser, endpoint };
    } catch (error) {
      if (error instanceof CancelledError) {
        // The handshake may still succeed after the abort; that session must not leak.
        pending.then((browser) => browser.close()).catch(() => undefined);
        throw error;
      }
      return { outcome: classifyConnectError(error) };
    } finally {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }
}
