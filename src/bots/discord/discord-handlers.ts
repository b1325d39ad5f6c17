/** @module The Discord listeners: `/edit`, buttons, thread replies and mentions, each turned into a request. */
import {
  type Attachment,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Client,
  Events,
  type Interaction,
  type Message,
  MessageFlags,
  type ThreadChannel,
} from 'discord.js';
import { toCutroomError } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import type { ThreadRef } from '../../queue/types.ts';
import { BotMessages, type IncomingRequest } from '../shared/bot-core.ts';
import type { BotServices } from '../shared/bot-services.ts';
import type { InFlight } from '../shared/in-flight.ts';
import { parseThreadCommand, stripMentions } from '../shared/parse-thread-command.ts';
import { type DiscordAccessRules, type DiscordPlace, isDiscordPlaceAllowed } from './discord-access.ts';
import { type DiscordAttachmentOptions, toIncomingFile } from './discord-attachments.ts';
import { startThreadFrom, threadRefOf } from './discord-threads.ts';
import {
  ACTION_OPTION,
  actionText,
  ButtonIds,
  CLIP_OPTION_NAMES,
  EDIT_COMMAND_NAME,
  VERSION_OPTION,
} from './edit-command.ts';

/** Discord's upload limit for bots when neither the interaction nor the thread's guild ever said otherwise. */
export const DEFAULT_DISCORD_UPLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

/** Replies the Discord adapter gives itself, before a thread exists. */
export const DiscordMessages = {
  noPrompt: 'Tell me what to do with the clips, e.g. "cut to the best 15 seconds and add a title".',
} as const;

export interface DiscordHandlerDeps {
  /** Takes a request on (the shared BotCore). */
  handle(request: IncomingRequest): Promise<unknown>;
  threads: Pick<BotServices['threads'], 'rememberUploadLimit' | 'uploadLimit'>;
  access: DiscordAccessRules;
  /** How attachments are downloaded (the hosts besides Discord's CDN they may come from). */
  downloads: DiscordAttachmentOptions;
  inFlight: InFlight;
  logger: Logger;
}

/** The member's role ids, from a cached GuildMember or the raw interaction member. */
function rolesOf(member: unknown): string[] {
  const roles = (member as { roles?: unknown } | null)?.roles;
  if (Array.isArray(roles)) return roles.map(String);
  const cache = (roles as { cache?: Map<string, unknown> } | undefined)?.cache;
  return cache ? [...cache.keys()] : [];
}

function quote(text: string): string {
  return text
    .split('\n')
    .map((l) => `> ${l}`)
    .join('\n');
}

/**
 * Each request from a channel gets its own thread (started from the `/edit` reply or the mention);
 * replies in the thread make the next version. Allowlists are checked before a thread is started, so
 * a refused channel gets no thread (the shared flow checks again).
 */
