/** @module Discord threads for requests: starting one from a message, naming it, and its ThreadRef. */
import { DiscordAPIError, type Message, RESTJSONErrorCodes, type ThreadChannel } from 'discord.js';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { ThreadRef } from '../../queue/types.ts';

const THREAD_NAME_MAX = 90;

/** The first line of the prompt, cut to fit Discord's thread name. */
export function threadName(prompt: string): string {
  const line = prompt.split('\n')[0].trim();
  if (!line) return 'cutroom edit';
  return line.length > THREAD_NAME_MAX ? `${line.slice(0, THREAD_NAME_MAX - 1)}…` : line;
}

/** Starts the request's thread; a missing permission becomes a message the user can act on. */
export async function startThreadFrom(message: Message, prompt: string): Promise<ThreadChannel> {
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

/** A thread keyed under its parent channel, so allowlists and rate limits see the channel. */
export async function threadRefOf(thread: ThreadChannel, guildId: string | null): Promise<ThreadRef> {
  const parentId = thread.parentId ?? (await thread.fetch()).parentId ?? thread.id;
  return { platform: 'discord', workspaceId: guildId ?? undefined, channelId: parentId, threadId: thread.id };
}
