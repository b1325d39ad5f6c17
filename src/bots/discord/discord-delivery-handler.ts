/** @module Posts worker deliveries into Discord threads: the status message edited in place, previews, results, errors. */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ActionRowBuilder,
  ButtonBuilder,
  ButtonStyle,
  type Client,
  DiscordAPIError,
  type MessageCreateOptions,
  RESTJSONErrorCodes,
  type SendableChannels,
} from 'discord.js';
import { CutroomError, ErrorCode, isCutroomError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { DeliveryContext, DeliveryHandler } from '../../queue/delivery-queue.ts';
import type { StatusMessages } from '../../queue/thread-state.ts';
import type { RedisThreadStore } from '../../queue/thread-store.ts';
import type { Delivery } from '../../queue/types.ts';
import { formatError, formatResult } from '../shared/format-result.ts';
import { formatStatus, isTerminalStage } from '../shared/format-status.ts';
import { ButtonIds } from './edit-command.ts';
import { DEFAULT_DISCORD_UPLOAD_LIMIT_BYTES, describeFit, fitToUploadLimit } from './fit-to-upload-limit.ts';

export interface DiscordDeliveryHandlerOptions {
  client: Client;
  registry: StatusMessages;
  threads: Pick<RedisThreadStore, 'uploadLimit'>;
  /** Local path of an artifact key. */
  pathOf: (key: string) => string;
  logger: Logger;
  /** Used when neither the thread nor its guild reported `attachment_size_limit`. @defaultValue 10 MiB */
  defaultUploadLimitBytes?: number;
  /** Where re-encoded renders are written before upload. @defaultValue the OS temp dir */
  tmpDir?: string;
}

/** A Cancel button for a running request. */
export function cancelRow(requestId: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(ButtonIds.cancel(requestId))
      .setLabel('Cancel')
      .setStyle(ButtonStyle.Danger),
  );
}

/** An Undo button under a result. */
export function undoRow(threadId: string): ActionRowBuilder<ButtonBuilder> {
  return new ActionRowBuilder<ButtonBuilder>().addComponents(
    new ButtonBuilder()
      .setCustomId(ButtonIds.undo(threadId))
      .setLabel('Undo')
      .setStyle(ButtonStyle.Secondary),
  );
}

// Discord drops a second message with the same nonce (enforce_nonce), so a delivery retried after a
// crash between "posted" and "acknowledged" never shows twice. Nonces are at most 25 characters.
function nonceFor(context: DeliveryContext, part = ''): string {
  return createHash('sha256').update(`${context.jobId}${part}`).digest('hex').slice(0, 25);
}

const strong = (text: string) => `**${text}**`;

function isApiError(error: unknown, code: number): boolean {
  return error instanceof DiscordAPIError && error.code === code;
}

/**
 * Builds the DeliveryConsumer handler for Discord. Results go through the bot token into the
 * thread (never the interaction webhook, whose token dies after 15 minutes). Rate limits (429 +
 * Retry-After) are waited out by discord.js's REST queue before the call resolves.
 */
