/**
 * @module Sign-in to the queue dashboard: the token is typed once into a form (or sent as a bearer header by a
 * script) and the browser then holds a random session id in an HttpOnly cookie, never the token itself.
 */
import { randomBytes } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { secretMatches } from './secret-match.ts';

export interface DashboardSessionsOptions {
  token: string;
  /** Where the dashboard lives; the cookie is scoped to it. */
  basePath: string;
  /** How long a sign-in lasts. @defaultValue 12 hours */
  sessionMs?: number;
}

const COOKIE = 'cutroom_dashboard_session';
const MAX_SESSIONS = 1000;

type Env = { Bindings: HttpBindings };

const LOGIN_PAGE = (failed: boolean, action: string) => `<!doctype html>
<meta charset="utf-8"><title>cutroom dashboard</title>
<form method="post" action="${action}" style="font-family:sans-serif;margin:4em auto;max-width:22em">
<h1>cutroom dashboard</h1>
${failed ? '<p role="alert">That token is not right.</p>' : ''}
<label>CUTROOM_DASHBOARD_TOKEN <input name="token" type="password" autocomplete="current-password" autofocus required></label>
<button>Sign in</button>
</form>`;

export class DashboardSessions {
  private readonly sessions = new Map<string, number>();
  private readonly sessionMs: number;

  constructor(private readonly options: DashboardSessionsOptions) {
    this.sessionMs = options.sessionMs ?? 12 * 60 * 60 * 1000;
  }

  get loginPath(): string {
    return `${this.options.basePath}/login`;
  }

  /** Adds the sign-in form and its POST handler. */
  mount(app: Hono<Env>): void {
    app.get(this.loginPath, (c) => c.html(LOGIN_PAGE(false, this.loginPath)));
    app.post(this.loginPath, async (c) => {
      const form = await c.req.parseBody();
      const token = typeof form.token === 'string' ? form.token : undefined;
      if (!secretMatches(token, this.options.token)) return c.html(LOGIN_PAGE(true, this.loginPath), 401);
      this.start(c);
      return c.redirect(this.options.basePath, 303);
    });
  }

  /** Lets a request through with a live session cookie or the bearer token; sends browsers to the sign-in form. */
  guard(): MiddlewareHandler<Env> {
    return async (c, next) => {
      const bearer = /^Bearer\s+(.+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
      if (secretMatches(bearer, this.options.token) || this.valid(getCookie(c, COOKIE))) return next();
      if (c.req.query('token') !== undefined) {
        return c.json(
          { error: 'the token does not go in the URL: sign in at the form, or send Authorization: Bearer' },
          400,
        );
      }
      if (c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html')) {
        deleteCookie(c, COOKIE, { path: this.options.basePath });
        return c.redirect(this.loginPath, 303);
      }
      return c.json(
        { error: 'dashboard: send Authorization: Bearer <CUTROOM_DASHBOARD_TOKEN> or sign in' },
        401,
      );
    };
  }

  private start(c: Context<Env>): void {
    const now = Date.now();
    for (const [id, expires] of this.sessions) if (expires <= now) this.sessions.delete(id);
    if (this.sessions.size >= MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value as string);
    const id = randomBytes(32).toString('base64url');
    this.sessions.set(id, now + this.sessionMs);
    setCookie(c, COOKIE, id, {
      httpOnly: true,
      sameSite: 'Strict',
      path: this.options.basePath,
      secure: isTls(c),
      maxAge: Math.floor(this.sessionMs / 1000),
    });
  }

  private valid(id: string | undefined): boolean {
    const expires = id === undefined ? undefined : this.sessions.get(id);
    return expires !== undefined && expires > Date.now();
  }
}

/** Served over TLS, here or by a proxy in front that says so. */
function isTls(c: Context<Env>): boolean {
  const socket = c.env.incoming.socket as { encrypted?: boolean };
  return socket.encrypted === true || c.req.header('x-forwarded-proto') === 'https';
}
