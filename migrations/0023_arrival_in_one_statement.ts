import { sql, type Kysely } from 'kysely';

/**
 * A request is recorded in one statement: it takes its environment's arrival lock itself.
 *
 * Requests to one environment are recorded one at a time, in arrival order: each takes the
 * environment's advisory lock (7310407, hashtext('app/env')) and holds it until it commits, so a
 * later request draws its id and queue place after an earlier one committed. Until now the lock
 * was taken by a statement of its own at the start of a transaction, so that the insert's
 * snapshot, taken after the lock, saw every request before it: four round trips (begin and
 * the lock, the insert, commit).
 *
 * These functions let the insert take the lock as it draws its id (`arrival_id`), and read the
 * queue ahead of it with a snapshot of its own taken after the lock (`arrival_queue_before`:
 * VOLATILE, so each of its queries takes a fresh snapshot). The lock is then held by the
 * statement's own transaction until it commits: one round trip. `arrival_queue_order` takes
 * the lock as well (held already by then: it returns at once), so that neither number is drawn
 * before the lock, whatever order Postgres works out the row's columns in.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function arrival_id(app text, env text) returns integer language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock(7310407, hashtext(app || '/' || env));
      return nextval(pg_get_serial_sequence('deployments', 'id'));
    end
    $$`.execute(db);
  await sql`
    create function arrival_queue_order(app text, env text) returns bigint language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock(7310407, hashtext(app || '/' || env));
      return nextval('deployment_queue_order');
    end
    $$`.execute(db);
  await sql`
    create function arrival_queue_before(app text, env text, except_id integer) returns integer[] language plpgsql volatile as $$
    begin
      return coalesce((
        select array_agg(q.id order by q.queue_order, q.id) from deployments q
        where q.app = arrival_queue_before.app and q.env = arrival_queue_before.env
          and q.finished_at is null and q.queue_order is not null and q.id <> except_id
      ), '{}');
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists arrival_queue_before(text, text, integer)`.execute(db);
  await sql`drop function if exists arrival_queue_order(text, text)`.execute(db);
  await sql`drop function if exists arrival_id(text, text)`.execute(db);
}
