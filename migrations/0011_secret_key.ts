import { sql, type Kysely } from 'kysely';

/**
 * Keys of Hoist's own, by name: `secrets` is the HMAC key the masked form of a service's
 * `env` values is made with (`••••a1b2c3d4`). Generated once by whichever process asks first
 * (the primary key settles a race) and shared by every process; never shown.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table hoist_keys (
    name text primary key,
    key bytea not null,
    created_at timestamptz not null default now()
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table hoist_keys`.execute(db);
}
