/** @module The Slack bot: Bolt over HTTP (/slack/events, signed) or Socket Mode, wired to the shared request flow and deliveries. */

import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { Redis } from 'ioredis';
import { closeInOrder } from '../../close-in-order.ts';
import type { Config } from '../../config.ts';
import { CutroomError, ErrorCode } from '../../errors.ts';
import type { HttpServer } from '../../http/http-server.ts';
import type { Logger } from '../../logger.ts';
import type { ArtifactStore } from '../../queue/artifact-store.ts';
import { DeliveryConsumer, DeliveryConsumerEvents, DeliveryQueue } from '../../queue/delivery-queue.ts';
import { EditQueue } from '../../queue/edit-queue.ts';
import { RateLimiter } from '../../queue/rate-limiter.ts';
import { DEFAULT_PREFIX } from '../../queue/redis-keys.ts';
import { StatusMessages } from '../../queue/thread-state.ts';
import { RedisThreadStore } from '../../queue/thread-store.ts';
import type { ThreadRef } from '../../queue/types.ts';
import { BotCore, type IncomingRequest } from '../shared/bot-core.ts';
import { SlackActions } from './slack-blocks.ts';
import { SlackDeliverer } from './slack-deliverer.ts';
import { toIncomingRequest } from './slack-events.ts';
import { type SlackFilesOptions, slackErrorCode } from './slack-files.ts';
import { toSlackLogger } from './slack-logger.ts';

export interface StartSlackBotOptions {
  /** Uses `config.slack` (tokens, API URL, allowlists), `config.limits` and `config.http`. */
  config: Config;
  logger: Logger;
  /** Redis for queues, thread state and event dedupe (from `createRedisConnection`). */
  connection: Redis;
  store: ArtifactStore;
  /** Key prefix of every queue and key. @defaultValue 'cutroom' */
  prefix?: string;
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
  /** Stops receiving, finishes requests in flight, stops the delivery consumer. Idempotent. */
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
  const slack = options.config.slack;
  if (!slack) {
    throw new CutroomError(ErrorCode.ConfigInvalid, 'Slack is not configured: set SLACK_BOT_TOKEN', {
      userMessage: 'cutroom is misconfigured; an operator needs to check the logs.',
    });
  }
  if (!slack.appToken && !slack.signingSecret) {
    throw new CutroomError(
      ErrorCode.ConfigInvalid,
      'Slack needs SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode); see docs/slack.md',
    );
  }
  const logger = options.logger.child({ platform: 'slack' });
  const prefix = options.prefix ?? DEFAULT_PREFIX;
  const { connection } = options;
  const slackLogger = toSlackLogger(logger);
  const apiUrl = slack.apiUrl ? withTrailingSlash(slack.apiUrl) : undefined;
  // One bounded try per call: deliveries are retried by their queue, and a 429 pauses that queue.
  const clientOptions = {
    slackApiUrl: apiUrl,
    retryConfig: { retries: 0 },
    timeout: 30_000,
    rejectRateLimitedCalls: true,
  };

