/** @module The `/edit` slash command and the ids of the buttons cutroom puts on its messages. */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';
import { THREAD_COMMAND_WORDS } from '../shared/parse-thread-command.ts';

export const EDIT_COMMAND_NAME = 'edit';

/** Attachment options in upload order. */
export const CLIP_OPTION_NAMES = ['clip', 'clip2', 'clip3', 'clip4'] as const;

/** The options of `/edit` that run a thread command instead of an edit. */
export const ACTION_OPTION = 'action';
export const VERSION_OPTION = 'version';

/**
 * `/edit prompt:<text> clip:<attachment> [clip2] [clip3] [clip4]` starts an edit; in a cutroom thread,
 * `/edit action:<command> [version:N]` runs a thread command (Discord allows no subcommand beside top-level
 * options, and `/edit prompt:` must keep working, so the commands are one option with choices).
 */
export function editCommandDefinition(): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const builder = new SlashCommandBuilder()
    .setName(EDIT_COMMAND_NAME)
    .setDescription('Edit video clips with the cutroom agent; it works in a thread')
    .setContexts(InteractionContextType.Guild)
    .setIntegrationTypes(ApplicationIntegrationType.GuildInstall)
    .addStringOption((o) =>
      o
        .setName('prompt')
        .setDescription('What to do, e.g. "best 15 seconds, vertical, add a title"')
        .setMaxLength(2000),
    )
    .addAttachmentOption((o) => o.setName('clip').setDescription('A video, audio or image clip'));
  for (const name of CLIP_OPTION_NAMES.slice(1)) {
    builder.addAttachmentOption((o) => o.setName(name).setDescription('Another clip (optional)'));
  }
  builder
    .addStringOption((o) =>
      o
        .setName(ACTION_OPTION)
        .setDescription('A thread command instead of an edit')
        .addChoices(...[...THREAD_COMMAND_WORDS, 'go back'].map((word) => ({ name: word, value: word }))),
    )
    .addIntegerOption((o) =>
      o
        .setName(VERSION_OPTION)
        .setDescription('For go back and show code: the version number')
        .setMinValue(1),
    );
  return builder.toJSON();
}

/** The thread message an `/edit action:` stands for, read by the same parser as typed commands. */
export function actionText(action: string, version: number | null): string {
  if (action === 'go back') return `go back to version ${version ?? 0}`;
  if (action === 'show code' && version) return `show code of version ${version}`;
  return action;
}

/**
 * Custom ids of buttons: what they act on is part of the id, so no lookup is needed. An Undo button carries its
 * thread and the version it was posted under (buttons from before versions were carried have none).
 */
export const ButtonIds = {
  undo: (threadId: string, version: number) => `cutroom:undo:${threadId}:${version}`,
  cancel: (requestId: string) => `cutroom:cancel:${requestId}`,
  parse(customId: string): { action: 'undo' | 'cancel'; target: string; version?: number } | undefined {
    const undo = /^cutroom:undo:(\d+)(?::(\d+))?$/.exec(customId);
    if (undo) return { action: 'undo', target: undo[1], ...(undo[2] ? { version: Number(undo[2]) } : {}) };
    const cancel = /^cutroom:cancel:(.+)$/.exec(customId);
    return cancel ? { action: 'cancel', target: cancel[1] } : undefined;
  },
} as const;
