import { sql, type Kysely } from 'kysely';

/**
 * The GitHub Deployment that mirrors each Hoist deployment of a GitHub app. The row is
 * written before the GitHub Deployment is created (`github_id` null: intended), so a retry
 * after a crash between the two knows to look for the one it may have made (by the Hoist id
 * in its payload) instead of making a second. `refused`: GitHub will not take it (a commit it
 * does not have): not asked again.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create table github_deployments (
      deployment_id integer primary key references deployments (id) on delete cascade,
      repo text not null,
      environment text not null,
      github_id bigint,
      refused text,
      created_at timestamptz not null default now()
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table github_deployments`.execute(db);
}
