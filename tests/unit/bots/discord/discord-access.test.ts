import { describe, expect, it } from 'vitest';
import { isDiscordPlaceAllowed } from '../../../../src/bots/discord/discord-access.ts';

describe('isDiscordPlaceAllowed', () => {
  const open = { allowedGuilds: [], allowedChannels: [] };

  it('allows everything when both lists are empty', () => {
    expect(isDiscordPlaceAllowed(open, { guildId: 'g1', channelId: 'c1' })).toBe(true);
    expect(isDiscordPlaceAllowed(open, { guildId: null, channelId: 'dm' })).toBe(true);
  });

  it('allows only listed guilds, and refuses direct messages when guilds are listed', () => {
    const rules = { allowedGuilds: ['g1'], allowedChannels: [] };
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g1', channelId: 'c1' })).toBe(true);
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g2', channelId: 'c1' })).toBe(false);
    expect(isDiscordPlaceAllowed(rules, { guildId: null, channelId: 'dm' })).toBe(false);
  });

  it('counts a thread as its parent channel', () => {
    const rules = { allowedGuilds: [], allowedChannels: ['c1'] };
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g1', channelId: 't9', parentId: 'c1' })).toBe(true);
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g1', channelId: 't9', parentId: 'c2' })).toBe(false);
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g1', channelId: 'c2' })).toBe(false);
  });

  it('needs both the guild and the channel to be listed when both lists are set', () => {
    const rules = { allowedGuilds: ['g1'], allowedChannels: ['c1'] };
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g1', channelId: 'c1' })).toBe(true);
    expect(isDiscordPlaceAllowed(rules, { guildId: 'g2', channelId: 'c1' })).toBe(false);
  });
});
