import { sql, type Kysely } from 'kysely';

/** Which process executes a deployment (`host:pid`), for operators and for tests. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments add column executor text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments drop column executor`.execute(db);
}
