import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { tokenDenial, type ApiToken, type Scope } from '../domain/api-token.ts';

/** Checks a bearer secret: the token it belongs to, or why it is not accepted (unknown, expired, revoked). */
export type Authenticate = (secret: string) => Promise<{ ok: true; token: ApiToken } | { ok: false; reason: string }>;

/** What the API's routes see of the request's caller. */
export interface ApiEnv {
  Variables: { apiToken: ApiToken };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The dashboard's session cookie: an opaque id the browser holds (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'hoist_session';

/** The token behind a dashboard session cookie, or why the session no longer works. */
export type ResumeSession = Authenticate;

/**
 * Every route behind it needs `Authorization: Bearer <token>`: 401 without, or with a token
 * that is not accepted. With `resumeSession`, a GET or HEAD without the header may come with
 * the dashboard's session cookie instead and acts as the session's token; the cookie never
 * counts for a request that changes something (so no other site can make a browser do so).
 */
export function requireToken(authenticate: Authenticate, resumeSession?: ResumeSession): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const session = header === undefined && resumeSession !== undefined ? getCookie(c, SESSION_COOKIE) : undefined;
    if (resumeSession !== undefined && session !== undefined && session !== '') {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        return unauthorized(c, `the dashboard's session cookie only reads (GET); ${c.req.method} needs "Authorization: Bearer <token>" with a token that has the scope`);
      }
      const resumed = await resumeSession(session);
      if (!resumed.ok) return unauthorized(c, resumed.reason);
      c.set('apiToken', resumed.token);
      await next();
      return;
    }
    const secret = header === undefined ? null : (BEARER.exec(header)?.[1] ?? null);
    if (secret === null) {
      const message =
        header === undefined
          ? 'this route needs an API token: send "Authorization: Bearer <token>" (create one with `hoist token create`)'
          : 'the Authorization header must be "Bearer <token>"';
      return unauthorized(c, message);
    }
    const checked = await authenticate(secret);
    if (!checked.ok) return unauthorized(c, checked.reason);
    c.set('apiToken', checked.token);
    await next();
  };
}

function unauthorized(c: Context, message: string): Response {
  return c.json({ error: { code: 'UNAUTHORIZED', message } }, 401, { 'WWW-Authenticate': 'Bearer realm="hoist"' });
}

/** The token the request came with (set by `requireToken`). */
export function callerOf(c: Context<ApiEnv>): ApiToken {
  return c.get('apiToken');
}

/** A 403 when the caller's token may not do `scope` on `where`; null when it may. */
export function denied(c: Context<ApiEnv>, scope: Scope, where: { app?: string | null; env?: string | null } = {}): Response | null {
  const reason = tokenDenial(callerOf(c), scope, where);
  return reason === null ? null : c.json({ error: { code: 'FORBIDDEN', message: reason } }, 403);
}
