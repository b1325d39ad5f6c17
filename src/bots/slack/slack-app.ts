/** @module Builds the Bolt app for the configured mode (HTTP events or Socket Mode) and checks the bot token. */
import { App, HTTPReceiver, type Receiver, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Config } from '../../config.ts';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { Logger } from '../../logger.ts';
import { type SlackFilesOptions, slackErrorCode } from './slack-files.ts';
import { toSlackLogger } from './slack-logger.ts';

export type SlackConfig = NonNullable<Config['slack']>;

export interface SlackApp {
  app: App;
  /** Set in HTTP mode: its request listener can be mounted on a shared server. */
  http?: HTTPReceiver;
  mode: 'http' | 'socket';
  /** How files are read with the bot token. */
  files: SlackFilesOptions;
  /** The bot token's client for uploads, whose timeout covers a whole render's body (the app's covers 30 s). */
  uploadClient: webApi.WebClient;
}

export interface SlackAppTimeouts {
  /** The most one upload (files.uploadV2, body included) may take. @defaultValue 600000 */
  uploadTimeoutMs?: number;
  /** A file download with no byte for this long fails. @defaultValue 30000 */
  downloadIdleTimeoutMs?: number;
}

/**
 * A Bolt app whose Web API client makes one bounded try per call (deliveries are retried by their
 * queue, and a 429 is waited out by the consumer), with `auth.test` already passed.
 * @throws CutroomError config_invalid when neither a signing secret nor an app token is set, or Slack rejects the token.
 */
export async function createSlackApp(
  slack: SlackConfig,
  logger: Logger,
  timeouts: SlackAppTimeouts = {},
): Promise<SlackApp> {
  if (!slack.appToken && !slack.signingSecret) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'Slack needs SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode); see docs/slack.md',
    );
  }
  const slackLogger = toSlackLogger(logger);
  const apiUrl = slack.apiUrl ? withTrailingSlash(slack.apiUrl) : undefined;
  const http = slack.appToken
    ? undefined
    : new HTTPReceiver({
        signingSecret: slack.signingSecret ?? '',
        endpoints: '/slack/events',
        logger: slackLogger,
      });
  const receiver: Receiver =
    http ??
    new SocketModeReceiver({
      appToken: slack.appToken ?? '',
      logger: slackLogger,
      installerOptions: { clientOptions: { slackApiUrl: apiUrl, timeout: 30_000 } },
    });
  // The client's timeout covers a request's whole body, so uploads get a client of their own with a long one.
  const clientOptions = {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    timeout: 30_000,
    rejectRateLimitedCalls: true,
  };
  const app = new App({
    token: slack.botToken,
    receiver,
    logger: slackLogger,
    clientOptions,
    deferInitialization: true,
  });
  const uploadClient = new webApi.WebClient(slack.botToken, {
    ...clientOptions,
    logger: slackLogger,
    timeout: timeouts.uploadTimeoutMs ?? 600_000,
  });
  try {
    await app.init();
  } catch (error) {
    const code = slackErrorCode(error) ?? (error as Error).message;
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      `Slack rejected SLACK_BOT_TOKEN at auth.test (${code}): use the Bot User OAuth Token (xoxb-…) from OAuth & Permissions; see docs/slack.md`,
      { cause: error },
    );
  }
  return {
    app,
    http,
    mode: http ? 'http' : 'socket',
    files: {
      client: app.client,
      botToken: slack.botToken,
      extraHosts: apiUrl ? [new URL(apiUrl).hostname] : [],
      idleTimeoutMs: timeouts.downloadIdleTimeoutMs,
    },
    uploadClient,
  };
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
