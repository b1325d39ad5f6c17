/** @module Slack as a thread surface for deliveries: chat.postMessage, chat.update and files.uploadV2 in a thread. */
import { createReadStream } from 'node:fs';
import type { webApi } from '@slack/bolt';
import { RetryAfterError } from '../../deliveries/retry-after-error.ts';
import type { ThreadSurface } from '../../deliveries/thread-surface.ts';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { blocksFor } from './slack-blocks.ts';
import { slackErrorCode } from './slack-files.ts';

type WebClient = webApi.WebClient;

export interface SlackSurfaceOptions {
  client: WebClient;
  /** The client for files.uploadV2: the same token with a timeout long enough for a whole render's body. @defaultValue `client` */
  uploadClient?: WebClient;
  logger: Logger;
}

/** Slack's limit on a section block's text; every message is posted as one (src/bots/slack/slack-blocks.ts). */
export const SLACK_MAX_SECTION_CHARS = 3000;

/**
 * Slack's escaping for text in mrkdwn: with `&`, `<` and `>` escaped, `<!channel>`, `<!here>`, `<!everyone>`,
 * `<@U…>`, `<!subteam^…>` and links show as written and ping no one. Plain `@channel` pings only with
 * `link_names`, which cutroom never sets.
 */
export function escapeSlackText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

// Errors no retry can fix: the bot was removed, the channel archived, the token revoked.
const PERMANENT_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'invalid_auth',
  'account_inactive',
  'token_revoked',
  'missing_scope',
  'not_authed',
  'msg_too_long',
  'no_text',
  'invalid_blocks',
  'restricted_action',
]);

/**
 * Posts with the bot token into the thread. Slack files carry no buttons, so an Undo button comes in a
 * message after the upload. Slack's 429 becomes a RetryAfterError (the consumer waits it out), a
 * permanent error a non-retryable CutroomError.
 */
export function createSlackSurface(options: SlackSurfaceOptions): ThreadSurface {
  const { client, logger } = options;
  const uploadClient = options.uploadClient ?? client;

  async function call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      const retryAfterSeconds = (error as { retryAfter?: unknown }).retryAfter;
      if (typeof retryAfterSeconds === 'number') {
        throw new RetryAfterError(
          `slack: rate limited for ${retryAfterSeconds} s`,
          retryAfterSeconds * 1000,
          {
            cause: error,
          },
        );
      }
      const code = slackErrorCode(error);
      if (code && PERMANENT_ERRORS.has(code)) {
        logger.error({ code }, 'slack refused a delivery');
        throw new CutroomError(ErrorCode.Internal, `slack: ${code}`, { cause: error });
      }
      throw error;
    }
  }

  return {
    strong: (text) => `*${text}*`,
    uploadCarriesActions: false,
    maxTextChars: SLACK_MAX_SECTION_CHARS,
    escapeText: escapeSlackText,
    async post(thread, message) {
      const response = await call(() =>
        client.chat.postMessage({
          channel: thread.channelId,
          thread_ts: thread.threadId,
          text: message.text,
          blocks: blocksFor(message),
          unfurl_links: false,
          unfurl_media: false,
        }),
      );
      return response.ts ?? '';
    },
    async update(thread, messageId, message) {
      try {
        await call(() =>
          client.chat.update({
            channel: thread.channelId,
            ts: messageId,
            text: message.text,
            blocks: blocksFor(message),
          }),
        );
        return true;
      } catch (error) {
        if (slackErrorCode(error) === 'message_not_found') return false;
        throw error;
      }
    },
    async upload(thread, file, message) {
      const result = await call(() =>
        uploadClient.filesUploadV2({
          channel_id: thread.channelId,
          thread_ts: thread.threadId,
          file: 'data' in file ? file.data : createReadStream(file.path),
          filename: file.name,
          title: file.name,
          initial_comment: message.text,
        }),
      );
      const shared = sharedFileOf(result);
      if (typeof shared?.permalink === 'string') return shared.permalink;
      if (typeof shared?.id !== 'string') return undefined;
      // Slack's documented answer carries only the file's id and title; files.info has its permalink. The upload
      // is done either way: a missing link only leaves the versions list without one.
      try {
        const info = await client.files.info({ file: shared.id });
        return info.file?.permalink;
      } catch (error) {
        logger.warn({ err: error, file: shared.id }, 'slack: no permalink for an uploaded file');
        return undefined;
      }
    },
  };
}

/** The shared file from files.uploadV2's answer (one completeUploadExternal answer per file). */
function sharedFileOf(result: unknown): { id?: unknown; permalink?: unknown } | undefined {
  type Answer = { files?: { files?: { id?: unknown; permalink?: unknown }[] }[] } | undefined;
  return (result as Answer)?.files?.[0]?.files?.[0];
}
