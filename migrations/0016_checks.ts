import { sql, type Kysely } from 'kysely';

/**
 * CI checks before a deploy: a deployment waiting for its commit's checks (AWAITING_CHECKS)
 * keeps when it gives up (`checks_deadline`) and when they are read next (`checks_next_at`,
 * which a sweep moves on as it claims the row, and a `check_run` or `status` webhook brings
 * forward); `checks` records what it waits for and whether it was forced past them.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments add column checks jsonb, add column checks_deadline timestamptz, add column checks_next_at timestamptz`.execute(db);
  await sql`create index deployments_awaiting_checks on deployments (checks_next_at) where status = 'AWAITING_CHECKS'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index deployments_awaiting_checks`.execute(db);
  await sql`alter table deployments drop column checks, drop column checks_deadline, drop column checks_next_at`.execute(db);
}