export function registerDiscordHandlers(client: Client, deps: DiscordHandlerDeps): void {
  const { logger } = deps;
  const allowed = (place: DiscordPlace) => isDiscordPlaceAllowed(deps.access, place);

  /** Runs a handler; an unexpected failure is logged and, where possible, told to the user in one line. */
  function track(name: string, work: () => Promise<void>, tell?: (text: string) => Promise<unknown>): void {
    void deps.inFlight.run(() =>
      work().catch(async (error: unknown) => {
        logger.error({ err: error }, `discord ${name} handler failed`);
        await tell?.(`⚠️ ${toCutroomError(error).userMessage}`).catch((e: unknown) => {
          logger.warn({ err: e }, `discord ${name}: could not report the failure`);
        });
      }),
    );
  }

  /** The interaction's limit (remembered for the thread and guild), else the last one remembered. */
  async function uploadLimitOf(ref: ThreadRef, reported?: number): Promise<number> {
    if (reported) {
      await deps.threads.rememberUploadLimit(ref, reported);
      return reported;
    }
    return (await deps.threads.uploadLimit(ref)) ?? DEFAULT_DISCORD_UPLOAD_LIMIT_BYTES;
  }

  async function onEditCommand(interaction: ChatInputCommandInteraction): Promise<void> {
    const channel = interaction.channel;
    const parentId = channel?.isThread() ? channel.parentId : undefined;
    if (!allowed({ guildId: interaction.guildId, channelId: interaction.channelId, parentId })) {
      await interaction.reply({ content: BotMessages.notAllowed, flags: MessageFlags.Ephemeral });
      return;
    }
    const action = interaction.options.getString(ACTION_OPTION);
    if (action) {
      await onActionCommand(interaction, action);
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
    await deps.handle({
      id: `discord:${interaction.id}`,
      thread: ref,
      user: { id: interaction.user.id, name: interaction.user.username },
      text: prompt,
      files: clips.map((clip) => toIncomingFile(clip, deps.downloads)),
      addressed: true,
      uploadLimitBytes: await uploadLimitOf(ref, interaction.attachmentSizeLimit || undefined),
    });
  }

  /**
   * `/edit action:<command>`: the thread command as if typed in the thread, acknowledged privately (what it does
   * shows in the thread; a refusal only to the user).
   */
  async function onActionCommand(interaction: ChatInputCommandInteraction, action: string): Promise<void> {
    const channel = interaction.channel;
    const text = actionText(action, interaction.options.getInteger(VERSION_OPTION));
    if (action === 'help' && !channel?.isThread()) {
      await interaction.reply({ content: BotMessages.help, flags: MessageFlags.Ephemeral });
      return;
    }
    if (!channel?.isThread()) {
      await interaction.reply({
        content: 'Use this inside a cutroom thread.',
        flags: MessageFlags.Ephemeral,
      });
      return;
    }
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    let answered = false;
    const ref = await threadRefOf(channel, interaction.guildId);
    await deps.handle({
      id: `discord:${interaction.id}`,
      thread: ref,
      user: { id: interaction.user.id, name: interaction.user.username, roles: rolesOf(interaction.member) },
      text,
      files: [],
      addressed: true,
      uploadLimitBytes: await uploadLimitOf(ref, interaction.attachmentSizeLimit || undefined),
      replyPrivately: async (content) => {
        answered = true;
        await interaction.editReply({ content });
      },
    });
    if (!answered) await interaction.editReply({ content: `\`${text}\`: see the thread.` });
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
    await deps.handle({
      id: `discord:${interaction.id}`,
      thread: ref,
      user: { id: interaction.user.id, name: interaction.user.username, roles: rolesOf(interaction.member) },
      text: parsed.action,
      files: [],
      addressed: true,
      uploadLimitBytes: await uploadLimitOf(ref, interaction.attachmentSizeLimit || undefined),
      ...(parsed.action === 'cancel' ? { targetRequestId: parsed.target } : {}),
      ...(parsed.version ? { version: parsed.version } : {}),
      replyPrivately: async (content) => {
        await interaction.followUp({ content, flags: MessageFlags.Ephemeral });
      },
    });
  }

  /** A message (a thread reply or a mention) as a request in the thread `ref`. */
  async function handleMessage(message: Message, ref: ThreadRef, addressed: boolean): Promise<void> {
    await deps.handle({
      id: `discord:${message.id}`,
      thread: ref,
      user: { id: message.author.id, name: message.author.username, roles: rolesOf(message.member) },
      text: message.content,
      files: [...message.attachments.values()].map((a) => toIncomingFile(a, deps.downloads)),
      addressed,
      uploadLimitBytes: await uploadLimitOf(ref),
    });
  }

  async function onThreadMessage(message: Message, thread: ThreadChannel): Promise<void> {
    const mentioned = Boolean(client.user && message.mentions.users.has(client.user.id));
    await handleMessage(message, await threadRefOf(thread, message.guildId), mentioned);
  }

  async function onMention(message: Message): Promise<void> {
    if (!allowed({ guildId: message.guildId, channelId: message.channelId })) {
      await message.reply(BotMessages.notAllowed);
      return;
    }
    if (message.attachments.size === 0) {
      const help = parseThreadCommand(message.content).kind === 'help';
      await message.reply(help ? BotMessages.help : `⚠️ ${BotMessages.noClip}`);
      return;
    }
    const thread = await startThreadFrom(message, stripMentions(message.content));
    await handleMessage(message, await threadRefOf(thread, message.guildId), true);
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
}
