import { sql, type Kysely } from 'kysely';

/**
 * Approval timers: when the approvers of a deployment waiting for approval are reminded
 * next. Expiries (`approval_expires_at`) and reminders are found by one index over the
 * deployments that wait, so that every sweep is cheap however long the history grows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments add column approval_remind_at timestamptz`.execute(db);
  await sql`create index deployments_awaiting_idx on deployments (approval_expires_at, approval_remind_at) where status = 'AWAITING_APPROVAL'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists deployments_awaiting_idx`.execute(db);
  await sql`alter table deployments drop column approval_remind_at`.execute(db);
}
