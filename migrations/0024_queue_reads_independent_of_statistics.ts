import { sql, type Kysely } from 'kysely';

/**
 * An environment's queue is read through one index, whatever Postgres' statistics say.
 *
 * Every read of a queue asks for an environment's unfinished deployments in queue order
 * (`order by queue_order, id`). The queue index had (app, env, queue_order): a sort was still
 * needed, and where the statistics did not tell the indexes apart (a table never analyzed yet,
 * as on a fresh install, where every estimate is one row), the planner could as well take the
 * app's index (app, id) and filter its rows. A plan cached that way (a prepared statement, the
 * query inside `arrival_queue_before`) stays until the table is analyzed: each request then read
 * every deployment the app ever had (1,563 rows for one request in a run of 5,000). With `id` in
 * the index, the index gives the order itself and no other plan costs as little.
 *
 * `arrival_queue_before` asks in index order (an array of the ordered select, not an
 * aggregate that sorts by itself), so that the same holds for the query inside it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index deployments_queue_order_idx on deployments (app, env, queue_order, id) where finished_at is null and queue_order is not null`.execute(db);
  await sql`drop index deployments_queue_idx`.execute(db);
  await sql`
    create or replace function arrival_queue_before(app text, env text, except_id integer) returns integer[] language plpgsql volatile as $$
    begin
      return array(
        select q.id from deployments q
        where q.app = arrival_queue_before.app and q.env = arrival_queue_before.env
          and q.finished_at is null and q.queue_order is not null and q.id <> except_id
        order by q.queue_order, q.id
      );
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`
    create or replace function arrival_queue_before(app text, env text, except_id integer) returns integer[] language plpgsql volatile as $$
    begin
      return coalesce((
        select array_agg(q.id order by q.queue_order, q.id) from deployments q
        where q.app = arrival_queue_before.app and q.env = arrival_queue_before.env
          and q.finished_at is null and q.queue_order is not null and q.id <> except_id
      ), '{}');
    end
    $$`.execute(db);
  await sql`create index deployments_queue_idx on deployments (app, env, queue_order) where finished_at is null`.execute(db);
  await sql`drop index deployments_queue_order_idx`.execute(db);
}
