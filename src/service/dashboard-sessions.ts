import { randomBytes, timingSafeEqual } from 'node:crypto';
import { tokenDenial, type ApiToken } from '../domain/api-token.ts';
import type { Db } from '../store/database.ts';
import * as store from '../store/dashboard-sessions.ts';
import { hashSecret, type Authenticated, type TokenService } from './api-tokens.ts';

/** How long a dashboard session lasts after sign-in (its token may end it sooner). */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** Its last use is recorded at most this often: reading a page costs no write. */
const TOUCH_EVERY_MS = 60_000;

export type SignIn = { ok: true; session: string; token: ApiToken; expiresAt: Date } | { ok: false; reason: string };

const SIGN_IN_AGAIN = 'sign in to the dashboard again with a token that has the "read" scope';

/**
 * The dashboard's sessions: a browser signs in once with an API token and holds an opaque
 * session id (32 random bytes) in a cookie. Only hashes are stored. Every use checks the token
 * the session was opened with again, so the session can do exactly what its token does, and
 * ends when the token is revoked, expires or is replaced.
 */
export function createDashboardSessions(deps: { db: Db; tokens: Pick<TokenService, 'authenticate' | 'authenticateHash'>; now?: () => Date; ttlMs?: number }) {
  const { db, tokens } = deps;
  const now = deps.now ?? (() => new Date());
  const ttlMs = deps.ttlMs ?? SESSION_TTL_MS;

  return {
    /** Opens a session for a token that may read; the answer holds the session id, which is stored nowhere but in the cookie. */
    async signIn(secret: string): Promise<SignIn> {
      const trimmed = secret.trim();
      if (trimmed === '') return { ok: false, reason: 'paste an API token (hoist_…); create one with `hoist token create --name <name> --scopes read`' };
      const checked = await tokens.authenticate(trimmed);
      if (!checked.ok) return checked;
      const lacking = tokenDenial(checked.token, 'read');
      if (lacking !== null) return { ok: false, reason: `${lacking}: the dashboard needs a token with the "read" scope` };
      const at = now();
      await store.deleteExpiredSessions(db, at);
      const session = randomBytes(32).toString('base64url');
      const expiresAt = new Date(at.getTime() + ttlMs);
      await store.insertSession(db, hashSecret(session), { tokenHash: hashSecret(trimmed), tokenName: checked.token.name, expiresAt });
      return { ok: true, session, token: checked.token, expiresAt };
    },

    /** The token behind a session cookie, or why the session no longer works (then it is gone). */
    async resume(session: string): Promise<Authenticated> {
      const hash = hashSecret(session);
      const found = await store.findSession(db, hash);
      // Found by its hash; compared again in constant time, as tokens are.
      if (found === null || !timingSafeEqual(Buffer.from(found.sessionHash, 'hex'), Buffer.from(hash, 'hex'))) return { ok: false, reason: `this dashboard session is not known (signed out, or ended): ${SIGN_IN_AGAIN}` };
      const at = now();
      if (found.expiresAt.getTime() <= at.getTime()) {
        await store.deleteSession(db, hash);
        return { ok: false, reason: `this dashboard session expired at ${found.expiresAt.toISOString()}: ${SIGN_IN_AGAIN}` };
      }
      const checked = await tokens.authenticateHash(found.tokenHash);
      if (!checked.ok) {
        await store.deleteSession(db, hash);
        return { ok: false, reason: `this dashboard session ended with its token: ${checked.reason}` };
      }
      if (at.getTime() - (found.lastUsedAt ?? found.createdAt).getTime() >= TOUCH_EVERY_MS) await store.touchSession(db, hash, at);
      return checked;
    },

    /** Ends a session (signing out); true when there was one. */
    async signOut(session: string): Promise<boolean> {
      return store.deleteSession(db, hashSecret(session));
    },
  };
}

export type DashboardSessions = ReturnType<typeof createDashboardSessions>;
