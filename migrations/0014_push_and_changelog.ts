import { sql, type Kysely } from 'kysely';

/**
 * A deployment requested by a push keeps the push (who pushed, the head commit's message,
 * whether it was forced), and every deploy its changelog once it is known.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments add column push jsonb, add column changelog jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table deployments drop column push, drop column changelog`.execute(db);
}
