/** @module `cutroom doctor`'s chat platform checks: Slack's auth.test and scopes, Discord's bot user and intents. */
import { webApi } from '@slack/bolt';
import { DiscordAPIError, REST, Routes } from 'discord.js';
import type { Config } from '../config.ts';
import type { Check } from './doctor.ts';

/** The bot scopes cutroom uses (slack-app-manifest.yaml says what each is for). */
export const SLACK_BOT_SCOPES = [
  'app_mentions:read',
  'channels:history',
  'groups:history',
  'chat:write',
  'files:read',
  'files:write',
  'reactions:write',
];
/** Discord application flags: the Message Content intent, full (verified apps) or limited (under 100 servers). */
const GATEWAY_MESSAGE_CONTENT = (1 << 18) | (1 << 19);
const PLATFORM_TIMEOUT_MS = 10_000;

export async function slackCheck(config: Config): Promise<Check> {
  const slack = config.slack;
  if (!slack) {
    return {
      name: 'Slack',
      status: 'warn',
      detail: 'not configured',
      fix: 'set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (docs/slack.md)',
    };
  }
  if (!slack.signingSecret && !slack.appToken) {
    return {
      name: 'Slack',
      status: 'fail',
      detail: 'a bot token, but neither a signing secret (HTTP events) nor an app token (Socket Mode)',
      fix: 'set SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode)',
    };
  }
  const client = new webApi.WebClient(slack.botToken, {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` } : {}),
    retryConfig: { retries: 0 },
    timeout: PLATFORM_TIMEOUT_MS,
    logLevel: webApi.LogLevel.ERROR,
  });
  const started = performance.now();
  try {
    const auth = await client.auth.test();
    const ms = Math.round(performance.now() - started);
    const scopes = auth.response_metadata?.scopes;
    const missing = scopes ? SLACK_BOT_SCOPES.filter((s) => !scopes.includes(s)) : [];
    const mode = slack.appToken ? 'Socket Mode' : 'HTTP events';
    return {
      name: 'Slack',
      status: missing.length > 0 ? 'fail' : 'ok',
      detail: `auth.test: bot @${auth.user} (${auth.user_id}) in ${auth.team}; ${mode}; ${
        !scopes
          ? 'scopes not reported'
          : missing.length > 0
            ? `missing scopes ${missing.join(', ')}`
            : 'scopes ok'
      } (${ms} ms)`,
      fix: `add the bot scopes ${missing.join(', ')} (OAuth & Permissions) and reinstall the app; slack-app-manifest.yaml lists them`,
      data: { ms, team: auth.team, user: auth.user, scopes, missingScopes: missing },
    };
  } catch (error) {
    const code = (error as { data?: { error?: string } }).data?.error;
    const rejected =
      code && ['invalid_auth', 'not_authed', 'token_revoked', 'account_inactive'].includes(code);
    return {
      name: 'Slack',
      status: 'fail',
      detail: rejected
        ? `auth.test: SLACK_BOT_TOKEN was rejected (${code})`
        : `auth.test failed: ${(error as Error).message}`,
      fix: rejected
        ? "copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page"
        : 'check the network and SLACK_API_URL',
    };
  }
}

export async function discordCheck(config: Config): Promise<Check> {
  const discord = config.discord;
  if (!discord) {
    return {
      name: 'Discord',
      status: 'warn',
      detail: 'not configured',
      fix: 'set DISCORD_TOKEN and DISCORD_APPLICATION_ID (docs/discord.md)',
    };
  }
  const rest = new REST({
    version: '10',
    timeout: PLATFORM_TIMEOUT_MS,
    retries: 0,
    ...(discord.apiUrl ? { api: discord.apiUrl.replace(/\/+$/, '') } : {}),
  }).setToken(discord.token);
  const started = performance.now();
  try {
    const me = (await rest.get(Routes.user())) as { id: string; username: string };
    const app = (await rest.get(Routes.currentApplication())) as { id: string; flags?: number };
    const ms = Math.round(performance.now() - started);
    const content = ((app.flags ?? 0) & GATEWAY_MESSAGE_CONTENT) !== 0;
    const wrongApp = discord.applicationId !== undefined && discord.applicationId !== app.id;
    const fixes = [
      !content &&
        'turn on the Message Content intent (Developer Portal → Bot → Privileged Gateway Intents): without it thread replies arrive without their text',
      wrongApp &&
        `DISCORD_APPLICATION_ID is ${discord.applicationId}, but the token belongs to application ${app.id}`,
      !discord.applicationId && `set DISCORD_APPLICATION_ID=${app.id} to register /edit`,
    ].filter((f): f is string => Boolean(f));
    return {
      name: 'Discord',
      status: fixes.length > 0 ? 'warn' : 'ok',
      detail: `GET /users/@me: bot @${me.username} (${me.id}); application ${app.id}; Message Content intent ${content ? 'on' : 'off'} (${ms} ms)`,
      fix: fixes.join('; '),
      data: { ms, user: me.username, applicationId: app.id, messageContentIntent: content },
    };
  } catch (error) {
    const rejected = error instanceof DiscordAPIError && error.status === 401;
    return {
      name: 'Discord',
      status: 'fail',
      detail: rejected
        ? 'GET /users/@me: DISCORD_TOKEN was rejected (401)'
        : `GET /users/@me failed: ${(error as Error).message}`,
      fix: rejected
        ? 'copy the bot token from the Developer Portal (Bot → Reset Token)'
        : 'check the network and DISCORD_API_URL',
    };
  }
}
