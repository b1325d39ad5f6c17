/** @module The optional guild and channel allowlists for the Discord bot. */

export interface DiscordAccessRules {
  /** Empty: every guild. */
  allowedGuilds: string[];
  /** Empty: every channel. A thread counts as its parent channel. */
  allowedChannels: string[];
}

export interface DiscordPlace {
  guildId?: string | null;
  channelId: string;
  /** The parent channel when `channelId` is a thread. */
  parentId?: string | null;
}

/** Whether cutroom may act in this guild and channel; direct messages (no guild) need an empty guild list. */
export function isDiscordPlaceAllowed(rules: DiscordAccessRules, place: DiscordPlace): boolean {
  if (rules.allowedGuilds.length > 0 && !(place.guildId && rules.allowedGuilds.includes(place.guildId))) {
    return false;
  }
  if (rules.allowedChannels.length === 0) return true;
  return (
    rules.allowedChannels.includes(place.channelId) ||
    Boolean(place.parentId && rules.allowedChannels.includes(place.parentId))
  );
}
