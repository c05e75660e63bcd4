import { sql, type Kysely } from 'kysely';

/**
 * Approvals. A deployment waiting for approval is not in its environment's queue: the
 * queue is ordered by `queue_order`, given when a deployment joins it (when requested,
 * or when its approval completed), so an approved deployment runs behind what already
 * waited. Votes count once per person (the primary key); the approval history keeps
 * every step, with the SHA and deployment set (by its key) it was about.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence deployment_queue_order`.execute(db);
  await sql`alter table deployments add column queue_order bigint`.execute(db);
  await sql`alter table deployments add column approval_expires_at timestamptz`.execute(db);
  await sql`update deployments set queue_order = id`.execute(db);
  await sql`select setval('deployment_queue_order', coalesce((select max(id) from deployments), 0) + 1, false)`.execute(db);
  await sql`create index deployments_queue_idx on deployments (app, env, queue_order) where finished_at is null`.execute(db);
  await sql`create table approval_votes (
    deployment_id integer not null references deployments (id) on delete cascade,
    voter_id text not null,
    voter_name text not null,
    groups jsonb not null,
    at timestamptz not null default now(),
    primary key (deployment_id, voter_id)
  )`.execute(db);
  await sql`create table approval_history (
    id serial primary key,
    deployment_id integer not null references deployments (id) on delete cascade,
    step text not null,
    actor_id text,
    actor_name text,
    edge text,
    reason text,
    sha text,
    set_key text,
    at timestamptz not null default now()
  )`.execute(db);
  await sql`create index approval_history_deployment_idx on approval_history (deployment_id, id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table approval_history`.execute(db);
  await sql`drop table approval_votes`.execute(db);
  await sql`drop index if exists deployments_queue_idx`.execute(db);
  await sql`alter table deployments drop column approval_expires_at`.execute(db);
  await sql`alter table deployments drop column queue_order`.execute(db);
  await sql`drop sequence deployment_queue_order`.execute(db);
}
