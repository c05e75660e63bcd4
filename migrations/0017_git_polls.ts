import { sql, type Kysely } from 'kysely';

/**
 * Polling of git repositories (`autoDeploy: { poll }`): one row per repository. `holder` is
 * the Hoist process that checks it until `lease_until` (one check per repository, whatever
 * the number of processes; a process that dies lets its lease lapse and another takes over);
 * `heads` is the head last seen of each branch (null: never checked). The repository is kept
 * as a hash of its URL (which may carry credentials) beside a name people can read.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table git_polls (
    repo_key text primary key,
    repo_name text not null,
    holder text not null,
    lease_until timestamptz not null,
    heads jsonb,
    checked_at timestamptz
  )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table git_polls`.execute(db);
}
