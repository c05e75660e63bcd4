import { pino } from 'pino';
import type { ApiToken } from '../../src/domain/api-token.ts';
import type { Authenticate } from '../../src/http/auth.ts';
import { createHttpApp, type HttpDeps } from '../../src/http/server.ts';
import type { HoistService } from '../../src/service/contract.ts';

export const adminToken: ApiToken = { name: 'test-admin', scopes: ['admin'], apps: null, envs: null, actAs: null, expiresAt: null };

/** A token for a test: `read` unless told, every app and environment, acting as itself. */
export function testToken(name: string, fields: Partial<ApiToken> = {}): ApiToken {
  return { name, scopes: ['read'], apps: null, envs: null, actAs: null, expiresAt: null, ...fields };
}

/** Stands in for the token service in route tests: a token's secret is its name. */
export function authenticateByName(tokens: readonly ApiToken[]): Authenticate {
  return async (secret) => {
    const token = tokens.find((t) => t.name === secret);
    return token === undefined ? { ok: false, reason: `no test token "${secret}"` } : { ok: true, token };
  };
}

/** The header that sends token `name` (the admin's unless told). */
export const bearer = (name: string = adminToken.name) => ({ authorization: `Bearer ${name}` });

/** The whole HTTP app over `api`, knowing the admin token and `tokens` (each sent as `bearer(name)`). */
export function testHttpApp(api: HoistService, tokens: readonly ApiToken[] = [], more: Partial<HttpDeps> = {}) {
  return createHttpApp({ api, readiness: {}, logger: pino({ level: 'silent' }), authenticate: authenticateByName([adminToken, ...tokens]), ...more });
}
