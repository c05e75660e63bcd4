import type { MiddlewareHandler } from 'hono';
import { pino } from 'pino';
import type { ApiToken } from '../../src/domain/api-token.ts';
import type { ApiEnv } from '../../src/http/auth.ts';
import { createHttpApp } from '../../src/http/server.ts';
import type { HoistService } from '../../src/service/contract.ts';

export const adminToken: ApiToken = { name: 'test-admin', scopes: ['admin'], apps: null, envs: null, actAs: null, expiresAt: null };

/** A token for a test: admin-free unless said, every app and environment, acting as itself. */
export function testToken(name: string, fields: Partial<ApiToken> = {}): ApiToken {
  return { name, scopes: ['read'], apps: null, envs: null, actAs: null, expiresAt: null, ...fields };
}

/**
 * Stands in for the bearer check in route tests: `Authorization: Bearer <name>` picks the
 * token of that name (an unknown name is a 401); without the header, `fallback` acts.
 */
export function tokenGuard(tokens: readonly ApiToken[], fallback: ApiToken = adminToken): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const name = header === undefined ? fallback.name : header.replace(/^Bearer\s+/i, '');
    const token = [fallback, ...tokens].find((t) => t.name === name);
    if (token === undefined) return c.json({ error: { code: 'UNAUTHORIZED', message: `no test token "${name}"` } }, 401);
    c.set('apiToken', token);
    await next();
  };
}

/** The whole HTTP app over `api`, its /api/v1 routes called as `tokens` (admin without a header). */
export function testHttpApp(api: HoistService, tokens: readonly ApiToken[] = []) {
  return createHttpApp({ api, readiness: {}, logger: pino({ level: 'silent' }), apiGuard: tokenGuard(tokens) });
}
