/** @module Keeps /healthz and /metrics for the operator: requests from this machine, or with the metrics token. */
import type { HttpBindings } from '@hono/node-server';
import type { MiddlewareHandler } from 'hono';
import { secretMatches } from './secret-match.ts';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;

/**
 * Lets a request through when it comes straight from loopback (no proxy header: a reverse proxy on this machine
 * forwards the world's requests from loopback too), or carries `Authorization: Bearer <token>` when a token is set.
 */
export function operatorOnly(token: string | undefined): MiddlewareHandler<{ Bindings: HttpBindings }> {
  return async function operatorOnly(c, next) {
    const remote = c.env.incoming.socket.remoteAddress ?? '';
    const proxied = c.req.header('x-forwarded-for') !== undefined || c.req.header('forwarded') !== undefined;
    const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if ((LOOPBACK.test(remote) && !proxied) || (token !== undefined && secretMatches(bearer, token))) {
      return next();
    }
    return c.json(
      {
        error: token
          ? 'send Authorization: Bearer <CUTROOM_METRICS_TOKEN>'
          : 'only from this machine; set CUTROOM_METRICS_TOKEN to allow scrapes from elsewhere',
      },
      403,
    );
  };
}
