/** @module `cutroom discord register-commands`: puts the `/edit` slash command on Discord, globally or in one guild. */
import { DiscordAPIError, REST, Routes } from 'discord.js';
import { editCommandDefinition } from '../bots/discord/edit-command.ts';
import { type Config, loadConfig } from '../config.ts';
import { CutroomError, ErrorCode } from '../errors.ts';

export interface RegisterCommandsOptions {
  /** Register in this guild only (instant, for development). @defaultValue DISCORD_DEV_GUILD_ID, else global */
  guild?: string;
  /** @defaultValue loadConfig() */
  config?: Config;
  /** Where the one-line summary goes. @defaultValue stdout */
  output?: (line: string) => void;
  /** @defaultValue 15000 */
  timeoutMs?: number;
}

export interface RegisterCommandsResult {
  scope: 'global' | 'guild';
  guildId?: string;
  applicationId: string;
  commands: { id: string; name: string }[];
}

/**
 * Overwrites the application's commands with cutroom's (a PUT, so running it twice is harmless).
 * @throws CutroomError config_invalid without DISCORD_TOKEN, or when Discord refuses the token or application.
 */
export async function registerCommands(
  options: RegisterCommandsOptions = {},
): Promise<RegisterCommandsResult> {
  const config = options.config ?? loadConfig();
  const discord = config.discord;
  if (!discord) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'discord register-commands: DISCORD_TOKEN is not set; put the bot token from the Discord developer portal in the environment or .env',
    );
  }
  const rest = new REST({
    version: '10',
    timeout: options.timeoutMs ?? 15_000,
    retries: 1,
    ...(discord.apiUrl ? { api: discord.apiUrl.replace(/\/+$/, '') } : {}),
  }).setToken(discord.token);
  const guildId = options.guild ?? discord.devGuildId;
  try {
    const applicationId =
      discord.applicationId ?? ((await rest.get(Routes.currentApplication())) as { id: string }).id;
    const route = guildId
      ? Routes.applicationGuildCommands(applicationId, guildId)
      : Routes.applicationCommands(applicationId);
    const commands = (await rest.put(route, { body: [editCommandDefinition()] })) as {
      id: string;
      name: string;
    }[];
    const result: RegisterCommandsResult = {
      scope: guildId ? 'guild' : 'global',
      ...(guildId ? { guildId } : {}),
      applicationId,
      commands: commands.map((c) => ({ id: c.id, name: c.name })),
    };
    const names = result.commands.map((c) => `/${c.name}`).join(', ');
    (options.output ?? ((line) => process.stdout.write(`${line}\n`)))(
      guildId
        ? `Registered ${names} in guild ${guildId}; it is usable right away.`
        : `Registered ${names} globally; Discord can take up to an hour to show it everywhere.`,
    );
    return result;
  } catch (error) {
    if (
      error instanceof DiscordAPIError &&
      (error.status === 401 || error.status === 403 || error.status === 404)
    ) {
      throw new CutroomError(
        ErrorCode.ConfigInvalid,
        `discord register-commands: Discord answered ${error.status} (${error.message}) for ${guildId ? `guild ${guildId}` : 'global commands'}; check DISCORD_TOKEN, DISCORD_APPLICATION_ID${guildId ? ' and that the bot is in that guild' : ''}`,
        { cause: error },
      );
    }
    throw error;
  }
}
