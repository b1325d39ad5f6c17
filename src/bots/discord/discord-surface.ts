/** @module Discord as a thread surface for deliveries: messages, edits and file uploads in a thread, with the bot token. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  ActionRowBuilder,
  type APIAllowedMentions,
  ButtonBuilder,
  ButtonStyle,
  type Client,
  DiscordAPIError,
  type REST,
  RESTJSONErrorCodes,
  Routes,
  type SendableChannels,
} from 'discord.js';
import type { MessageAction, ThreadSurface } from '../../deliveries/thread-surface.ts';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { ThreadRef } from '../../queue/types.ts';
import { ButtonIds } from './edit-command.ts';

export interface DiscordSurfaceOptions {
  client: Client;
  /** REST client for uploads, with the bot token and a timeout long enough for a whole render. @defaultValue `client.rest` */
  uploadRest?: REST;
}

/** Discord's limit on a message's content. */
export const DISCORD_MAX_CONTENT_CHARS = 2000;

/** No `@everyone`, `@here`, role or user mention in a bot post pings anyone, and a reply pings no author. */
export const NO_MENTIONS = { parse: [], repliedUser: false } as const;
const NO_MENTIONS_API: APIAllowedMentions = { parse: [], replied_user: false };

function isApiError(error: unknown, code: number): boolean {
  return error instanceof DiscordAPIError && error.code === code;
}

// Discord drops a second message with the same nonce (enforce_nonce), so a delivery retried after a
// crash between "posted" and "acknowledged" never shows twice. Nonces are at most 25 characters.
function nonceOf(idempotencyKey: string): string {
  return createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 25);
}

function buttonFor(action: MessageAction, thread: ThreadRef): ButtonBuilder {
  return action.kind === 'cancel'
    ? new ButtonBuilder()
        .setCustomId(ButtonIds.cancel(action.requestId))
        .setLabel('Cancel')
        .setStyle(ButtonStyle.Danger)
    : new ButtonBuilder()
        .setCustomId(ButtonIds.undo(thread.threadId, action.version))
        .setLabel(`Undo (back to v${action.version - 1})`)
        .setStyle(ButtonStyle.Secondary);
}

/** One row with the message's buttons, or none. The first version has no Undo: nothing is before it. */
function componentsFor(actions: MessageAction[] | undefined, thread: ThreadRef) {
  const shown = (actions ?? []).filter((a) => a.kind === 'cancel' || a.version > 1);
  if (shown.length === 0) return [];
  return [new ActionRowBuilder<ButtonBuilder>().addComponents(shown.map((a) => buttonFor(a, thread)))];
}

/**
 * Posts through the bot token into the thread (never the interaction webhook, whose token dies after
 * 15 minutes). discord.js waits out 429 (Retry-After) in its REST queue before a call resolves.
 */
export function createDiscordSurface(options: DiscordSurfaceOptions): ThreadSurface {
  const { client } = options;
  const uploadRest = options.uploadRest ?? client.rest;

  async function channelOf(thread: ThreadRef): Promise<SendableChannels> {
    try {
      const channel = await client.channels.fetch(thread.threadId);
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
      `discord delivery: thread ${thread.threadId} is gone or not accessible`,
    );
  }

  return {
    strong: (text) => `**${text}**`,
    uploadCarriesActions: true,
    maxTextChars: DISCORD_MAX_CONTENT_CHARS,
    // Mentions are switched off per post (allowed_mentions), so the text stays as written.
    escapeText: (text) => text,
    async post(thread, message, { idempotencyKey }) {
      const channel = await channelOf(thread);
      const posted = await channel.send({
        content: message.text,
        components: componentsFor(message.actions, thread),
        nonce: nonceOf(idempotencyKey),
        enforceNonce: true,
        allowedMentions: NO_MENTIONS,
      });
      return posted.id;
    },
    async update(thread, messageId, message) {
      const channel = await channelOf(thread);
      try {
        await channel.messages.edit(messageId, {
          content: message.text,
          components: componentsFor(message.actions, thread),
          allowedMentions: NO_MENTIONS,
        });
        return true;
      } catch (error) {
        if (isApiError(error, RESTJSONErrorCodes.UnknownMessage)) return false;
        throw error;
      }
    },
    async upload(thread, file, message, { idempotencyKey }) {
      const channel = await channelOf(thread);
      const data = 'data' in file ? file.data : await readFile(file.path);
      try {
        // Through the upload client: its timeout covers the whole body, which the shared client's 15 s would not.
        const posted = (await uploadRest.post(Routes.channelMessages(channel.id), {
          body: {
            content: message.text,
            components: componentsFor(message.actions, thread).map((row) => row.toJSON()),
            nonce: nonceOf(idempotencyKey),
            enforce_nonce: true,
            allowed_mentions: NO_MENTIONS_API,
          },
          files: [{ name: file.name, data, contentType: file.mimeType }],
        })) as { id?: string };
        return posted.id
          ? `https://discord.com/channels/${thread.workspaceId ?? '@me'}/${channel.id}/${posted.id}`
          : undefined;
      } catch (error) {
        if (!isApiError(error, RESTJSONErrorCodes.RequestEntityTooLarge)) throw error;
        throw new CutroomError(ErrorCode.UploadTooLarge, `discord refused ${file.size} bytes as too large`, {
          userMessage: `Discord refused the video (${Math.ceil(file.size / (1024 * 1024))} MB) as too large for this server. Ask for a shorter cut.`,
          cause: error,
        });
      }
    },
  };
}
