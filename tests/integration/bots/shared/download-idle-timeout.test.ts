// Downloads from a real local HTTP file host that answers like Slack's and Discord's: the time limit is on silence,
// not on the whole file, so a slow but steady download succeeds and a stalled one fails fast, naming the file.
import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import { webApi } from '@slack/bolt';
import type { Attachment } from 'discord.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toIncomingFile } from '../../../../src/bots/discord/discord-attachments.ts';
import { slackIncomingFiles } from '../../../../src/bots/slack/slack-files.ts';
import { CutroomError } from '../../../../src/errors.ts';

const IDLE_MS = 300;
const CHUNK = Buffer.alloc(1000, 7);

/** `/stall`: one chunk, then silence. `/trickle`: a chunk every 100 ms for 1.2 s (four idle times). */
function serve(res: ServerResponse, path: string, open: Set<ServerResponse>): void {
  const chunks = path.startsWith('/trickle') ? 12 : 1;
  res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': String(CHUNK.length * 13) });
  res.write(CHUNK);
  if (chunks === 1) {
    open.add(res);
    return;
  }
  let sent = 1;
  const timer = setInterval(() => {
    res.write(CHUNK);
    if (++sent === 13) {
      clearInterval(timer);
      res.end();
    }
  }, 100);
}

async function drain(body: Readable): Promise<number> {
  let bytes = 0;
  for await (const chunk of body) bytes += (chunk as Buffer).length;
  return bytes;
}

describe('downloads with an idle timeout', () => {
  let server: Server;
  let base: string;
  const stalled = new Set<ServerResponse>();

  beforeEach(async () => {
    server = createServer((req, res) => serve(res, req.url ?? '/', stalled));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const res of stalled) res.destroy();
    stalled.clear();
    server.closeAllConnections();
    server.close();
  });

  const slackFile = (path: string, name: string) =>
    slackIncomingFiles(
      [
        {
          id: 'F1',
          name,
          mimetype: 'video/mp4',
          size: CHUNK.length * 13,
          url_private_download: `${base}${path}`,
        },
      ],
      {
        client: new webApi.WebClient('xoxb-test', { slackApiUrl: `${base}/api/` }),
        botToken: 'xoxb-test',
        extraHosts: ['127.0.0.1'],
        idleTimeoutMs: IDLE_MS,
      },
    )[0];
  const discordFile = (path: string, name: string) =>
    toIncomingFile(
      { name, size: CHUNK.length * 13, contentType: 'video/mp4', url: `${base}${path}` } as Attachment,
      { extraHosts: ['127.0.0.1'], idleTimeoutMs: IDLE_MS },
    );

  for (const [platform, fileAt] of [
    ['Slack', slackFile],
    ['Discord', discordFile],
  ] as const) {
    it(`fails a ${platform} download that stalls after the idle time, naming the file`, async () => {
      const body = await fileAt('/stall', 'holiday.mov').open();
      const started = Date.now();
      const error = await drain(body).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(Date.now() - started).toBeLessThan(IDLE_MS * 10);
      expect(error).toBeInstanceOf(CutroomError);
      expect(error).toMatchObject({ code: 'download_failed', retryable: true });
      expect((error as CutroomError).userMessage).toBe(
        `${platform} stopped sending "holiday.mov": nothing arrived for 0.3 s. Please try again.`,
      );
    });

    it(`finishes a ${platform} download that trickles steadily for longer than the idle time`, async () => {
      const started = Date.now();
      const bytes = await drain(await fileAt('/trickle', 'long.mov').open());
      expect(bytes).toBe(CHUNK.length * 13);
      expect(Date.now() - started).toBeGreaterThan(IDLE_MS * 3);
    });
  }
});
