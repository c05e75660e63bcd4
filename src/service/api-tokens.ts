import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiToken } from '../domain/api-token.ts';
import { SECRET_PREFIX, tokenLapse, type ApiTokenRecord, type TokenGrant, type TokenOrigin, type TokenSeed } from '../domain/api-token-record.ts';
import type { Db } from '../store/database.ts';
import * as store from '../store/api-tokens.ts';

/** 32 random bytes: a secret long enough that its plain SHA-256 cannot be searched back. */
export const newSecret = (): string => `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
export const hashSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

export type TokenRefusal = { ok: false; code: 'DUPLICATE' | 'NOT_FOUND' | 'CONFLICT'; reason: string };
export type Authenticated = { ok: true; token: ApiToken } | { ok: false; reason: string };

const UNKNOWN = 'this API token is not known to Hoist (check it was copied whole, or create one with `hoist token create`)';

const publicRecord = ({ secretHash: _hash, ...record }: store.StoredToken): ApiTokenRecord => record;

/**
 * Tokens: made, listed, revoked, and checked on every API request. A check costs no
 * write: the last use is recorded at most once per `touchEveryMs` per token. A token found
 * is kept for `cacheMs`: a revoke takes effect at once in this process, within `cacheMs`
 * in the others.
 */
export function createTokenService(deps: { db: Db; now?: () => Date; touchEveryMs?: number; cacheMs?: number }) {
  const { db } = deps;
  const now = deps.now ?? (() => new Date());
  const touchEveryMs = deps.touchEveryMs ?? 60_000;
  const cacheMs = deps.cacheMs ?? 5_000;
  const found = new Map<string, { token: store.StoredToken; at: number }>();
  const touched = new Map<string, number>();

  // Checks of one token while its lookup runs share it: one statement, however many requests.
  const pending = new Map<string, Promise<store.StoredToken | null>>();
  // A revoke here forgets what was found, and what lookups started before it would find.
  let epoch = 0;

  const lookup = async (hash: string): Promise<store.StoredToken | null> => {
    const cached = found.get(hash);
    if (cached && now().getTime() - cached.at < cacheMs) return cached.token;
    const running = pending.get(hash);
    if (running) return running;
    const started = epoch;
    const looked = store
      .findTokenByHash(db, hash)
      .then((token) => {
        if (epoch !== started) return token;
        if (token === null) found.delete(hash);
        else found.set(hash, { token, at: now().getTime() });
        return token;
      })
      .finally(() => {
        if (pending.get(hash) === looked) pending.delete(hash);
      });
    pending.set(hash, looked);
    return looked;
  };

  const noteUse = async (token: store.StoredToken, at: Date): Promise<void> => {
    const last = Math.max(touched.get(token.name) ?? 0, token.lastUsedAt?.getTime() ?? 0);
    if (at.getTime() - last < touchEveryMs) return;
    touched.set(token.name, at.getTime());
    await store.touchToken(db, token.name, at);
  };

  const forget = () => {
    epoch += 1;
    found.clear();
    pending.clear();
  };

  async function check(hash: string): Promise<Authenticated> {
    const token = await lookup(hash);
    // The row was found by its hash; comparing the hashes again in constant time keeps the
    // decision itself free of any early exit that depends on the secret.
    if (token === null || !timingSafeEqual(Buffer.from(token.secretHash, 'hex'), Buffer.from(hash, 'hex'))) return { ok: false, reason: UNKNOWN };
    const at = now();
    const lapse = tokenLapse(token, at);
    if (lapse !== null) return { ok: false, reason: lapse };
    await noteUse(token, at);
    const { name, scopes, apps, envs, actAs, expiresAt } = token;
    return { ok: true, token: { name, scopes, apps, envs, actAs, expiresAt } };
  }

  return {
    async authenticate(secret: string): Promise<Authenticated> {
      return check(hashSecret(secret));
    },

    /** The same check for a secret known only by its hash (a dashboard session holds the hash of the token it was opened with). */
    authenticateHash(hash: string): Promise<Authenticated> {
      return check(hash);
    },

    /** A new token; its secret is in the answer and nowhere else. */
    async create(grant: TokenGrant, origin: TokenOrigin): Promise<{ ok: true; secret: string; token: ApiTokenRecord } | TokenRefusal> {
      const secret = newSecret();
      if (!(await store.insertToken(db, grant, hashSecret(secret), origin))) {
        return { ok: false, code: 'DUPLICATE', reason: `a token named "${grant.name}" exists: pick another name, or revoke it first (\`hoist token revoke ${grant.name}\`)` };
      }
      const token = await store.findToken(db, grant.name);
      return { ok: true, secret, token: publicRecord(token!) };
    },

    async list(): Promise<ApiTokenRecord[]> {
      return (await store.listTokens(db)).map(publicRecord);
    },

    async revoke(name: string): Promise<{ ok: true; token: ApiTokenRecord } | TokenRefusal> {
      const revoked = await store.revokeToken(db, name, now());
      forget();
      const token = await store.findToken(db, name);
      if (revoked && token) return { ok: true, token: publicRecord(token) };
      if (token) return { ok: false, code: 'NOT_FOUND', reason: `token "${name}" is revoked already` };
      const names = (await store.listTokens(db)).filter((t) => t.revokedAt === null).map((t) => t.name);
      return { ok: false, code: 'NOT_FOUND', reason: `no token named "${name}"${names.length > 0 ? `; tokens: ${names.join(', ')}` : ''}` };
    },

    /**
     * The tokens of HOIST_API_TOKENS, as listed: each set by name, and those seeded before
     * and no longer listed revoked. A name taken by a token made otherwise is a conflict.
     */
    async seed(seeds: readonly TokenSeed[]): Promise<{ ok: true; seeded: string[]; revoked: string[] } | TokenRefusal> {
      for (const seed of seeds) {
        const existing = await store.findToken(db, seed.grant.name);
        if (existing && existing.origin !== 'env' && existing.revokedAt === null) {
          return { ok: false, code: 'CONFLICT', reason: `a token named "${seed.grant.name}" was made with \`hoist token create\` (${existing.origin}): rename the entry, or revoke that token first` };
        }
      }
      for (const seed of seeds) await store.replaceToken(db, seed.grant, hashSecret(seed.secret), 'env');
      const revoked = await store.revokeOtherTokens(db, 'env', seeds.map((s) => s.grant.name), now());
      forget();
      return { ok: true, seeded: seeds.map((s) => s.grant.name), revoked };
    },

    /**
     * The local admin token, whose secret is kept in a file: registered under `name` (replacing
     * the last one) unless the database knows the secret already. `revoked`: it knew it, revoked.
     */
    async registerLocalAdmin(name: string, secret: string): Promise<{ revoked: boolean }> {
      const known = await store.findTokenByHash(db, hashSecret(secret));
      if (known !== null) return { revoked: known.revokedAt !== null };
      await store.replaceToken(db, { name, scopes: ['admin'], apps: null, envs: null, actAs: null, expiresAt: null }, hashSecret(secret), 'local');
      forget();
      return { revoked: false };
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
