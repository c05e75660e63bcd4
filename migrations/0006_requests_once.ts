import { sql, type Kysely } from 'kysely';

/**
 * Every chat request is carried out once: its identity (a Slack trigger_id, an
 * event_id, a card button) is claimed here and its first answer kept for replays.
 * A deployment still waiting records what it would do (`waiting_key`), so that an
 * identical request joins it instead of queueing another; the partial unique index
 * makes that decision atomic however many identical requests arrive at once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table requests (
    key text primary key,
    answer jsonb,
    claimed_at timestamptz not null default now()
  )`.execute(db);
  await sql`create index requests_claimed_at_idx on requests (claimed_at)`.execute(db);
  await sql`alter table deployments add column waiting_key text`.execute(db);
  await sql`create unique index deployments_waiting_key_idx on deployments (app, env, waiting_key) where started_at is null and finished_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists deployments_waiting_key_idx`.execute(db);
  await sql`alter table deployments drop column waiting_key`.execute(db);
  await sql`drop table requests`.execute(db);
}
