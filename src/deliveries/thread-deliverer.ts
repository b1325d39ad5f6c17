/**
 * @module What each delivery looks like in a thread, the same on every platform: the status message
 * created once and edited, previews, the result with its Undo button, replies and failures.
 */
import type { Redis } from 'ioredis';
import { CutroomError, ErrorCode, isCutroomError } from '../errors.ts';
import { createSilentLogger, type Logger } from '../logger.ts';
import type { ArtifactStore } from '../queue/artifact-store.ts';
import { DEFAULT_PREFIX, RedisKeys } from '../queue/redis-keys.ts';
import type { ArtifactRef, ThreadRef } from '../queue/types.ts';
import type { DeliveryContext, DeliveryHandler } from './delivery-consumer.ts';
import { type FittedText, fitText, type TextLimits } from './fit-text.ts';
import { formatError, formatResult } from './format-result.ts';
import { formatStatus } from './format-status.ts';
import type { StatusBoard } from './status-board.ts';
import type { MessageAction, OutgoingFile, ThreadSurface } from './thread-surface.ts';
import {
  type Delivery,
  type ErrorDelivery,
  isTerminalStage,
  type ReplyDelivery,
  type ResultDelivery,
  type Stage,
  type StatusDelivery,
} from './types.ts';

export interface ThreadDelivererOptions {
  surface: ThreadSurface;
  statuses: Pick<StatusBoard, 'record' | 'setMessage' | 'end'>;
  store: Pick<ArtifactStore, 'pathFor' | 'stat'>;
  /** Remembers which posting steps happened, so a retried delivery never posts twice. */
  redis: Redis;
  /** @defaultValue 'cutroom' */
  prefix?: string;
  /** Told where a version's render was posted (a link to the message), when the platform gives one. */
  onResultPosted?: (thread: ThreadRef, version: number, link: string) => Promise<void>;
  /** @defaultValue silent */
  logger?: Logger;
}

// A step done is remembered longer than any delivery is retried.
const DELIVERED_TTL_SECONDS = 7 * 24 * 3600;
// From this size an upload takes long enough to say so in the status (platforms give no upload progress).
const SHOW_UPLOAD_FROM_BYTES = 5 * 1024 * 1024;

/**
 * The DeliveryConsumer handler for one platform's `surface`. A request's status lives in one message:
 * posted by its first status, edited by the next ones, and ended (without its Cancel button) by the
 * request's result or error, after which no late status changes it.
 */
