import { sql, type Kysely } from 'kysely';

/**
 * What redeploy, rollback and onFailure need: the deployment a rollback goes back to and
 * the one it leaves (for the pin's reason), and a quick way to the last deployment that
 * applied a service successfully (whose deployment set redeploy compares against).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments add column rollback_to integer references deployments (id)`.execute(db);
  await sql`alter table deployments add column rollback_from integer references deployments (id)`.execute(db);
  await sql`create index deployment_services_applied_idx on deployment_services (name, deployment_id) where status = 'DEPLOYED'`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists deployment_services_applied_idx`.execute(db);
  await sql`alter table deployments drop column rollback_from`.execute(db);
  await sql`alter table deployments drop column rollback_to`.execute(db);
}
