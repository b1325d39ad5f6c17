/** @module Turns Discord attachments into files the shared ingestion can stream from Discord's CDN. */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Attachment } from 'discord.js';
import { CutroomError, ErrorCode } from '../../errors.ts';
import { allowlistedFetch } from '../shared/allowlisted-fetch.ts';
import type { IncomingFile } from '../shared/ingest-attachments.ts';

export interface DiscordAttachmentOptions {
  /** Time allowed until the CDN answers with headers. @defaultValue 30000 */
  timeoutMs?: number;
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
      const timeout = AbortSignal.timeout(options.timeoutMs ?? 30_000);
      let response: Response;
      try {
        response = await allowlistedFetch(attachment.url, {
          platform: 'discord',
          allowHost: (host) => DISCORD_CDN_HOSTS.includes(host) || (options.extraHosts ?? []).includes(host),
          httpHosts: options.extraHosts,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
      } catch (error) {
        if (signal?.aborted || error instanceof CutroomError) throw error;
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
      return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    },
  };
}
