import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerCommands } from '../../../src/commands/discord-register.ts';
import { loadConfig } from '../../../src/config.ts';
import { DiscordFakeServer } from '../../fakes/discord-fake-server.ts';

let fake: DiscordFakeServer;

beforeEach(async () => {
  fake = await DiscordFakeServer.start();
});
afterEach(async () => {
  await fake.close();
});

function config(extra: Record<string, string> = {}) {
  return loadConfig({ DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, ...extra });
}

describe('registerCommands', () => {
  it('registers /edit globally with a prompt, four clips and the thread commands as an action with a version', async () => {
    const lines: string[] = [];
    const result = await registerCommands({
      config: config({ DISCORD_APPLICATION_ID: fake.applicationId }),
      output: (l) => lines.push(l),
    });
    expect(result.scope).toBe('global');
    const put = fake.calls.find((c) => c.method === 'PUT')!;
    expect(put.path).toBe(`/api/v10/applications/${fake.applicationId}/commands`);
    expect(put.headers.authorization).toBe(`Bot ${fake.token}`);
    const [command] = put.body as {
      name: string;
      options: { name: string; type: number; required?: boolean }[];
    }[];
    expect(command.name).toBe('edit');
    expect(command.options.map((o) => [o.name, o.type, Boolean(o.required)])).toEqual([
      ['prompt', 3, false],
      ['clip', 11, false],
      ['clip2', 11, false],
      ['clip3', 11, false],
      ['clip4', 11, false],
      ['action', 3, false],
      ['version', 4, false],
    ]);
    expect(result.commands).toEqual([{ id: expect.any(String), name: 'edit' }]);
    expect(lines.join('\n')).toMatch(/globally/);
  });

  it('registers in one guild with --guild, looking up the application id when it is not configured', async () => {
    const result = await registerCommands({
      config: config(),
      guild: '123456789012345678',
      output: () => {},
    });
    expect(result).toMatchObject({
      scope: 'guild',
      guildId: '123456789012345678',
      applicationId: fake.applicationId,
    });
    expect(fake.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'GET /api/v10/applications/@me',
      `PUT /api/v10/applications/${fake.applicationId}/guilds/123456789012345678/commands`,
    ]);
    expect(fake.commands.get('guild:123456789012345678')).toHaveLength(1);
  });

  it('uses DISCORD_DEV_GUILD_ID when no guild is given', async () => {
    const result = await registerCommands({
      config: config({
        DISCORD_DEV_GUILD_ID: '555555555555555555',
        DISCORD_APPLICATION_ID: fake.applicationId,
      }),
      output: () => {},
    });
    expect(result.scope).toBe('guild');
    expect(fake.commands.has('guild:555555555555555555')).toBe(true);
  });

  it('explains a rejected token without printing it', async () => {
    const error = await registerCommands({
      config: loadConfig({ DISCORD_TOKEN: 'wrong-token-value', DISCORD_API_URL: fake.apiUrl }),
      output: () => {},
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'config_invalid' });
    expect((error as Error).message).toMatch(/401.*DISCORD_TOKEN/);
    expect((error as Error).message).not.toContain('wrong-token-value');
  });

  it('runs as `cutroom discord register-commands --guild` from the command line', async () => {
    const cwd = await mkdtemp(path.join(tmpdir(), 'cutroom-register-'));
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [path.resolve('bin/cutroom.js'), 'discord', 'register-commands', '--guild', '777777777777777777'],
        {
          cwd,
          env: {
            PATH: process.env.PATH,
            DISCORD_TOKEN: fake.token,
            DISCORD_API_URL: fake.apiUrl,
            DISCORD_APPLICATION_ID: fake.applicationId,
          },
        },
      );
      expect(stdout).toMatch(/Registered \/edit in guild 777777777777777777/);
      expect(fake.commands.get('guild:777777777777777777')).toHaveLength(1);
    } finally {
      await rm(cwd, { recursive: true, force: true });
    }
  });

  it('says DISCORD_TOKEN is missing', async () => {
    await expect(registerCommands({ config: loadConfig({}), output: () => {} })).rejects.toMatchObject({
      code: 'config_invalid',
      message: expect.stringMatching(/DISCORD_TOKEN is not set/),
    });
  });
});