  const listen = options.listen ?? { port: options.config.http.port, host: options.config.http.host };
  const receiver: Receiver = slack.appToken
    ? new SocketModeReceiver({
        appToken: slack.appToken,
        logger: slackLogger,
        installerOptions: { clientOptions: { slackApiUrl: apiUrl, timeout: 30_000 } },
      })
    : new HTTPReceiver({
        signingSecret: slack.signingSecret ?? '',
        endpoints: '/slack/events',
        logger: slackLogger,
      });
  const app = new App({
    token: slack.botToken,
    receiver,
    logger: slackLogger,
    clientOptions,
    deferInitialization: true,
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

  const deliveries = new DeliveryQueue({ connection, prefix });
  const edits = new EditQueue({ connection, prefix });
  const threads = new RedisThreadStore({
    redis: connection,
    prefix,
    lifetimeMs: options.config.limits.retentionDays * 24 * 3600 * 1000,
  });
  const { limits } = options.config;
  const files: SlackFilesOptions = {
    client: app.client,
    botToken: slack.botToken,
    extraHosts: apiUrl ? [new URL(apiUrl).hostname] : [],
  };
  const reaction = options.reaction ?? 'eyes';
  const core = new BotCore({
    platform: 'slack',
    logger,
    edits,
    deliveries,
    threads,
    rateLimiter:
      limits.userRequestsPerHour > 0 || limits.channelRequestsPerHour > 0
        ? new RateLimiter({
            redis: connection,
            prefix,
            userLimit: limits.userRequestsPerHour,
            channelLimit: limits.channelRequestsPerHour,
          })
        : undefined,
    store: options.store,
    limits,
    allowlist: { workspaces: slack.allowedTeams, channels: slack.allowedChannels },
    acknowledge: async (request) => {
      if (!request.messageId) return;
      await app.client.reactions.add({
        channel: request.thread.channelId,
        timestamp: request.messageId,
        name: reaction,
      });
    },
  });

  const abort = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    inFlight.add(work);
    work.finally(() => inFlight.delete(work)).catch(() => {});
    return work;
  };
  const run = (request: IncomingRequest | undefined) =>
    request ? track(core.handle(request, abort.signal)) : Promise.resolve();

  const onMessage = async ({ event, body, context }: MessageArgs) => {
    const request = await toIncomingRequest(
      event,
      { eventId: String(body.event_id ?? ''), teamId: teamOf(body), botUserId: context.botUserId },
      files,
    );
    await run(request);
  };
  app.event('app_mention', onMessage);
  app.event('message', onMessage);

  app.action(SlackActions.Undo, async ({ ack, body, action }) => {
    await ack();
    const where = actionThread(body);
    if (!where) return;
    const version = (action as { value?: string }).value ?? '';
    await run({
      id: `slack:action:undo:${where.thread.channelId}:${where.messageTs}:${version}`,
      thread: where.thread,
      user: { id: body.user.id },
      text: 'undo',
      files: [],
      addressed: true,
    });
  });
  app.action(SlackActions.Cancel, async ({ ack, body, action }) => {
    await ack();
    const where = actionThread(body);
    const target = (action as { value?: string }).value;
    if (!where || !target) return;
    await run({
      id: `slack:action:cancel:${target}`,
      thread: where.thread,
      user: { id: body.user.id },
      text: 'cancel',
      files: [],
      addressed: true,
      targetRequestId: target,
    });
  });
  app.error(async (error) => {
    logger.error({ err: error }, 'slack listener failed');
  });

  const deliverer = new SlackDeliverer({
    client: app.client,
    threads: new StatusMessages({ redis: connection, prefix }),
    store: options.store,
    redis: connection,
    logger,
    prefix,
    statusIntervalMs: options.statusIntervalMs,
  });
  const consumer = new DeliveryConsumer({ connection, platform: 'slack', handler: deliverer.handle, prefix });
  consumer.on(DeliveryConsumerEvents.Failed, (delivery, error, final) => {
    logger[final ? 'error' : 'warn'](
      { err: error, kind: delivery?.kind, requestId: delivery?.requestId, final },
      'slack delivery failed',
    );
  });
  consumer.on(DeliveryConsumerEvents.Error, (error) =>
    logger.error({ err: error }, 'slack delivery consumer error'),
  );
  await consumer.start();

  let eventsUrl: string | undefined;
  const ownServer = !slack.appToken && !options.http;
  try {
    if (slack.appToken) {
      await app.start();
    } else if (options.http) {
      options.http.mount('/slack/events', (receiver as HTTPReceiver).requestListener);
    } else {
      const server = (await app.start({ port: listen.port, host: listen.host })) as unknown as {
        address(): AddressInfo;
      };
      const { port } = server.address();
      const host = !listen.host || listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host;
      eventsUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}/slack/events`;
    }
  } catch (error) {
    await Promise.allSettled([consumer.close(), edits.close(), deliveries.close()]);
    throw error;
  }
  logger.info({ mode: slack.appToken ? 'socket' : 'http', eventsUrl }, 'slack bot started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      const steps: (() => Promise<unknown>)[] = [
        async () => {
          // A mounted listener has no server of its own to stop; the shared server closes elsewhere.
          if (slack.appToken || ownServer) await app.stop();
        },
        async () => {
          abort.abort(new Error('slack bot closing'));
          await Promise.allSettled([...inFlight]);
        },
        () => consumer.close(),
        () => edits.close(),
        () => deliveries.close(),
      ];
      await closeInOrder(steps, (error) => logger.warn({ err: error }, 'slack bot: a close step failed'));
    })();
    return closing;
  };
  return { mode: slack.appToken ? 'socket' : 'http', eventsUrl, close, [Symbol.asyncDispose]: close };
}

interface MessageArgs {
  event: unknown;
  body: { event_id?: unknown; team_id?: unknown; authorizations?: { team_id?: string | null }[] };
  context: { botUserId?: string };
}

function teamOf(body: MessageArgs['body']): string | undefined {
  return typeof body.team_id === 'string' ? body.team_id : (body.authorizations?.[0]?.team_id ?? undefined);
}

function withTrailingSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** Where a button was pressed: the thread of the message that holds it. */
function actionThread(body: unknown): { thread: ThreadRef; messageTs: string } | undefined {
  const b = body as {
    team?: { id?: string } | null;
    channel?: { id?: string };
    container?: { channel_id?: string; message_ts?: string };
    message?: { ts?: string; thread_ts?: string };
  };
  const channelId = b.channel?.id ?? b.container?.channel_id;
  const messageTs = b.message?.ts ?? b.container?.message_ts;
  if (!channelId || !messageTs) return undefined;
  return {
    thread: {
      platform: 'slack',
      workspaceId: b.team?.id ?? undefined,
      channelId,
      threadId: b.message?.thread_ts ?? messageTs,
    },
    messageTs,
  };
}
