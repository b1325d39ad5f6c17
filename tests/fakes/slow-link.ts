/** @module What both platform fakes' file hosts do for a file on a slow link: a trickle that may go silent. */
import type { ServerResponse } from 'node:http';

/** The file is sent in `chunks` equal parts, one every `everyMs`; after `silentAfter` parts nothing more comes. */
export interface SlowLink {
  chunks: number;
  everyMs: number;
  silentAfter?: number;
}

/** Sends `bytes` (headers already written) over `link`; a silent link keeps the response open until the client leaves. */
export function sendOverSlowLink(res: ServerResponse, bytes: Buffer, link: SlowLink): void {
  const size = Math.ceil(bytes.length / link.chunks);
  const last = Math.min(link.chunks, link.silentAfter ?? link.chunks);
  let sent = 0;
  const timer = setInterval(() => {
    res.write(bytes.subarray(sent * size, (sent + 1) * size));
    sent += 1;
    if (sent < last) return;
    clearInterval(timer);
    if (sent === link.chunks) res.end();
  }, link.everyMs);
  res.once('close', () => clearInterval(timer));
}
