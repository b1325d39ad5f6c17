/** @module The Slack listeners: mentions, thread replies and the Undo and Cancel buttons, each turned into a request. */
import type { App } from '@slack/bolt';
import type { Logger } from '../../logger.ts';
import type { ThreadRef } from '../../queue/types.ts';
import type { IncomingRequest } from '../shared/bot-core.ts';
import { SlackActions } from './slack-blocks.ts';
import { toIncomingRequest } from './slack-events.ts';
import { SLACK_UPLOAD_LIMIT_BYTES, type SlackFilesOptions } from './slack-files.ts';

export interface SlackHandlerDeps {
  files: SlackFilesOptions;
  /** Takes a request on; Bolt has acknowledged the event by then (Slack's 3 s limit). */
  handle(request: IncomingRequest): Promise<unknown>;
  logger: Logger;
}

interface MessageArgs {
  event: unknown;
  body: { event_id?: unknown; team_id?: unknown; authorizations?: { team_id?: string | null }[] };
  context: { botUserId?: string };
}

export function registerSlackHandlers(app: App, deps: SlackHandlerDeps): void {
  /** An ephemeral message in the thread: only `userId` sees it. */
  const privately =
    (thread: ThreadRef, userId: string) =>
    async (text: string): Promise<void> => {
      await app.client.chat.postEphemeral({
        channel: thread.channelId,
        user: userId,
        thread_ts: thread.threadId,
        text,
      });
    };
  const onMessage = async ({ event, body, context }: MessageArgs) => {
    const request = await toIncomingRequest(
      event,
      { eventId: String(body.event_id ?? ''), teamId: teamOf(body), botUserId: context.botUserId },
      deps.files,
    );
    if (request)
      await deps.handle({ ...request, replyPrivately: privately(request.thread, request.user.id) });
  };
  app.event('app_mention', onMessage);
  app.event('message', onMessage);

  app.action(SlackActions.Undo, async ({ ack, body, action }) => {
    await ack();
    const where = actionThread(body);
    if (!where) return;
    const version = (action as { value?: string }).value ?? '';
    await deps.handle({
      // One undo per button and user: a double click undoes once, and a refused press does not block the starter's.
      id: `slack:action:undo:${where.thread.channelId}:${where.messageTs}:${version}:${body.user.id}`,
      thread: where.thread,
      user: { id: body.user.id },
      text: 'undo',
      files: [],
      addressed: true,
      uploadLimitBytes: SLACK_UPLOAD_LIMIT_BYTES,
      ...(Number(version) > 0 ? { version: Number(version) } : {}),
      replyPrivately: privately(where.thread, body.user.id),
    });
  });
  app.action(SlackActions.Cancel, async ({ ack, body, action }) => {
    await ack();
    const where = actionThread(body);
    const target = (action as { value?: string }).value;
    if (!where || !target) return;
    await deps.handle({
      id: `slack:action:cancel:${target}:${body.user.id}`,
      thread: where.thread,
      user: { id: body.user.id },
      text: 'cancel',
      files: [],
      addressed: true,
      targetRequestId: target,
      replyPrivately: privately(where.thread, body.user.id),
    });
  });
  app.error(async (error) => {
    deps.logger.error({ err: error }, 'slack listener failed');
  });
}

function teamOf(body: MessageArgs['body']): string | undefined {
  return typeof body.team_id === 'string' ? body.team_id : (body.authorizations?.[0]?.team_id ?? undefined);
}

/** Where a button was pressed: the thread of the message that holds it. */
function actionThread(body: unknown): { thread: ThreadRef; messageTs: string } | undefined {
  const b = body as {
    team?: { id?: string } | null;
    channel?: { id?: string };
    container?: { channel_id?: string; message_ts?: string };
    message?: { ts?: string; thread_ts?: string };
  };
  const channelId = b.channel?.id ?? b.container?.channel_id;
  const messageTs = b.message?.ts ?? b.container?.message_ts;
  if (!channelId || !messageTs) return undefined;
  return {
    thread: {
      platform: 'slack',
      workspaceId: b.team?.id ?? undefined,
      channelId,
      threadId: b.message?.thread_ts ?? messageTs,
    },
    messageTs,
  };
}
