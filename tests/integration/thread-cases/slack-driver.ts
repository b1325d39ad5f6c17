/** @module The thread cases' driver for Slack: the whole Slack stack (real Bolt, worker, Redis) against the Slack fake. */
import { actionText } from '../../../src/bots/discord/edit-command.ts';
import { blockActionBody, sendSignedEvent } from '../../fakes/slack-fake-server.ts';
import type { SlowLink } from '../../fakes/slow-link.ts';
import {
  STACK_AGENT_MODEL,
  STACK_SIGNING_SECRET,
  STACK_VISION_MODEL,
  startSlackStack,
} from '../../helpers/slack-stack.ts';
import type { CaseFixtures, CaseThread, CaseUser, ThreadDriver, ThreadPost } from './thread-driver.ts';
import { CASE_ENV, waitForThreadPost } from './thread-driver.ts';

const CHANNEL = 'C0CASES';
const USERS: Record<CaseUser, string> = { alice: 'U0ALICE', bob: 'U0BOB', admin: 'U0ADMIN' };

/** Starts the Slack stack; `clip` is the bytes every attached clip carries. */
export async function startSlackDriver(options: CaseFixtures): Promise<ThreadDriver> {
  const stack = await startSlackStack({
    redisUrl: options.redisUrl,
    env: { CUTROOM_THREAD_ADMINS: USERS.admin, ...CASE_ENV },
  });
  const { slack } = stack;

  async function send(body: Record<string, unknown> | string): Promise<void> {
    const res = await sendSignedEvent(stack.bot.eventsUrl ?? '', body, {
      signingSecret: STACK_SIGNING_SECRET,
    });
    if (res.status !== 200) throw new Error(`slack events answered ${res.status}: ${res.text}`);
  }

  function files(count: number, link?: SlowLink) {
    return Array.from({ length: count }, (_, i) =>
      slack.addFile({ name: `clip-${i + 1}.mp4`, bytes: options.clip, mimetype: 'video/mp4', link }),
    );
  }

  function threadOf(ts: string): CaseThread {
    return {
      ref: { platform: 'slack', workspaceId: slack.teamId, channelId: CHANNEL, threadId: ts },
      async reply(text, { as = 'alice', clips = 0 } = {}) {
        const user = USERS[as];
        const message = slack.addMessage({ channel: CHANNEL, user, thread_ts: ts, text });
        await send(
          slack.eventEnvelope({
            type: 'message',
            channel_type: 'channel',
            user,
            text,
            ts: message.ts,
            thread_ts: ts,
            channel: CHANNEL,
            ...(clips > 0 ? { subtype: 'file_share', files: files(clips) } : {}),
          }),
        );
      },
      command(name, { version, as } = {}) {
        return this.reply(actionText(name, version ?? null), { as });
      },
      async press(post, kind, { as = 'alice' } = {}) {
        const button = post.buttons.find((b) => b.kind === kind);
        if (!button) throw new Error(`post ${post.id} has no ${kind} button`);
        const raw = slack.botMessages(ts).find((m) => m.ts === post.id);
        const value = buttonElements(raw?.blocks).find((e) => e.action_id === `cutroom_${kind}`)?.value;
        await send(
          blockActionBody({
            actionId: `cutroom_${kind}`,
            value: value ?? String(button.version ?? ''),
            channel: CHANNEL,
            messageTs: post.id,
            threadTs: ts,
            userId: USERS[as],
            teamId: slack.teamId,
          }),
        );
      },
      posts: () => postsOf(ts),
      privateReplies: (user) =>
        slack.ephemerals.filter((e) => e.thread_ts === ts && e.user === USERS[user]).map((e) => e.text),
    };
  }

  function postsOf(ts: string): ThreadPost[] {
    const messages: ThreadPost[] = slack.botMessages(ts).map((m) => ({
      id: m.ts,
      text: m.text,
      shown: m.history,
      pings: m.pings,
      files: [],
      buttons: buttonsOf(m.blocks),
    }));
    const uploads: ThreadPost[] = slack.uploads
      .filter((u) => u.completedAt && u.threadTs === ts)
      .map((u) => ({
        id: u.id,
        text: u.initialComment ?? '',
        shown: [u.initialComment ?? ''],
        pings: u.pings ?? [],
        files: [u.filename],
        file: u.bytes,
        buttons: [],
      }));
    return [...messages, ...uploads];
  }

  return {
    platform: 'slack',
    llm: stack.llm,
    agentModel: STACK_AGENT_MODEL,
    visionModel: STACK_VISION_MODEL,
    services: stack.services,
    async start(prompt, { as = 'alice', clips = 1, link } = {}) {
      const user = USERS[as];
      const text = `<@${slack.botUserId}> ${prompt}`;
      const message = slack.addMessage({ channel: CHANNEL, user, text });
      await send(
        slack.eventEnvelope({
          type: 'app_mention',
          user,
          text,
          ts: message.ts,
          channel: CHANNEL,
          ...(clips > 0 ? { files: files(clips, link) } : {}),
        }),
      );
      return threadOf(message.ts);
    },
    waitForPost: waitForThreadPost,
    workerProcesses: (count) => stack.worker.handToProcesses(count),
    close: () => stack.close(),
  };
}

function buttonElements(blocks: unknown): { action_id?: string; value?: string }[] {
  return (Array.isArray(blocks) ? blocks : []).flatMap(
    (b: { elements?: { action_id?: string; value?: string }[] }) => b.elements ?? [],
  );
}

/** The buttons of a Block Kit message, as cases see them. */
function buttonsOf(blocks: unknown): ThreadPost['buttons'] {
  return buttonElements(blocks).flatMap((e): ThreadPost['buttons'] => {
    if (e.action_id === 'cutroom_undo') return [{ kind: 'undo' as const, version: Number(e.value) }];
    if (e.action_id === 'cutroom_cancel') return [{ kind: 'cancel' as const }];
    return [];
  });
}
