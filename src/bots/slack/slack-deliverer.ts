/** @module Posts deliveries into Slack threads: the status message edited in place, previews, results, replies. */
import type { webApi } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ArtifactStore } from '../../queue/artifact-store.ts';
import type { DeliveryContext } from '../../queue/delivery-queue.ts';
import { DEFAULT_PREFIX, RedisKeys } from '../../queue/redis-keys.ts';
import { RetryAfterError } from '../../queue/retry-after-error.ts';
import type { StatusMessages } from '../../queue/thread-state.ts';
import type { Delivery, ThreadRef } from '../../queue/types.ts';
import { formatError, formatResult } from '../shared/format-result.ts';
import { formatStatus, isTerminalStage, type StatusDelivery } from '../shared/format-status.ts';
import { StatusThrottle } from '../shared/status-throttle.ts';
import { resultBlocks, statusBlocks } from './slack-blocks.ts';
import { slackErrorCode } from './slack-files.ts';

type WebClient = webApi.WebClient;

export interface SlackDelivererOptions {
  client: WebClient;
  threads: Pick<StatusMessages, 'getStatusMessage' | 'setStatusMessage'>;
  store: Pick<ArtifactStore, 'createReadStream' | 'stat'>;
  /** Remembers which uploads already happened, so a retried delivery never posts a file twice. */
  redis: Redis;
  logger: Logger;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Minimum time between two edits of one status message. @defaultValue 1000 */
  statusIntervalMs?: number;
  /** Slack's upload limit. @defaultValue 1 GB */
  maxUploadBytes?: number;
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
 * The Slack delivery handler for the `deliveries-slack` queue. Status deliveries create the
 * request's status message once and then edit it, at most about once a second; files go up with
 * files.uploadV2 into the thread. Slack's 429 becomes a RetryAfterError so the consumer pauses.
 */
export class SlackDeliverer {
  private readonly options: SlackDelivererOptions & { prefix: string };
  private readonly throttle: StatusThrottle;

  constructor(options: SlackDelivererOptions) {
    this.options = { ...options, prefix: options.prefix ?? DEFAULT_PREFIX };
    this.throttle = new StatusThrottle({ intervalMs: options.statusIntervalMs ?? 1000 });
  }

  /** Bound, so it can be passed as a DeliveryConsumer handler. */
  readonly handle = async (delivery: Delivery, context: DeliveryContext): Promise<void> => {
    switch (delivery.kind) {
      case 'status':
        await this.throttle.run(delivery.requestId, () => this.showStatus(delivery), {
          urgent: isTerminalStage(delivery.stage),
        });
        return;
      case 'preview':
        await this.once(`${context.jobId}:upload`, () =>
          this.upload(delivery.thread, delivery.file, delivery.text),
        );
        return;
      case 'result': {
        const summary = formatResult(delivery);
        await this.once(`${context.jobId}:upload`, () =>
          this.upload(delivery.thread, delivery.file, summary),
        );
        await this.once(`${context.jobId}:note`, () =>
          this.post(
            delivery.thread,
            `Version ${delivery.version} is ready.`,
            resultBlocks(`Version ${delivery.version} is ready.`, { version: delivery.version }),
          ),
        );
        // The job is over once its result is up, whether or not the worker also reports `done`.
        await this.throttle.run(
          delivery.requestId,
          () =>
            this.showStatus(
              { ...delivery, kind: 'status', stage: 'done', text: `version ${delivery.version}` },
              { createIfMissing: false },
            ),
          { urgent: true },
        );
        return;
      }
      case 'error': {
        const stage = delivery.code === ErrorCode.Cancelled ? 'cancelled' : 'failed';
        await this.throttle.run(
          delivery.requestId,
          () => this.showStatus({ ...delivery, kind: 'status', stage, text: '' }, { createIfMissing: false }),
          { urgent: true },
        );
        await this.once(`${context.jobId}:reply`, () => this.post(delivery.thread, formatError(delivery)));
        return;
      }
      case 'message':
        await this.once(`${context.jobId}:reply`, () => this.post(delivery.thread, delivery.text));
        return;
    }
  };

  private async showStatus(
    delivery: StatusDelivery,
    options: { createIfMissing?: boolean } = {},
  ): Promise<void> {
    const { requestId } = delivery;
    // A late "queued" (the bot posts it after enqueueing; a fast job can finish first) must not reopen a finished
    // request's status.
    const ended = `${requestId}#ended`;
    if (await this.options.threads.getStatusMessage(ended)) return;
    await this.writeStatus(delivery, options);
    if (isTerminalStage(delivery.stage)) await this.options.threads.setStatusMessage(ended, delivery.stage);
  }

  private async writeStatus(delivery: StatusDelivery, options: { createIfMissing?: boolean }): Promise<void> {
    const { thread, requestId } = delivery;
    const text = formatStatus(delivery);
    const blocks = statusBlocks(text, { requestId, running: !isTerminalStage(delivery.stage) });
    const ts = await this.options.threads.getStatusMessage(requestId);
    if (ts) {
      try {
        await this.call(() =>
          this.options.client.chat.update({ channel: thread.channelId, ts, text, blocks }),
        );
        return;
      } catch (error) {
        if (slackErrorCode(error) !== 'message_not_found') throw error;
      }
    }
    if (options.createIfMissing === false) return;
    const posted = await this.post(thread, text, blocks);
    if (posted) await this.options.threads.setStatusMessage(requestId, posted);
  }

  private async post(
    thread: ThreadRef,
    text: string,
    blocks?: ReturnType<typeof statusBlocks>,
  ): Promise<string | undefined> {
    const response = await this.call(() =>
      this.options.client.chat.postMessage({
        channel: thread.channelId,
        thread_ts: thread.threadId,
        text,
        blocks,
        unfurl_links: false,
        unfurl_media: false,
      }),
    );
    return response.ts;
  }

  private async upload(
    thread: ThreadRef,
    file: { key: string; name: string },
    comment: string,
  ): Promise<void> {
    const info = await this.options.store.stat(file.key);
    if (!info) {
      throw new CutroomError(ErrorCode.AssetMissing, `slack upload: artifact ${file.key} is missing`, {
        userMessage: 'The file to post has gone missing. Please try again.',
      });
    }
    const maxUploadBytes = this.options.maxUploadBytes ?? 1024 ** 3;
    if (info.size > maxUploadBytes) {
      throw new CutroomError(
        ErrorCode.UploadTooLarge,
        `slack upload: ${file.key} is ${info.size} bytes, over Slack's ${maxUploadBytes}`,
        { userMessage: `"${file.name}" is too large to post to Slack.` },
      );
    }
    await this.call(() =>
      this.options.client.filesUploadV2({
        channel_id: thread.channelId,
        thread_ts: thread.threadId,
        file: this.options.store.createReadStream(file.key),
        filename: file.name,
        title: file.name,
        initial_comment: comment,
      }),
    );
  }

  /** Runs a posting step at most once per key, across retries and restarts. */
  private async once(key: string, step: () => Promise<unknown>): Promise<void> {
    const marker = new RedisKeys(this.options.prefix).delivered(key);
    if ((await this.options.redis.exists(marker)) === 1) return;
    await step();
    await this.options.redis.set(marker, '1', 'EX', 7 * 24 * 3600);
  }

  /** Maps Slack's failures onto what the delivery consumer understands. */
  private async call<T>(request: () => Promise<T>): Promise<T> {
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
        this.options.logger.error({ code }, 'slack refused a delivery');
        throw new CutroomError(ErrorCode.Internal, `slack: ${code}`, { cause: error });
      }
      throw error;
    }
  }
}
