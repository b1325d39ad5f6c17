/** @module The HTTP server on CUTROOM_PORT: /healthz, /metrics, the token-guarded queue dashboard, and mounted bot handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { type HttpBindings, type ServerType, serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { Queue } from 'bullmq';
import { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { createSilentLogger, type Logger } from '../logger.ts';
import { DashboardSessions } from './dashboard-sessions.ts';
import { metrics } from './metrics.ts';
import { operatorOnly } from './operator-only.ts';

export interface HttpServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** @defaultValue '127.0.0.1' */
  host?: string;
  /** Pinged by /healthz. */
  redis: Redis;
  /** Checked by /healthz and shown on the dashboard. */
  queues: Queue[];
  /** Without it the dashboard is off. */
  dashboardToken?: string;
  /** Lets /healthz and /metrics answer requests from other machines that send it as a bearer token. */
  metricsToken?: string;
  /** How long /healthz waits for Redis. @defaultValue 2000 */
  healthTimeoutMs?: number;
  logger?: Logger;
}

/** A plain Node request listener, such as the one `@slack/bolt`'s HTTPReceiver exposes. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => void;

const DASHBOARD_PATH = '/admin/queues';

/**
 * One hono app served by @hono/node-server. Bots add routes before `start()`, either as hono
 * handlers on `app` or as Node listeners with `mount()`.
 * @example
 * const http = new HttpServer({ port: config.http.port, redis, queues: [editQueue.queue] });
 * http.mount('/slack/events', receiver.requestListener);
 * await http.start();
 */
export class HttpServer {
  readonly app = new Hono<{ Bindings: HttpBindings }>();
  private readonly options: HttpServerOptions;
  private readonly logger: Logger;
  private server?: ServerType;
  private closing?: Promise<void>;

  constructor(options: HttpServerOptions) {
    this.options = options;
    this.logger = options.logger ?? createSilentLogger();
    const operator = operatorOnly(options.metricsToken);
    this.app.use('/healthz', operator);
    this.app.use('/metrics', operator);
    this.app.get('/healthz', async (c) => {
      const health = await this.health();
      return c.json(health, health.status === 'ok' ? 200 : 503);
    });
    this.app.get('/metrics', async (c) => {
      const body = await metrics.registry.metrics();
      return c.body(body, 200, { 'content-type': metrics.registry.contentType });
    });
    if (options.dashboardToken) this.mountDashboard(options.dashboardToken);
  }

  /** Hands every request on `path` (any method) to a Node listener, untouched (raw body intact for signatures). */
  mount(path: string, listener: NodeListener): void {
    this.app.all(path, (c) => {
      listener(c.env.incoming, c.env.outgoing);
      return RESPONSE_ALREADY_SENT;
    });
  }

  async health(): Promise<{ status: 'ok' | 'unavailable'; redis: string; queues: Record<string, number> }> {
    const timeoutMs = this.options.healthTimeoutMs ?? 2000;
    let timer: NodeJS.Timeout | undefined;
    try {
      const check = (async () => {
        await this.options.redis.ping();
        const queues: Record<string, number> = {};
        for (const queue of this.options.queues) queues[queue.name] = await queue.count();
        return queues;
      })();
      const queues = await Promise.race([
        check,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)),
            timeoutMs,
          );
        }),
      ]);
      return { status: 'ok', redis: 'ok', queues };
    } catch (error) {
      return { status: 'unavailable', redis: (error as Error).message, queues: {} };
    } finally {
      clearTimeout(timer);
    }
  }

  private mountDashboard(token: string): void {
    const adapter = new HonoAdapter(serveStatic).setBasePath(DASHBOARD_PATH);
    createBullBoard({ queues: this.options.queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter });
    const sessions = new DashboardSessions({ token, basePath: DASHBOARD_PATH });
    sessions.mount(this.app);
    const guard = sessions.guard();
    this.app.use(DASHBOARD_PATH, guard);
    this.app.use(`${DASHBOARD_PATH}/*`, async (c, next) =>
      c.req.path === sessions.loginPath ? next() : guard(c, next),
    );
    this.app.route(DASHBOARD_PATH, adapter.registerPlugin());
  }

  /** Starts listening; resolves with the bound port. */
  async start(): Promise<number> {
    if (this.server) return this.port;
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      const server = serve({ fetch: this.app.fetch, port: this.options.port, hostname: host }, () =>
        resolve(),
      );
      server.once('error', reject);
      this.server = server;
    });
    this.logger.info({ port: this.port, host }, 'http server listening');
    return this.port;
  }

  get port(): number {
    return (this.server?.address() as AddressInfo | null)?.port ?? 0;
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const server = this.server;
      if (!server?.listening) return resolve();
      server.close(() => resolve());
      (server as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
