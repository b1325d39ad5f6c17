/** @module Turns Slack message and app_mention events into platform-neutral requests (or nothing, for noise). */
import { z } from 'zod';
import type { IncomingRequest } from '../shared/bot-core.ts';
import {
  resolveSlackFiles,
  SLACK_UPLOAD_LIMIT_BYTES,
  SlackFileSchema,
  type SlackFilesOptions,
  slackIncomingFiles,
  threadFiles,
} from './slack-files.ts';

export const SlackMessageEventSchema = z.object({
  type: z.enum(['app_mention', 'message']),
  subtype: z.string().optional(),
  user: z.string().optional(),
  bot_id: z.string().optional(),
  text: z.string().optional(),
  ts: z.string(),
  thread_ts: z.string().optional(),
  channel: z.string(),
  files: z.array(z.unknown()).optional(),
});

export interface SlackEventContext {
  /** The envelope's `event_id`: the same on every retry of one event. */
  eventId: string;
  /** The envelope's `team_id` (the workspace the app is installed in). */
  teamId?: string;
  botUserId?: string;
}

// Plain messages and uploads; edits, deletions, joins and bot posts are not requests.
const REQUEST_SUBTYPES = new Set([undefined, 'file_share', 'thread_broadcast']);

/**
 * Normalises one event. Returns undefined for what the bot must not act on: its own and other
 * bots' messages, non-message subtypes, top-level messages without a mention, and thread replies
 * that mention the bot (Slack sends those again as app_mention, which is handled instead).
 */
export async function toIncomingRequest(
  raw: unknown,
  context: SlackEventContext,
  files: SlackFilesOptions,
): Promise<IncomingRequest | undefined> {
  const parsed = SlackMessageEventSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const event = parsed.data;
  if (event.bot_id || !event.user || event.user === context.botUserId) return undefined;
  if (!REQUEST_SUBTYPES.has(event.subtype)) return undefined;
  const text = event.text ?? '';
  const inThread = event.thread_ts !== undefined && event.thread_ts !== event.ts;
  const mentioned = context.botUserId !== undefined && text.includes(`<@${context.botUserId}`);
  if (event.type === 'message' && (!inThread || mentioned)) return undefined;

  const announced = (event.files ?? []).flatMap((f) => {
    const file = SlackFileSchema.safeParse(f);
    return file.success ? [file.data] : [];
  });
  const attachments = await resolveSlackFiles(announced, files.client);
  const threadTs = event.thread_ts ?? event.ts;
  return {
    id: `slack:${context.eventId}`,
    thread: { platform: 'slack', workspaceId: context.teamId, channelId: event.channel, threadId: threadTs },
    user: { id: event.user },
    text,
    files: slackIncomingFiles(attachments, files),
    addressed: event.type === 'app_mention',
    messageId: event.ts,
    uploadLimitBytes: SLACK_UPLOAD_LIMIT_BYTES,
    earlierFiles: inThread
      ? async () =>
          slackIncomingFiles(
            await resolveSlackFiles(
              await threadFiles(files.client, event.channel, threadTs, { beforeTs: event.ts }),
              files.client,
            ),
            files,
          )
      : undefined,
  };
}