export function createDiscordDeliveryHandler(options: DiscordDeliveryHandlerOptions): DeliveryHandler {
  const { client, registry, threads, logger } = options;

  async function channelOf(delivery: Delivery): Promise<SendableChannels> {
    try {
      const channel = await client.channels.fetch(delivery.thread.threadId);
      if (channel?.isSendable()) return channel;
    } catch (error) {
      if (
        !isApiError(error, RESTJSONErrorCodes.UnknownChannel) &&
        !isApiError(error, RESTJSONErrorCodes.MissingAccess)
      ) {
        throw error;
      }
    }
    throw new CutroomError(
      ErrorCode.NotAllowed,
      `discord delivery: thread ${delivery.thread.threadId} is gone or not accessible`,
    );
  }

  // The bot queues its "Queued" status after the job, so a fast job (an undo) can finish first; a
  // marker stored beside the status message id keeps such a late status from reviving the message.
  const endedSlot = (requestId: string) => `${requestId}#ended`;

  async function postStatus(
    channel: SendableChannels,
    delivery: Extract<Delivery, { kind: 'status' }>,
    context: DeliveryContext,
  ) {
    if (await registry.getStatusMessage(endedSlot(delivery.requestId))) return;
    const content = formatStatus(delivery);
    const components = isTerminalStage(delivery.stage) ? [] : [cancelRow(delivery.requestId)];
    const existing = await registry.getStatusMessage(delivery.requestId);
    if (existing) {
      try {
        await channel.messages.edit(existing, { content, components });
        return;
      } catch (error) {
        if (!isApiError(error, RESTJSONErrorCodes.UnknownMessage)) throw error;
        logger.warn({ requestId: delivery.requestId }, 'status message was deleted; posting a new one');
      }
    }
    const message = await channel.send({ content, components, nonce: nonceFor(context), enforceNonce: true });
    await registry.setStatusMessage(delivery.requestId, message.id);
  }

  /**
   * A request that ended (result or error) must not keep its Cancel button, whether or not a final
   * status delivery follows; the worker posts only the error when a job fails.
   */
  async function finishStatus(
    channel: SendableChannels,
    delivery: Delivery,
    stage: 'done' | 'failed' | 'cancelled',
  ) {
    await registry.setStatusMessage(endedSlot(delivery.requestId), stage);
    const existing = await registry.getStatusMessage(delivery.requestId);
    if (!existing) return;
    const content = formatStatus({
      kind: 'status',
      thread: delivery.thread,
      requestId: delivery.requestId,
      stage,
      text: '',
    });
    try {
      await channel.messages.edit(existing, { content, components: [] });
    } catch (error) {
      if (!isApiError(error, RESTJSONErrorCodes.UnknownMessage)) throw error;
    }
  }

  async function postResult(
    channel: SendableChannels,
    delivery: Extract<Delivery, { kind: 'result' }>,
    context: DeliveryContext,
  ) {
    const limitBytes =
      (await threads.uploadLimit(delivery.thread)) ??
      options.defaultUploadLimitBytes ??
      DEFAULT_DISCORD_UPLOAD_LIMIT_BYTES;
    const dir = await mkdtemp(path.join(options.tmpDir ?? tmpdir(), 'cutroom-discord-'));
    try {
      let fitted: Awaited<ReturnType<typeof fitToUploadLimit>>;
      try {
        fitted = await fitToUploadLimit({
          inputPath: options.pathOf(delivery.file.key),
          outputPath: path.join(dir, 'fit.mp4'),
          limitBytes,
          durationSeconds: delivery.durationSeconds || undefined,
        });
      } catch (error) {
        if (isCutroomError(error) && error.code === ErrorCode.UploadTooLarge) {
          await channel.send({
            content: `⚠️ ${error.userMessage}`,
            nonce: nonceFor(context),
            enforceNonce: true,
          });
          return;
        }
        throw error;
      }
      const note = describeFit(fitted, limitBytes);
      const payload: MessageCreateOptions = {
        content: [formatResult(delivery, { strong }), note].filter(Boolean).join('\n'),
        files: [{ attachment: fitted.path, name: delivery.file.name }],
        components: [undoRow(delivery.thread.threadId)],
        nonce: nonceFor(context),
        enforceNonce: true,
      };
      try {
        await channel.send(payload);
      } catch (error) {
        if (!isApiError(error, RESTJSONErrorCodes.RequestEntityTooLarge)) throw error;
        logger.warn({ size: fitted.size, limitBytes }, 'discord refused the render as too large');
        await channel.send({
          content: `⚠️ Discord refused the video (${Math.ceil(fitted.size / (1024 * 1024))} MB) as too large for this server. Ask for a shorter cut.`,
          nonce: nonceFor(context, 'too-large'),
          enforceNonce: true,
        });
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return async function deliverToDiscord(delivery, context) {
    const channel = await channelOf(delivery);
    switch (delivery.kind) {
      case 'status':
        return postStatus(channel, delivery, context);
      case 'preview':
        await channel.send({
          content: delivery.text,
          files: [{ attachment: options.pathOf(delivery.file.key), name: delivery.file.name }],
          nonce: nonceFor(context),
          enforceNonce: true,
        });
        return;
      case 'result':
        await postResult(channel, delivery, context);
        await finishStatus(channel, delivery, 'done');
        return;
      case 'error':
        await channel.send({ content: formatError(delivery), nonce: nonceFor(context), enforceNonce: true });
        await finishStatus(channel, delivery, delivery.code === 'cancelled' ? 'cancelled' : 'failed');
        return;
      case 'message':
        await channel.send({ content: delivery.text, nonce: nonceFor(context), enforceNonce: true });
        return;
    }
  };
}
