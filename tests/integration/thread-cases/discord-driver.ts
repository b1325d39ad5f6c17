/** @module The thread cases' driver for Discord: the whole Discord stack (real discord.js, worker, Redis) against the Discord fake. */
import type { FakeMessage, FakeUser } from '../../fakes/discord-fake-server.ts';
import type { SlowLink } from '../../fakes/slow-link.ts';
import {
  DISCORD_STACK_AGENT_MODEL,
  DISCORD_STACK_VISION_MODEL,
  startDiscordStack,
} from '../../helpers/discord-stack.ts';
import type { CaseFixtures, CaseThread, CaseUser, ThreadDriver, ThreadPost } from './thread-driver.ts';
import { CASE_ENV, waitForThreadPost } from './thread-driver.ts';

const ADMIN_ROLE = '500000000000000009';
const USERS: Record<CaseUser, FakeUser> = {
  alice: { id: '400000000000000001', username: 'alice' },
  bob: { id: '400000000000000002', username: 'bob' },
  // An admin by role, as a server would configure it.
  admin: { id: '400000000000000003', username: 'admin', roles: [ADMIN_ROLE] },
};

/** Starts the Discord stack; `clip` is the bytes every attached clip carries. */
export async function startDiscordDriver(options: CaseFixtures): Promise<ThreadDriver> {
  const stack = await startDiscordStack({
    redisUrl: options.redisUrl,
    env: { CUTROOM_THREAD_ADMINS: ADMIN_ROLE, ...CASE_ENV },
  });
  const { discord } = stack;
  discord.addRole({ id: ADMIN_ROLE, name: 'cutroom admins' });

  function clips(count: number, link?: SlowLink) {
    return Array.from({ length: count }, (_, i) =>
      discord.addAttachment(`clip-${i + 1}.mp4`, options.clip, 'video/mp4', link),
    );
  }

  function threadOf(id: string): CaseThread {
    return {
      ref: {
        platform: 'discord',
        workspaceId: discord.guilds[0].id,
        channelId: stack.channelId,
        threadId: id,
      },
      async reply(text, { as = 'alice', clips: count = 0 } = {}) {
        discord.sendUserMessage({ user: USERS[as], channelId: id, content: text, attachments: clips(count) });
      },
      async command(name, { version, as = 'alice' } = {}) {
        discord.sendEditCommand({ user: USERS[as], channelId: id, action: name, version });
      },
      async press(post, kind, { as = 'alice' } = {}) {
        const message = discord.messages.get(post.id);
        const customId = message && customIds(message).find((c) => c.startsWith(`cutroom:${kind}:`));
        if (!message || !customId) throw new Error(`post ${post.id} has no ${kind} button`);
        discord.pressButton({ user: USERS[as], message, customId });
      },
      posts: () =>
        discord
          .channelMessages(id)
          .filter((m) => m.author.id === discord.botUser.id && !m.ephemeral)
          .map(postOf),
      privateReplies: (user) =>
        discord
          .channelMessages(id)
          .filter((m) => m.ephemeral && m.shownTo === USERS[user].id)
          .map((m) => m.content),
    };
  }

  return {
    platform: 'discord',
    llm: stack.llm,
    agentModel: DISCORD_STACK_AGENT_MODEL,
    visionModel: DISCORD_STACK_VISION_MODEL,
    services: stack.services,
    async start(prompt, { as = 'alice', clips: count = 1, link } = {}) {
      const before = new Set(discord.threads(stack.channelId).map((t) => t.id));
      discord.sendEditCommand({ user: USERS[as], prompt, clips: clips(count, link) });
      const thread = await discord.waitUntil(
        () => discord.threads(stack.channelId).find((t) => !before.has(t.id)),
        { what: 'a new thread' },
      );
      return threadOf(thread.id);
    },
    waitForPost: waitForThreadPost,
    workerProcesses: (count) => stack.worker.handToProcesses(count),
    close: () => stack.close(),
  };
}

function customIds(message: FakeMessage): string[] {
  return [...JSON.stringify(message.components).matchAll(/"custom_id":"([^"]+)"/g)].map((m) => m[1]);
}

function postOf(message: FakeMessage): ThreadPost {
  return {
    id: message.id,
    text: message.content,
    shown: message.history,
    pings: message.pings,
    files: message.files.map((f) => f.name),
    file: message.files[0]?.data,
    buttons: customIds(message).flatMap((id): ThreadPost['buttons'] => {
      const undo = /^cutroom:undo:\d+:(\d+)$/.exec(id);
      if (undo) return [{ kind: 'undo' as const, version: Number(undo[1]) }];
      return id.startsWith('cutroom:cancel:') ? [{ kind: 'cancel' as const }] : [];
    }),
  };
}
