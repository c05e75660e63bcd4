import { sql } from 'kysely';
import type { LoggedEvent } from '../domain/event-log.ts';
import type { Db } from './database.ts';
import { sequenceEvents, toLoggedEvent } from './events.ts';

/**
 * A consumer's events past its cursor, oldest first, in one statement once the events
 * committed up to now have their positions (`sequenceEvents`). A consumer without a
 * cursor starts at the log's beginning, or with `startAt: 'end'` gets a cursor at the log's
 * end now (and keeps it: later passes go on from there; callers that know it has one by now
 * leave `startAt` out). `settledUpTo`: where the consumer's previous pass left off and has not
 * written yet — the cursor moves there (never back) in the same statement that reads past it.
 */
export async function eventsAfterCursor(
  db: Db,
  consumer: string,
  options: { limit?: number; startAt?: 'beginning' | 'end'; settledUpTo?: number } = {},
): Promise<{ events: LoggedEvent[] }> {
  const limit = options.limit ?? 200;
  if (options.startAt === 'end') await startAtEnd(db, consumer);
  else await sequenceEvents(db);
  const stored = db.selectFrom('event_cursors').select('position').where('consumer', '=', consumer);
  const settled = options.settledUpTo ?? 0;
  if (settled <= 0) {
    const rows = await db
      .selectFrom('deployment_events')
      .selectAll()
      .where('position', '>', (eb) => eb.fn.coalesce(stored, sql<number>`0`))
      .orderBy('position')
      .limit(limit)
      .execute();
    return { events: rows.map(toLoggedEvent) };
  }
  // The cursor is written only when it moves forward: `moved` is empty when another process's
  // pass had taken it further, and the stored position (as it was before this statement) counts.
  const rows = await db
    .with('moved', (q) =>
      q
        .insertInto('event_cursors')
        .values({ consumer, position: settled })
        .onConflict((oc) => oc.column('consumer').doUpdateSet({ position: settled }).where('event_cursors.position', '<', settled))
        .returning('position'),
    )
    .selectFrom('deployment_events')
    .selectAll()
    .where('position', '>', (eb) => eb.fn.coalesce(eb.selectFrom('moved').select('position'), stored, sql<number>`0`))
    .orderBy('position')
    .limit(limit)
    .execute();
  return { events: rows.map(toLoggedEvent) };
}

/** Gives a consumer that has no cursor yet one at the log's last position (one that has keeps it). */
export async function startAtEnd(db: Db, consumer: string): Promise<void> {
  await sequenceEvents(db);
  await db
    .insertInto('event_cursors')
    .columns(['consumer', 'position'])
    .expression((eb) => eb.selectFrom('deployment_events').select([eb.val(consumer).as('consumer'), sql<number>`coalesce(max(position), 0)`.as('position')]))
    .onConflict((oc) => oc.column('consumer').doNothing())
    .execute();
}

/**
 * Forgets the consumers whose names start with `prefix` but are not in `keep`: their cursors and
 * the events they held (what they gave up on stays in `event_failures`). Their names.
 */
export async function forgetConsumers(db: Db, prefix: string, keep: readonly string[]): Promise<string[]> {
  const like = `${prefix.replace(/[\\%_]/g, '\\$&')}%`;
  const gone = await db
    .selectFrom('event_cursors')
    .select('consumer')
    .where('consumer', 'like', like)
    .$if(keep.length > 0, (q) => q.where('consumer', 'not in', keep))
    .execute();
  const names = gone.map((r) => r.consumer);
  if (names.length === 0) return [];
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('event_retries').where('consumer', 'in', names).execute();
    await trx.deleteFrom('event_cursors').where('consumer', 'in', names).execute();
  });
  return names;
}

export async function cursorOf(db: Db, consumer: string): Promise<number> {
  const row = await db.selectFrom('event_cursors').select('position').where('consumer', '=', consumer).executeTakeFirst();
  return Number(row?.position ?? 0);
}

/** Moves the consumer's cursor forward to `position` (never back: passes may finish out of order). */
export async function moveCursor(db: Db, consumer: string, position: number): Promise<void> {
  await db
    .insertInto('event_cursors')
    .values({ consumer, position })
    .onConflict((oc) => oc.column('consumer').doUpdateSet({ position: sql<number>`greatest(event_cursors.position, excluded.position)` }))
    .execute();
}

export interface HeldEvent {
  event: LoggedEvent;
  /** Failed tries so far (0: waiting behind an earlier event of its group). */
  attempts: number;
  /** When it may be tried again; null: as soon as its turn comes. */
  nextAt: Date | null;
  lastError: string | null;
}

/** The consumer's held events (failed, or waiting behind one that failed), oldest first. */
export async function heldEvents(db: Db, consumer: string): Promise<HeldEvent[]> {
  const rows = await db
    .selectFrom('event_retries as r')
    .innerJoin('deployment_events as e', 'e.id', 'r.event_id')
    .selectAll('e')
    .select(['r.attempts', 'r.next_at', 'r.last_error'])
    .where('r.consumer', '=', consumer)
    .orderBy('e.position')
    .execute();
  return rows.map((r) => ({
    event: toLoggedEvent(r),
    attempts: r.attempts,
    nextAt: r.next_at === null ? null : new Date(r.next_at),
    lastError: r.last_error,
  }));
}

/** Holds an event for the consumer: tried again at `nextAt` (null: when its turn comes). */
export async function holdEvent(db: Db, consumer: string, eventId: number, state: { attempts: number; nextAt: Date | null; lastError: string | null }): Promise<void> {
  const values = { attempts: state.attempts, next_at: state.nextAt, last_error: state.lastError };
  await db
    .insertInto('event_retries')
    .values({ consumer, event_id: eventId, ...values })
    .onConflict((oc) => oc.columns(['consumer', 'event_id']).doUpdateSet(values))
    .execute();
}

/** The consumer is done with a held event (delivered). */
export async function releaseEvent(db: Db, consumer: string, eventId: number): Promise<void> {
  await db.deleteFrom('event_retries').where('consumer', '=', consumer).where('event_id', '=', eventId).execute();
}

/** Records that the consumer gave up on an event, and no longer holds it. */
export async function recordUndeliverable(db: Db, consumer: string, eventId: number, failure: { attempts: number; lastError: string }): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('event_failures').values({ consumer, event_id: eventId, attempts: failure.attempts, last_error: failure.lastError }).execute();
    await releaseEvent(trx, consumer, eventId);
  });
}

export interface UndeliveredEvent {
  consumer: string;
  eventId: number;
  attempts: number;
  lastError: string;
  failedAt: Date;
}

/** Events given up on, newest first: for one consumer, or all. */
export async function undeliveredEvents(db: Db, consumer?: string): Promise<UndeliveredEvent[]> {
  let query = db.selectFrom('event_failures').selectAll().orderBy('id', 'desc');
  if (consumer !== undefined) query = query.where('consumer', '=', consumer);
  return (await query.execute()).map((r) => ({ consumer: r.consumer, eventId: r.event_id, attempts: r.attempts, lastError: r.last_error, failedAt: new Date(r.failed_at) }));
}

/** How many events were given up on, per consumer (for metrics). */
export async function undeliveredCounts(db: Db): Promise<Record<string, number>> {
  const rows = await db.selectFrom('event_failures').select(['consumer', sql<number>`count(*)`.as('count')]).groupBy('consumer').execute();
  return Object.fromEntries(rows.map((r) => [r.consumer, Number(r.count)]));
}
