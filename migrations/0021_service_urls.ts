import { sql, type Kysely } from 'kysely';

/**
 * Where each service answers publicly (`https://shop.example.com`, `http://127.0.0.1:8080`), as
 * the deployment that last ran it recorded it: what status, the API and the dashboard show.
 * Null: not exposed, or not deployed since URLs were recorded.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table service_state add column url text`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table service_state drop column url`.execute(db);
}