export function createThreadDeliverer(options: ThreadDelivererOptions): DeliveryHandler {
  const { surface, statuses, store } = options;
  const logger = options.logger ?? createSilentLogger();
  const keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);
  // Every text is escaped: the model's, and cutroom's own, which quote users (a versions list, a clip's name) and use
  // no markup that escaping would break.
  const escaped: TextLimits = { maxChars: surface.maxTextChars, escape: (text) => surface.escapeText(text) };

  /** Runs a posting step at most once per key, across retries and restarts. */
  async function once(step: string, post: () => Promise<unknown>): Promise<void> {
    const marker = keys.delivered(step);
    if ((await options.redis.exists(marker)) === 1) return;
    await post();
    await options.redis.set(marker, '1', 'EX', DELIVERED_TTL_SECONDS);
  }

  /** Posts a text that was cut, whole, as a file right after its message. */
  async function postOverflow(delivery: Delivery, fitted: FittedText, name: string, key: string) {
    if (fitted.overflow === undefined) return;
    const data = Buffer.from(fitted.overflow, 'utf8');
    await once(key, () =>
      surface.upload(
        delivery.thread,
        { name, mimeType: 'text/plain', size: data.length, data },
        { text: 'The full text:' },
        { idempotencyKey: key },
      ),
    );
  }

  /** Posts a text, cut to the platform's limit with the whole as a file. */
  async function postText(delivery: Delivery, fitted: FittedText, key: string, name = 'message.txt') {
    await once(key, () => surface.post(delivery.thread, { text: fitted.text }, { idempotencyKey: key }));
    await postOverflow(delivery, fitted, name, `${key}:full-text`);
  }

  async function showStatus(delivery: StatusDelivery, context: DeliveryContext): Promise<void> {
    const { thread, requestId, stage } = delivery;
    const record = await statuses.record(requestId);
    if (record.ended) return;
    const message = {
      text: fitText(formatStatus(delivery), escaped).text,
      actions: isTerminalStage(stage) ? [] : [{ kind: 'cancel', requestId } as const],
    };
    const updated = record.messageId ? await surface.update(thread, record.messageId, message) : false;
    if (!updated) {
      const messageId = await surface.post(thread, message, { idempotencyKey: `${context.jobId}:status` });
      await statuses.setMessage(requestId, messageId);
    }
    if (isTerminalStage(stage)) await statuses.end(requestId, stage);
  }

  /** Ends a request's status message (it keeps no Cancel button), whether or not a final status follows. */
  async function endStatus(delivery: Delivery, stage: Stage, text = ''): Promise<void> {
    const record = await statuses.record(delivery.requestId);
    if (record.ended) return;
    if (record.messageId) {
      await surface.update(delivery.thread, record.messageId, {
        text: fitText(formatStatus({ stage, text }), escaped).text,
        actions: [],
      });
    }
    await statuses.end(delivery.requestId, stage);
  }

  /** "Uploading · the video (120 MB)" in the request's status while a big file goes up. */
  async function showUploading(delivery: Delivery, file: OutgoingFile): Promise<void> {
    if (file.size < SHOW_UPLOAD_FROM_BYTES) return;
    const record = await statuses.record(delivery.requestId);
    if (record.ended || !record.messageId) return;
    const megabytes = Math.max(1, Math.round(file.size / (1024 * 1024)));
    await surface.update(delivery.thread, record.messageId, {
      text: formatStatus({ stage: 'uploading', text: `the video (${megabytes} MB)` }),
      actions: [],
    });
  }

  async function fileOf(ref: ArtifactRef): Promise<OutgoingFile> {
    const info = await store.stat(ref.key);
    if (!info) {
      throw new CutroomError(ErrorCode.AssetMissing, `delivery: artifact ${ref.key} is missing`, {
        userMessage: 'The file to post has gone missing. Please try again.',
      });
    }
    return { path: store.pathFor(ref.key), name: ref.name, mimeType: ref.mimeType, size: info.size };
  }

  async function postResult(delivery: ResultDelivery, context: DeliveryContext): Promise<void> {
    const { thread, version } = delivery;
    const undo: MessageAction = { kind: 'undo', version };
    const file = await fileOf(delivery.file);
    const caption = fitText(delivery.text, escaped, (summary) =>
      formatResult({ ...delivery, text: summary }, { strong: surface.strong }),
    );
    const key = (step: string) => `${context.jobId}:${step}`;
    await showUploading(delivery, file);
    try {
      await once(key('upload'), async () => {
        const link = await surface.upload(
          thread,
          file,
          { text: caption.text, actions: surface.uploadCarriesActions ? [undo] : [] },
          { idempotencyKey: key('upload') },
        );
        // A link that cannot be kept costs the versions list one link, not the post.
        if (link) {
          await options.onResultPosted?.(thread, version, link).catch((error: unknown) => {
            logger.warn(
              { err: error, requestId: delivery.requestId, version },
              'could not keep the link to a version',
            );
          });
        }
      });
    } catch (error) {
      if (!isCutroomError(error) || error.code !== ErrorCode.UploadTooLarge) throw error;
      await once(key('too-large'), () =>
        surface.post(thread, { text: `⚠️ ${error.userMessage}` }, { idempotencyKey: key('too-large') }),
      );
      await endStatus(delivery, 'done', `version ${version}`);
      return;
    }
    await postOverflow(delivery, caption, `version-${version}-summary.txt`, key('full-text'));
    if (!surface.uploadCarriesActions) {
      const note = `Version ${version} is ready.`;
      await once(key('note'), () =>
        surface.post(thread, { text: note, actions: [undo] }, { idempotencyKey: key('note') }),
      );
    }
    // The request is over once its result is up, whether or not the worker also reports `done`.
    await endStatus(delivery, 'done', `version ${version}`);
  }

  async function postError(delivery: ErrorDelivery, context: DeliveryContext): Promise<void> {
    await endStatus(delivery, delivery.code === ErrorCode.Cancelled ? 'cancelled' : 'failed');
    const text = fitText(delivery.text, escaped, (body) => formatError({ ...delivery, text: body }));
    await postText(delivery, text, `${context.jobId}:reply`);
  }

  async function postReply(delivery: ReplyDelivery, context: DeliveryContext): Promise<void> {
    await endStatus(delivery, 'done', delivery.question ? 'waiting for your answer' : 'answered');
    await postText(delivery, fitText(delivery.text, escaped), `${context.jobId}:reply`, 'reply.txt');
  }

  return async function deliverToThread(delivery, context) {
    switch (delivery.kind) {
      case 'status':
        return showStatus(delivery, context);
      case 'preview': {
        const file = await fileOf(delivery.file);
        const key = `${context.jobId}:upload`;
        const text = fitText(delivery.text, escaped).text;
        return once(key, () => surface.upload(delivery.thread, file, { text }, { idempotencyKey: key }));
      }
      case 'result':
        return postResult(delivery, context);
      case 'error':
        return postError(delivery, context);
      case 'reply':
        return postReply(delivery, context);
      case 'message':
        return postText(delivery, fitText(delivery.text, escaped), `${context.jobId}:reply`);
    }
  };
}
