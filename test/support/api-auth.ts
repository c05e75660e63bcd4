import { randomUUID } from 'node:crypto';
import type { Scope } from '../../src/domain/api-token.ts';
import type { TokenGrant } from '../../src/domain/api-token-record.ts';
import { createTokenService } from '../../src/service/api-tokens.ts';
import type { Db } from '../../src/store/database.ts';

/**
 * A token made in `db`, for tests that build the HTTP app themselves: `authenticate` for
 * `createHttpApp`, `headers` to send with each request (an admin token unless told).
 */
export async function apiAuth(db: Db, grant: Partial<TokenGrant> & { scopes?: Scope[] } = {}) {
  const tokens = createTokenService({ db, cacheMs: 0 });
  const made = await tokens.create(
    { name: `test-${randomUUID().slice(0, 8)}`, scopes: ['admin'], apps: null, envs: null, actAs: null, expiresAt: null, ...grant },
    'cli',
  );
  if (!made.ok) throw new Error(made.reason);
  return { tokens, authenticate: tokens.authenticate, secret: made.secret, name: made.token.name, headers: { authorization: `Bearer ${made.secret}` } };
}
