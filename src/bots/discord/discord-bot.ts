/** @module The Discord bot: `/edit`, thread replies, mentions and buttons in; deliveries out into the thread. */

import {
  type Attachment,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  DiscordAPIError,
  Events,
  type Interaction,
  type Message,
  MessageFlags,
  RESTJSONErrorCodes,
  type ThreadChannel,
} from 'discord.js';
import type { Redis } from 'ioredis';
import { closeInOrder } from '../../close-in-order.ts';
import type { Config } from '../../config.ts';
import { CutroomError, ErrorCode, TimeoutError, toCutroomError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ArtifactStore } from '../../queue/artifact-store.ts';
import { DeliveryConsumer, DeliveryConsumerEvents, DeliveryQueue } from '../../queue/delivery-queue.ts';
import { EditQueue } from '../../queue/edit-queue.ts';
import { RateLimiter } from '../../queue/rate-limiter.ts';
import { ThreadRegistry } from '../../queue/thread-state.ts';
import type { ThreadRef } from '../../queue/types.ts';
import { BotCore, BotMessages, type IncomingRequest } from '../shared/bot-core.ts';
import { stripMentions } from '../shared/parse-thread-command.ts';
import { isDiscordPlaceAllowed } from './discord-access.ts';
import { toIncomingFile } from './discord-attachments.ts';
import { createDiscordClient } from './discord-client.ts';
import { createDiscordDeliveryHandler } from './discord-delivery-handler.ts';
import { DiscordUploadLimits } from './discord-upload-limits.ts';
import { ButtonIds, CLIP_OPTION_NAMES, EDIT_COMMAND_NAME } from './edit-command.ts';

export interface StartDiscordBotOptions {
  /** Needs `config.discord` (DISCORD_TOKEN). */
  config: Config;
  logger: Logger;
  /** A BullMQ-ready ioredis connection (see createRedisConnection). */
  connection: Redis;
  store: ArtifactStore;
  /** Key prefix in Redis. @defaultValue 'cutroom' */
  prefix?: string;
  /** Time allowed for login and the gateway handshake. @defaultValue 30000 */
  readyTimeoutMs?: number;
}

