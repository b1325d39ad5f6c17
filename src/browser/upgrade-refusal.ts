/** @module How the browser-server front door says no to a WebSocket upgrade, in a way clients can sort. */
import type { Duplex } from 'node:stream';

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

/** One refused upgrade: the HTTP status, the machine-readable reason and the sentence a person reads. */
export interface Refusal {
  status: number;
  statusText: string;
  reason: RefusalReason;
  message: string;
  headers?: Record<string, string>;
}

/** Answers the upgrade with a plain HTTP response and closes the socket. */
export function refuseUpgrade(socket: Duplex, refusal: Refusal): void {
  const body = `${refusal.message}\n`;
  const headers = {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    [RefusalHeader.Reason]: refusal.reason,
    ...refusal.headers,
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${refusal.status} ${refusal.statusText}\r\n${head}\r\n${body}`);
}
