/** @module The browser-server's admission rules for one WebSocket upgrade: token, client version, a running browser, a free slot. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { type Refusal, RefusalHeader, RefusalReason } from './upgrade-refusal.ts';

export interface SessionGateOptions {
  token: string;
  /** The Playwright version the server claims; clients must match its major.minor. */
  playwrightVersion: string;
  maxSessions: number;
}

/** What the gate needs to know about the server at the moment of the upgrade. */
export interface SessionGateState {
  browserRunning: boolean;
  sessions: number;
}

/** The Playwright version a client announces in its `User-Agent` (`Playwright/1.65.1 (...)`), if any. */
export function clientPlaywrightVersion(userAgent: string | undefined): string | undefined {
  return /^Playwright\/(\d+\.\d+\.\d+)/.exec(userAgent ?? '')?.[1];
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function majorMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** Decides whether an upgrade becomes a session; the order of the checks is the order clients should fix things in. */
export class SessionGate {
  private readonly tokenDigest: Buffer;

  constructor(private readonly options: SessionGateOptions) {
    this.tokenDigest = digest(options.token);
  }

  /** Undefined when the upgrade may become a session, else why not. */
  check(req: http.IncomingMessage, state: SessionGateState): Refusal | undefined {
    if (new URL(req.url ?? '/', 'http://front').searchParams.has('token')) {
      return {
        status: 401,
        statusText: 'Unauthorized',
        reason: RefusalReason.Unauthorized,
        message:
          'cutroom browser-server: the token belongs in the Authorization header (Bearer), never in the URL, where logs and proxies keep it',
      };
    }
    if (!this.authorized(req)) {
      return {
        status: 401,
        statusText: 'Unauthorized',
        reason: RefusalReason.Unauthorized,
        message: 'cutroom browser-server: missing or wrong token',
      };
    }
    const server = this.options.playwrightVersion;
    const client = clientPlaywrightVersion(req.headers['user-agent']);
    if (client && majorMinor(client) !== majorMinor(server)) {
      return {
        status: 428,
        statusText: 'Precondition Required',
        reason: RefusalReason.VersionMismatch,
        message:
          `cutroom browser-server: Playwright version mismatch: server ${server}, client ${client}; ` +
          'workers and browser servers must run the same playwright-core major.minor (deploy them from the same cutroom version)',
        headers: { [RefusalHeader.ServerVersion]: server },
      };
    }
    if (!state.browserRunning) {
      return {
        status: 503,
        statusText: 'Service Unavailable',
        reason: RefusalReason.Unavailable,
        message: 'cutroom browser-server: Chromium is not running',
        headers: { 'Retry-After': '1' },
      };
    }
    if (state.sessions >= this.options.maxSessions) {
      return {
        status: 503,
        statusText: 'Service Unavailable',
        reason: RefusalReason.Full,
        message: `cutroom browser-server: full (${state.sessions}/${this.options.maxSessions} sessions in use)`,
        headers: { 'Retry-After': '1' },
      };
    }
    return undefined;
  }

  private authorized(req: http.IncomingMessage): boolean {
    const header = req.headers.authorization ?? '';
    const offered = /^Bearer\s+(.+)$/i.exec(header)?.[1];
    return offered !== undefined && timingSafeEqual(digest(offered), this.tokenDigest);
  }
}
