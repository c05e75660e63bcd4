import { sql, type Kysely } from 'kysely';

/**
 * Which worker executes a deployment: `fence` is the token of the current executor
 * (a new one each time a worker takes the deployment over), `heartbeat_at` says it
 * is alive, `cancel_requested_at` asks it to stop.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create sequence deployment_fence_seq`.execute(db);
  await sql`alter table deployments add column fence bigint`.execute(db);
  await sql`alter table deployments add column heartbeat_at timestamptz`.execute(db);
  await sql`alter table deployments add column cancel_requested_at timestamptz`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments drop column cancel_requested_at`.execute(db);
  await sql`alter table deployments drop column heartbeat_at`.execute(db);
  await sql`alter table deployments drop column fence`.execute(db);
  await sql`drop sequence deployment_fence_seq`.execute(db);
}
