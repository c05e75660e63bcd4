import { sql, type Kysely } from 'kysely';

/**
 * Events get their log position from a reader, not from the commit that appends them.
 *
 * Until now (migration 0010) every appending commit took the log's one advisory lock in a
 * deferred trigger and held it through its own WAL flush, so appends from every process were
 * flushed one after another: with several processes they spent most of their time waiting on
 * that lock. Now an appending commit leaves `position` null and takes no lock, so appends flush
 * together (group commit).
 *
 * `sequence_events()` gives positions to every committed event that has none, in id order,
 * after the largest position given so far. It takes the same advisory lock first (held until
 * its transaction ends, WAL flush included), and its update reads a snapshot taken after the
 * lock, so it sees every position an earlier call gave. Calls thus give positions one batch
 * after another, each batch committed before the next is drawn: a reader that has seen
 * position N has seen every position below it, as before. Readers call it before they read
 * the log (a call with nothing to do takes no lock and writes nothing); a reader whose rows
 * must match a position exactly (the board) gives positions in its own statement, under the
 * lock (`store/board.ts`).
 *
 * Within one deployment, ids follow the order its events were appended (each is committed
 * before the next is inserted), so positions keep that order.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger if exists deployment_events_position on deployment_events`.execute(db);
  await sql`drop function if exists assign_event_position()`.execute(db);
  await sql`drop sequence if exists event_positions`.execute(db);
  await sql`create index deployment_events_unpositioned_idx on deployment_events (id) where position is null`.execute(db);
  await sql`
    create function sequence_events() returns integer language plpgsql as $$
    declare
      given integer;
    begin
      if not exists (select 1 from deployment_events where position is null) then
        return 0;
      end if;
      perform pg_advisory_xact_lock(7310406);
      update deployment_events e set position = b.last + t.n
        from (select id, row_number() over (order by id) as n from deployment_events where position is null) t,
             (select coalesce(max(position), 0) as last from deployment_events) b
        where e.id = t.id;
      get diagnostics given = row_count;
      return given;
    end
    $$`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`select sequence_events()`.execute(db);
  await sql`drop function if exists sequence_events()`.execute(db);
  await sql`drop index if exists deployment_events_unpositioned_idx`.execute(db);
  await sql`create sequence event_positions`.execute(db);
  await sql`select setval('event_positions', coalesce((select max(position) from deployment_events), 0) + 1, false)`.execute(db);
  await sql`
    create or replace function assign_event_position() returns trigger language plpgsql as $$
    begin
      perform pg_advisory_xact_lock(7310406);
      update deployment_events set position = nextval('event_positions') where id = new.id;
      return null;
    end
    $$`.execute(db);
  await sql`
    create constraint trigger deployment_events_position after insert on deployment_events
    deferrable initially deferred for each row execute function assign_event_position()`.execute(db);
}
