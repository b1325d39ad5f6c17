/** @module The `/edit` slash command and the ids of the buttons cutroom puts on its messages. */
import {
  ApplicationIntegrationType,
  InteractionContextType,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  SlashCommandBuilder,
} from 'discord.js';

export const EDIT_COMMAND_NAME = 'edit';

/** Attachment options in upload order. */
export const CLIP_OPTION_NAMES = ['clip', 'clip2', 'clip3', 'clip4'] as const;

/** The `/edit prompt:<text> clip:<attachment> [clip2] [clip3] [clip4]` definition sent to Discord. */
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
        .setRequired(true)
        .setMaxLength(2000),
    )
    .addAttachmentOption((o) =>
      o.setName('clip').setDescription('A video, audio or image clip').setRequired(true),
    );
  for (const name of CLIP_OPTION_NAMES.slice(1)) {
    builder.addAttachmentOption((o) => o.setName(name).setDescription('Another clip (optional)'));
  }
  return builder.toJSON();
}

/** Custom ids of buttons: the thread or request they act on is part of the id, so no lookup is needed. */
export const ButtonIds = {
  undo: (threadId: string) => `cutroom:undo:${threadId}`,
  cancel: (requestId: string) => `cutroom:cancel:${requestId}`,
  parse(customId: string): { action: 'undo' | 'cancel'; target: string } | undefined {
    const match = /^cutroom:(undo|cancel):(.+)$/.exec(customId);
    return match ? { action: match[1] as 'undo' | 'cancel', target: match[2] } : undefined;
  },
} as const;
