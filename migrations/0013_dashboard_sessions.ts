import { sql, type Kysely } from 'kysely';

/**
 * The dashboard's sign-in sessions. A browser's EventSource cannot send an Authorization
 * header, so the dashboard signs in with a token once and holds an opaque session id in an
 * HttpOnly cookie instead. The table keeps the SHA-256 of that id (never the id), and the
 * hash of the token's secret it was opened with: each use checks that token again, so a
 * token revoked, expired or replaced ends its sessions.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table dashboard_sessions (
    session_hash text primary key,
    token_hash text not null,
    token_name text not null,
    created_at timestamptz not null default now(),
    expires_at timestamptz not null,
    last_used_at timestamptz
  )`.execute(db);
  await sql`create index dashboard_sessions_expires on dashboard_sessions (expires_at)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table dashboard_sessions`.execute(db);
}