export interface DiscordBot {
  readonly client: Client;
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Replies the Discord adapter gives itself, before a thread exists. */
export const DiscordMessages = {
  noPrompt: 'Tell me what to do with the clips, e.g. "cut to the best 15 seconds and add a title".',
} as const;

const THREAD_NAME_MAX = 90;

function threadName(prompt: string): string {
  const line = prompt.split('\n')[0].trim();
  if (!line) return 'cutroom edit';
  return line.length > THREAD_NAME_MAX ? `${line.slice(0, THREAD_NAME_MAX - 1)}…` : line;
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/** Starts the request's thread; a missing permission becomes a message the user can act on. */
async function startThreadFrom(message: Message, prompt: string): Promise<ThreadChannel> {
  try {
    return await message.startThread({ name: threadName(prompt), autoArchiveDuration: 1440 });
  } catch (error) {
    if (
      error instanceof DiscordAPIError &&
      (error.code === RESTJSONErrorCodes.MissingPermissions ||
        error.code === RESTJSONErrorCodes.MissingAccess)
    ) {
      throw new CutroomError(
        ErrorCode.MissingScope,
        `discord: starting a thread in channel ${message.channelId} failed: ${error.message}`,
        {
          userMessage:
            'I could not start a thread here. Please give me the "Create Public Threads" and "Send Messages in Threads" permissions in this channel.',
          cause: error,
        },
      );
    }
    throw error;
  }
}

/**
 * Logs in, waits for the gateway to be ready, and starts the Discord delivery consumer.
 * Each request from a channel gets its own thread (started from the `/edit` reply or the mention);
 * the shared BotCore then queues it, and replies in the thread make the next version.
 * @throws CutroomError config_invalid without DISCORD_TOKEN; TimeoutError when the gateway is not ready in time.
 */
export async function startDiscordBot(options: StartDiscordBotOptions): Promise<DiscordBot> {
  const discord = options.config.discord;
  if (!discord) {
    throw new CutroomError(ErrorCode.ConfigInvalid, 'discord bot: DISCORD_TOKEN is not set');
  }
  const { connection, store, config } = options;
  const logger = options.logger.child({ platform: 'discord' });
  const prefix = options.prefix ?? 'cutroom';
  const client = createDiscordClient({ apiUrl: discord.apiUrl });
  const downloads = { extraHosts: discord.apiUrl ? [new URL(discord.apiUrl).hostname] : [] };
  const deliveries = new DeliveryQueue({ connection, prefix });
  const edits = new EditQueue({ connection, prefix, deliveries });
  const registry = new ThreadRegistry({ redis: connection, prefix });
  const uploadLimits = new DiscordUploadLimits({ redis: connection, prefix });
  const core = new BotCore({
    platform: 'discord',
    logger,
    redis: connection,
    prefix,
    edits,
    deliveries,
    threads: registry,
    rateLimiter: new RateLimiter({
      redis: connection,
      prefix,
      userLimit: config.limits.userRequestsPerHour,
      channelLimit: config.limits.channelRequestsPerHour,
    }),
    store,
    limits: config.limits,
    allowlist: { workspaces: discord.allowedGuilds, channels: discord.allowedChannels },
  });
  const consumer = new DeliveryConsumer({
    connection,
    prefix,
    platform: 'discord',
    handler: createDiscordDeliveryHandler({
      client,
      registry,
      uploadLimits,
      pathOf: (key) => store.pathFor(key),
      logger,
    }),
  });
  consumer.on(DeliveryConsumerEvents.Failed, (delivery, error, final) => {
    logger[final ? 'error' : 'warn'](
      { err: error, kind: delivery?.kind, requestId: delivery?.requestId, final },
      'discord delivery failed',
    );
  });
  consumer.on(DeliveryConsumerEvents.Error, (error) =>
    logger.error({ err: error }, 'discord delivery consumer error'),
  );
  client.on(Events.Error, (error) => logger.error({ err: error }, 'discord client error'));

  const inFlight = new Set<Promise<void>>();
  let closed = false;
  /** Runs a handler; an unexpected failure is logged and, where possible, told to the user in one line. */
  const track = (name: string, work: () => Promise<void>, tell?: (text: string) => Promise<unknown>) => {
    if (closed) return;
    const promise = work()
      .catch(async (error: unknown) => {
        logger.error({ err: error }, `discord ${name} handler failed`);
        await tell?.(`⚠️ ${toCutroomError(error).userMessage}`).catch((e: unknown) => {
          logger.warn({ err: e }, `discord ${name}: could not report the failure`);
        });
      })
      .finally(() => inFlight.delete(promise));
    inFlight.add(promise);
  };

  // Checked before a thread is started, so a refused channel gets no thread (the core checks again).
  const allowed = (place: { guildId?: string | null; channelId: string; parentId?: string | null }) =>
    isDiscordPlaceAllowed(
      { allowedGuilds: discord.allowedGuilds, allowedChannels: discord.allowedChannels },
      place,
    );

  async function threadRefOf(thread: ThreadChannel, guildId: string | null): Promise<ThreadRef> {
    const parentId = thread.parentId ?? (await thread.fetch()).parentId ?? thread.id;
    return {
      platform: 'discord',
      workspaceId: guildId ?? undefined,
      channelId: parentId,
      threadId: thread.id,
    };
  }

  async function onEditCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const channel = interaction.channel;
    const parentId = channel?.isThread() ? channel.parentId : undefined;
    if (!allowed({ guildId: interaction.guildId, channelId: interaction.channelId, parentId })) {
      await interaction.reply({ content: BotMessages.notAllowed, flags: MessageFlags.Ephemeral });
      return;
    }
    // Discord drops an interaction not acknowledged within 3 s; everything slow happens after this.
    await interaction.deferReply();
    const prompt = (interaction.options.getString('prompt') ?? '').trim();
    const clips = CLIP_OPTION_NAMES.map((name) => interaction.options.getAttachment(name)).filter(
      (a): a is Attachment => Boolean(a),
    );
    if (clips.length === 0 || !prompt) {
      await interaction.editReply({
        content: `⚠️ ${clips.length === 0 ? BotMessages.noClip : DiscordMessages.noPrompt}`,
      });
      return;
    }
    const reply = await interaction.editReply({
      content: `🎬 <@${interaction.user.id}> asked:\n${quote(prompt)}\n${channel?.isThread() ? 'Working on it here.' : 'I’ll work on it in the thread below.'}`,
      allowedMentions: { parse: [] },
    });
    const thread = channel?.isThread() ? channel : await startThreadFrom(reply, prompt);
    const ref = await threadRefOf(thread, interaction.guildId);
    if (interaction.attachmentSizeLimit) {
      await uploadLimits.remember(
        { threadId: thread.id, guildId: interaction.guildId },
        interaction.attachmentSizeLimit,
      );
    }
    await core.handle({
      id: `discord:${interaction.id}`,
      thread: ref,
      user: { id: interaction.user.id, name: interaction.user.username },
      text: prompt,
      files: clips.map((clip) => toIncomingFile(clip, downloads)),
      addressed: true,
      uploadLimitBytes: interaction.attachmentSizeLimit || undefined,
    });
  }

  async function onButton(interaction: ButtonInteraction): Promise<void> {
    const parsed = ButtonIds.parse(interaction.customId);
    if (!parsed) return;
    const channel = interaction.channel;
    if (!channel?.isThread()) {
      await interaction.reply({ content: BotMessages.nothingToCancel, flags: MessageFlags.Ephemeral });
      return;
    }
    const ref = await threadRefOf(channel, interaction.guildId);
    // The button press is acknowledged in place; what happens next shows in the status message.
    await interaction.deferUpdate();
    await core.handle({
      id: `discord:${interaction.id}`,
      thread: ref,
      user: { id: interaction.user.id, name: interaction.user.username },
      text: parsed.action,
      files: [],
      addressed: true,
      ...(parsed.action === 'cancel' ? { targetRequestId: parsed.target } : {}),
    });
  }

  async function onThreadMessage(message: Message, thread: ThreadChannel): Promise<void> {
    const ref = await threadRefOf(thread, message.guildId);
    const request: IncomingRequest = {
      id: `discord:${message.id}`,
      thread: ref,
      user: { id: message.author.id, name: message.author.username },
      text: message.content,
      files: [...message.attachments.values()].map((a) => toIncomingFile(a, downloads)),
      addressed: Boolean(client.user && message.mentions.users.has(client.user.id)),
    };
    await core.handle(request);
  }

  async function onMention(message: Message): Promise<void> {
    if (!allowed({ guildId: message.guildId, channelId: message.channelId })) {
      await message.reply(BotMessages.notAllowed);
      return;
    }
    const attachments = [...message.attachments.values()];
    if (attachments.length === 0) {
      await message.reply(`⚠️ ${BotMessages.noClip}`);
      return;
    }
    const prompt = stripMentions(message.content);
    const thread = await startThreadFrom(message, prompt);
    await core.handle({
      id: `discord:${message.id}`,
      thread: await threadRefOf(thread, message.guildId),
      user: { id: message.author.id, name: message.author.username },
      text: message.content,
      files: attachments.map((a) => toIncomingFile(a, downloads)),
      addressed: true,
    });
  }

  client.on(Events.InteractionCreate, (interaction: Interaction) => {
    if (interaction.isChatInputCommand() && interaction.commandName === EDIT_COMMAND_NAME) {
      track(
        '/edit',
        () => onEditCommand(interaction),
        (content) =>
          interaction.deferred || interaction.replied
            ? interaction.editReply({ content })
            : interaction.reply({ content, flags: MessageFlags.Ephemeral }),
      );
    } else if (interaction.isButton()) {
      track(
        'button',
        () => onButton(interaction),
        (content) =>
          interaction.deferred || interaction.replied
            ? interaction.followUp({ content, flags: MessageFlags.Ephemeral })
            : interaction.reply({ content, flags: MessageFlags.Ephemeral }),
      );
    }
  });
  client.on(Events.MessageCreate, (message: Message) => {
    if (message.author.bot || message.system || message.webhookId) return;
    const channel = message.channel;
    if (channel.isThread()) track('thread reply', () => onThreadMessage(message, channel));
    else if (client.user && message.mentions.users.has(client.user.id)) {
      track(
        'mention',
        () => onMention(message),
        (content) => message.reply(content),
      );
    }
  });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      closed = true;
      const steps: (() => Promise<unknown>)[] = [
        () => consumer.close(),
        () => Promise.allSettled([...inFlight]),
        () => client.destroy(),
        () => edits.close(),
        () => deliveries.close(),
      ];
      await closeInOrder(steps, (error) => logger.warn({ err: error }, 'discord bot: a close step failed'));
    })();
    return closing;
  };

  try {
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    const ready = new Promise<void>((resolve) => client.once(Events.ClientReady, () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new TimeoutError(
              `discord bot: gateway not ready after ${readyTimeoutMs} ms (GET /gateway/bot, HELLO, READY, GUILD_CREATE)`,
            ),
          ),
        readyTimeoutMs,
      );
    });
    try {
      const login = client.login(discord.token).catch((error: unknown) => {
        throw new CutroomError(
          ErrorCode.ConfigInvalid,
          `discord bot: login failed (${(error as Error).message}); check DISCORD_TOKEN${discord.apiUrl ? ` and DISCORD_API_URL=${discord.apiUrl}` : ''}`,
          { cause: error },
        );
      });
      await Promise.race([login.then(() => ready), timeout]);
    } finally {
      clearTimeout(timer);
    }
    await consumer.start();
    logger.info({ user: client.user?.tag }, 'discord bot ready');
  } catch (error) {
    await close();
    throw error;
  }

  return { client, close, [Symbol.asyncDispose]: close };
}
