import { sql, type Kysely } from 'kysely';

/**
 * A deployment's status can change without touching its indexes.
 *
 * Postgres writes a changed row in place of the old one (a heap-only update: no index gets a
 * new entry) only when no index names a changed column, in its keys or in its predicate, and the
 * row's page has room. Two indexes named `status` in their predicates (the sweeps' views of what
 * waits for approval and for CI checks), so every status write added an entry to each of the
 * table's eight indexes: a deployment's DEPLOYING write, which changes nothing else an index
 * names, among them.
 *
 * Those two indexes now name the columns their sweeps read instead: a deployment waits for
 * approval while it has an `approval_expires_at` and is not finished (every way out of
 * AWAITING_APPROVAL clears it or finishes the deployment), and for checks while it has a
 * `checks_next_at` and is not finished (likewise). Their readers ask for those columns besides
 * the status, so that Postgres can prove the index covers what they ask for. And each page of
 * `deployments` keeps 30% of its room free for the rows written on it to change in place
 * (pages written from now on; a page's room is used by the updates of its own rows).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists deployments_awaiting_idx`.execute(db);
  await sql`drop index if exists deployments_awaiting_checks`.execute(db);
  await sql`create index deployments_awaiting_idx on deployments (approval_expires_at, approval_remind_at) where approval_expires_at is not null and finished_at is null`.execute(db);
  await sql`create index deployments_awaiting_checks on deployments (checks_next_at) where checks_next_at is not null and finished_at is null`.execute(db);
  await sql`alter table deployments set (fillfactor = 70)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments reset (fillfactor)`.execute(db);
  await sql`drop index if exists deployments_awaiting_idx`.execute(db);
  await sql`drop index if exists deployments_awaiting_checks`.execute(db);
  await sql`create index deployments_awaiting_idx on deployments (approval_expires_at, approval_remind_at) where status = 'AWAITING_APPROVAL'`.execute(db);
  await sql`create index deployments_awaiting_checks on deployments (checks_next_at) where status = 'AWAITING_CHECKS'`.execute(db);
}
