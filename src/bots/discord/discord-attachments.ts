/** @module Turns Discord attachments into files the shared ingestion can stream from Discord's CDN. */
import type { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Attachment } from 'discord.js';
import { CutroomError, ErrorCode } from '../../errors.ts';
import { allowlistedFetch } from '../shared/allowlisted-fetch.ts';
import { IdleTimeout } from '../shared/idle-timeout.ts';
import type { IncomingFile } from '../shared/ingest-attachments.ts';

export interface DiscordAttachmentOptions {
  /** A download fails when nothing (no answer, no byte) arrives for this long. @defaultValue 30000 */
  idleTimeoutMs?: number;
  /** Hosts besides Discord's CDN that attachments may come from (DISCORD_API_URL's host, for tests). */
  extraHosts?: string[];
}

const DISCORD_CDN_HOSTS = ['cdn.discordapp.com', 'media.discordapp.net'];

/**
 * Attachment URLs are signed and public, so no token is sent (and none can leak to the CDN).
 * The body is streamed, never buffered whole.
 */
export function toIncomingFile(attachment: Attachment, options: DiscordAttachmentOptions = {}): IncomingFile {
  return {
    name: attachment.name,
    size: attachment.size,
    mimeType: attachment.contentType ?? undefined,
    async open(signal?: AbortSignal): Promise<Readable> {
      const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
      const idle = new IdleTimeout({ idleTimeoutMs, signal });
      const stalled = () =>
        new CutroomError(
          ErrorCode.DownloadFailed,
          `discord: downloading "${attachment.name}": ${idle.signal.reason?.message}`,
          {
            userMessage: `Discord stopped sending "${attachment.name}": nothing arrived for ${Number((idleTimeoutMs / 1000).toFixed(1))} s. Please try again.`,
            retryable: true,
          },
        );
      let response: Response;
      try {
        response = await allowlistedFetch(attachment.url, {
          platform: 'discord',
          allowHost: (host) => DISCORD_CDN_HOSTS.includes(host) || (options.extraHosts ?? []).includes(host),
          httpHosts: options.extraHosts,
          signal: idle.signal,
        });
      } catch (error) {
        idle.stop();
        if (signal?.aborted || error instanceof CutroomError) throw error;
        if (idle.idled) throw stalled();
        throw new CutroomError(
          ErrorCode.DownloadFailed,
          `discord: downloading "${attachment.name}" failed: ${(error as Error).message}`,
          {
            userMessage: `I could not download "${attachment.name}" from Discord. Please try again.`,
            retryable: true,
            cause: error,
          },
        );
      }
      if (!response.ok || !response.body) {
        idle.stop();
        await response.body?.cancel();
        throw new CutroomError(
          ErrorCode.DownloadFailed,
          `discord: downloading "${attachment.name}" answered HTTP ${response.status}`,
          {
            userMessage: `I could not download "${attachment.name}" from Discord (it may have expired). Please upload it again.`,
            retryable: response.status >= 500,
          },
        );
      }
      return idle.stream(response.body as WebReadableStream<Uint8Array>, stalled);
    },
  };
}
