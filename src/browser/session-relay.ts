/**
 * @module Joins an accepted browser-server upgrade to Chromium's own Playwright server message by message, leaving
 * the token behind and refusing what the session policy forbids (session-policy.ts).
 */
import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { refuseClientMessage } from './session-policy.ts';

export interface SessionRelay {
  /** Ends both sides; `onEnd` runs once, whichever side closed first. */
  destroy(): void;
}

export interface SessionRelayOptions {
  /** Called with each refused message's reason, for logs. */
  onRefused?: (reason: string) => void;
  onEnd: () => void;
}

/** Playwright's own server accepts messages this large. */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

/** Headers the relay must not pass on: the token, what the WebSocket handshake makes anew, Playwright's network proxying. */
const DROPPED_HEADERS =
  /^(authorization|host|connection|upgrade|content-length|sec-websocket-.*|x-playwright-proxy)$/i;

const server = new WebSocketServer({
  noServer: true,
  maxPayload: MAX_MESSAGE_BYTES,
  perMessageDeflate: false,
});

export function relaySession(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  options: SessionRelayOptions,
): SessionRelay {
  let ended = false;
  let client: WebSocket | undefined;
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (!DROPPED_HEADERS.test(req.rawHeaders[i])) headers[req.rawHeaders[i]] = req.rawHeaders[i + 1];
  }
  const upstream = new WebSocket(target, {
    headers,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  const waiting: RawData[] = [];
  const end = () => {
    if (ended) return;
    ended = true;
    client?.terminate();
    upstream.terminate();
    socket.destroy();
    options.onEnd();
  };
  const forward = (data: RawData) => {
    const refusal = inspect(data);
    if (refusal) {
      options.onRefused?.(refusal.reason);
      if (refusal.id !== undefined) {
        client?.send(
          JSON.stringify({ id: refusal.id, error: { error: { name: 'Error', message: refusal.reason } } }),
        );
      }
      return;
    }
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data);
    else waiting.push(data);
  };
  upstream.on('open', () => {
    for (const data of waiting.splice(0)) upstream.send(data);
  });
  upstream.on('message', (data, isBinary) => client?.send(data, { binary: isBinary }));
  upstream.on('close', end);
  upstream.on('error', end);
  socket.on('close', end);
  server.handleUpgrade(req, socket, head, (accepted) => {
    client = accepted;
    if (ended) return accepted.terminate();
    accepted.on('message', forward);
    accepted.on('close', end);
    accepted.on('error', end);
  });
  return { destroy: end };
}

function inspect(data: RawData): { reason: string; id?: number | string } | undefined {
  let message: unknown;
  try {
    message = JSON.parse(
      Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'),
    );
  } catch {
    return { reason: 'not a protocol message' };
  }
  const reason = refuseClientMessage(message);
  if (!reason) return undefined;
  const id = (message as { id?: unknown }).id;
  return { reason, id: typeof id === 'number' || typeof id === 'string' ? id : undefined };
}
