import { sql, type Kysely } from 'kysely';

/**
 * A deploy request is recorded without reading its environment first, when no lock is in force.
 *
 * A request read its environment (the lock in force, what runs there) and then recorded the
 * deployment: two round trips. A deploy needs of what runs there only each service's version,
 * the deployment's "previous version", which its insert can read itself; and it needs the lock
 * only when there is one. `arrival_id_unless_locked` draws the id as `arrival_id` does (the
 * environment's arrival lock first), then refuses, with SQLSTATE HL423, when a lock is in force:
 * the statement is undone, and the request reads its environment and checks the lock as before.
 * Its query runs with a snapshot taken after the arrival lock (VOLATILE plpgsql).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function arrival_id_unless_locked(app text, env text) returns integer language plpgsql volatile as $$
    begin
      perform pg_advisory_xact_lock(7310407, hashtext(app || '/' || env));
      if exists (
        select 1 from environment_locks l
        where l.app = arrival_id_unless_locked.app and l.env = arrival_id_unless_locked.env
          and (l.expires_at is null or l.expires_at > now())
      ) then
        raise exception 'a lock is in force in %/%', app, env using errcode = 'HL423';
      end if;
      return nextval(pg_get_serial_sequence('deployments', 'id'));
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists arrival_id_unless_locked(text, text)`.execute(db);
}
