import { sql, type Kysely } from 'kysely';

/**
 * API tokens: a name, what the token may do (scopes, apps, environments), whom it acts
 * for, and the SHA-256 of its secret — never the secret itself. Secrets are long random
 * strings, so a plain hash is enough to keep them unusable if the table leaks. A revoked
 * token keeps its row (its name, its history) until a token of the same name replaces it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table api_tokens (
    name text primary key,
    secret_hash text not null unique,
    scopes jsonb not null,
    apps jsonb,
    envs jsonb,
    act_as text,
    origin text not null check (origin in ('cli', 'env', 'local', 'api')),
    created_at timestamptz not null default now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table api_tokens`.execute(db);
}
