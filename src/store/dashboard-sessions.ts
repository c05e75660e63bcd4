import type { Db } from './database.ts';

export interface StoredSession {
  sessionHash: string;
  tokenHash: string;
  tokenName: string;
  createdAt: Date;
  expiresAt: Date;
  lastUsedAt: Date | null;
}

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

export async function insertSession(db: Db, sessionHash: string, session: { tokenHash: string; tokenName: string; expiresAt: Date }): Promise<void> {
  await db
    .insertInto('dashboard_sessions')
    .values({ session_hash: sessionHash, token_hash: session.tokenHash, token_name: session.tokenName, expires_at: session.expiresAt })
    .execute();
}

export async function findSession(db: Db, sessionHash: string): Promise<StoredSession | null> {
  const row = await db.selectFrom('dashboard_sessions').selectAll().where('session_hash', '=', sessionHash).executeTakeFirst();
  if (!row) return null;
  return { sessionHash: row.session_hash, tokenHash: row.token_hash, tokenName: row.token_name, createdAt: new Date(row.created_at), expiresAt: new Date(row.expires_at), lastUsedAt: date(row.last_used_at) };
}

export async function touchSession(db: Db, sessionHash: string, at: Date): Promise<void> {
  await db.updateTable('dashboard_sessions').set({ last_used_at: at }).where('session_hash', '=', sessionHash).execute();
}

export async function deleteSession(db: Db, sessionHash: string): Promise<boolean> {
  const deleted = await db.deleteFrom('dashboard_sessions').where('session_hash', '=', sessionHash).executeTakeFirst();
  return Number(deleted.numDeletedRows) > 0;
}

/** Sessions whose time is up: nothing can use them any more. */
export async function deleteExpiredSessions(db: Db, now: Date): Promise<void> {
  await db.deleteFrom('dashboard_sessions').where('expires_at', '<=', now).execute();
}
