/** @module Joins an accepted browser-server upgrade to Chromium's own Playwright server, leaving the token behind. */
import type http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';

export interface SessionPipe {
  /** Ends both sides; `onEnd` runs once, whichever side closed first. */
  destroy(): void;
}

/**
 * Replays the upgrade request to `target` (without `Authorization` and with its own `Host`) and pipes the two
 * sockets together until either closes.
 */
export function pipeSession(
  req: http.IncomingMessage,
  socket: Duplex,
  head: Buffer,
  target: URL,
  onEnd: () => void,
): SessionPipe {
  const upstream = net.connect(Number(target.port), target.hostname);
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    socket.destroy();
    upstream.destroy();
    onEnd();
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
  return { destroy: end };
}
