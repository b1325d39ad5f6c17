/**
 * @module What each delivery looks like in a thread, the same on every platform: the status message
 * created once and edited, previews, the result with its Undo button, replies and failures.
 */
import type { Redis } from 'ioredis';
import { CutroomError, ErrorCode, isCutroomError } from '../errors.ts';
import type { ArtifactStore } from '../queue/artifact-store.ts';
import { DEFAULT_PREFIX, RedisKeys } from '../queue/redis-keys.ts';
import type { ArtifactRef } from '../queue/types.ts';
import type { DeliveryContext, DeliveryHandler } from './delivery-consumer.ts';
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
}

// A step done is remembered longer than any delivery is retried.
const DELIVERED_TTL_SECONDS = 7 * 24 * 3600;

/**
 * The DeliveryConsumer handler for one platform's `surface`. A request's status lives in one message:
 * posted by its first status, edited by the next ones, and ended (without its Cancel button) by the
 * request's result or error, after which no late status changes it.
 */
export function createThreadDeliverer(options: ThreadDelivererOptions): DeliveryHandler {
  const { surface, statuses, store } = options;
  const keys = new RedisKeys(options.prefix ?? DEFAULT_PREFIX);

  /** Runs a posting step at most once per key, across retries and restarts. */
  async function once(step: string, post: () => Promise<unknown>): Promise<void> {
    const marker = keys.delivered(step);
    if ((await options.redis.exists(marker)) === 1) return;
    await post();
    await options.redis.set(marker, '1', 'EX', DELIVERED_TTL_SECONDS);
  }

  async function showStatus(delivery: StatusDelivery, context: DeliveryContext): Promise<void> {
    const { thread, requestId, stage } = delivery;
    const record = await statuses.record(requestId);
    if (record.ended) return;
    const message = {
      text: formatStatus(delivery),
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
        text: formatStatus({ stage, text }),
        actions: [],
      });
    }
    await statuses.end(delivery.requestId, stage);
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
    const caption = formatResult(delivery, { strong: surface.strong });
    const key = (step: string) => `${context.jobId}:${step}`;
    try {
      await once(key('upload'), () =>
        surface.upload(
          thread,
          file,
          { text: caption, actions: surface.uploadCarriesActions ? [undo] : [] },
          { idempotencyKey: key('upload') },
        ),
      );
    } catch (error) {
      if (!isCutroomError(error) || error.code !== ErrorCode.UploadTooLarge) throw error;
      await once(key('too-large'), () =>
        surface.post(thread, { text: `⚠️ ${error.userMessage}` }, { idempotencyKey: key('too-large') }),
      );
      await endStatus(delivery, 'done', `version ${version}`);
      return;
    }
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
    const key = `${context.jobId}:reply`;
    await once(key, () =>
      surface.post(delivery.thread, { text: formatError(delivery) }, { idempotencyKey: key }),
    );
  }

  async function postReply(delivery: ReplyDelivery, context: DeliveryContext): Promise<void> {
    await endStatus(delivery, 'done', delivery.question ? 'waiting for your answer' : 'answered');
    const key = `${context.jobId}:reply`;
    await once(key, () => surface.post(delivery.thread, { text: delivery.text }, { idempotencyKey: key }));
  }

  return async function deliverToThread(delivery, context) {
    switch (delivery.kind) {
      case 'status':
        return showStatus(delivery, context);
      case 'preview': {
        const file = await fileOf(delivery.file);
        const key = `${context.jobId}:upload`;
        return once(key, () =>
          surface.upload(delivery.thread, file, { text: delivery.text }, { idempotencyKey: key }),
        );
      }
      case 'result':
        return postResult(delivery, context);
      case 'error':
        return postError(delivery, context);
      case 'reply':
        return postReply(delivery, context);
      case 'message': {
        const key = `${context.jobId}:reply`;
        return once(key, () =>
          surface.post(delivery.thread, { text: delivery.text }, { idempotencyKey: key }),
        );
      }
    }
  };
}
