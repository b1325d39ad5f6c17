/** @module The Slack bot: wires the Bolt app, the shared request flow and Slack's deliveries, and owns their lifecycle. */
import type { AddressInfo } from 'node:net';
import type { App } from '@slack/bolt';
import { closeInOrder } from '../../close-in-order.ts';
import type { Config } from '../../config.ts';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { HttpServer } from '../../http/http-server.ts';
import type { Logger } from '../../logger.ts';
import { BotCore } from '../shared/bot-core.ts';
import type { BotServices } from '../shared/bot-services.ts';
import { InFlight } from '../shared/in-flight.ts';
import { createSlackApp } from './slack-app.ts';
import { registerSlackHandlers } from './slack-handlers.ts';
import { createSlackSurface } from './slack-surface.ts';

export interface StartSlackBotOptions {
  /** Uses `config.slack` (tokens, API URL, allowlists), `config.limits` and `config.http`. */
  config: Config;
  logger: Logger;
  services: BotServices;
  /**
   * HTTP mode: serve /slack/events on this shared server (the one with /healthz and /metrics) instead
   * of a server of Bolt's own. Mount happens here; the caller starts the server.
   */
  http?: Pick<HttpServer, 'mount'>;
  /** Without `http`: where Bolt's own HTTP server listens. @defaultValue config.http (CUTROOM_PORT, CUTROOM_HOST); port 0 picks a free one */
  listen?: { port: number; host?: string };
  /** Minimum time between two edits of one status message. @defaultValue 1000 */
  statusIntervalMs?: number;
  /** Reaction added to a request at once. @defaultValue 'eyes' */
  reaction?: string;
}

export interface SlackBot {
  mode: 'http' | 'socket';
  /** HTTP mode on Bolt's own server: the Request URL to give Slack, e.g. `http://127.0.0.1:3000/slack/events`. */
  eventsUrl?: string;
  /** Stops receiving, finishes requests in flight, stops posting deliveries. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the Slack app. Bolt acknowledges each event before cutroom looks at it (Slack's 3 s
 * limit); the request is then checked, its files ingested and the edit queued, and every reply
 * goes through the `deliveries-slack` queue this process consumes.
 * @throws CutroomError config_invalid when Slack is not configured; auth errors from auth.test.
 */
export async function startSlackBot(options: StartSlackBotOptions): Promise<SlackBot> {
  const { config, services } = options;
  const slack = config.slack;
  if (!slack) {
    throw new CutroomError(ErrorCode.ConfigInvalid, 'Slack is not configured: set SLACK_BOT_TOKEN', {
      userMessage: 'cutroom is misconfigured; an operator needs to check the logs.',
    });
  }
  const logger = options.logger.child({ platform: 'slack' });
  const { app, http, mode, files, uploadClient } = await createSlackApp(slack, logger, {
    uploadTimeoutMs: config.transfers.uploadTimeoutMs,
    downloadIdleTimeoutMs: config.transfers.downloadIdleTimeoutMs,
  });
  const reaction = options.reaction ?? 'eyes';
  const core = new BotCore({
    platform: 'slack',
    logger,
    services,
    limits: config.limits,
    allowlist: { workspaces: slack.allowedTeams, channels: slack.allowedChannels },
    admins: config.threadAdmins,
    acknowledge: async (request) => {
      if (!request.messageId) return;
      await app.client.reactions.add({
        channel: request.thread.channelId,
        timestamp: request.messageId,
        name: reaction,
      });
    },
  });
  const inFlight = new InFlight();
  registerSlackHandlers(app, {
    files,
    logger,
    handle: (request) => inFlight.run(() => core.handle(request, inFlight.signal)),
  });
  const deliveries = await services.startDeliveries(
    'slack',
    createSlackSurface({ client: app.client, uploadClient, logger }),
    {
      statusIntervalMs: options.statusIntervalMs,
      logger,
    },
  );

  // A mounted listener has no server of its own to stop; the shared server closes elsewhere.
  const ownsServer = mode === 'socket' || !options.http;
  let eventsUrl: string | undefined;
  try {
    if (mode === 'socket') await app.start();
    else if (options.http && http) options.http.mount('/slack/events', http.requestListener);
    else eventsUrl = await listen(app, options.listen ?? { port: config.http.port, host: config.http.host });
  } catch (error) {
    await deliveries.close();
    throw error;
  }
  logger.info({ mode, eventsUrl }, 'slack bot started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= closeInOrder(
      [
        async () => {
          if (ownsServer) await app.stop();
        },
        () => inFlight.close('slack bot closing'),
        () => deliveries.close(),
      ],
      (error) => logger.warn({ err: error }, 'slack bot: a close step failed'),
    );
    return closing;
  };
  return { mode, eventsUrl, close, [Symbol.asyncDispose]: close };
}

/** Starts Bolt's own HTTP server; returns the events URL. */
async function listen(app: App, where: { port: number; host?: string }): Promise<string> {
  const server = (await app.start({ port: where.port, host: where.host })) as unknown as {
    address(): AddressInfo;
  };
  const { port } = server.address();
  const host = !where.host || where.host === '0.0.0.0' ? '127.0.0.1' : where.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}/slack/events`;
}
