import { sql, type Selectable } from 'kysely';
import type { DeploymentEvent, StoredEvent } from '../domain/deployment.ts';
import type { LogEntry, LoggedEvent, RunningChange } from '../domain/event-log.ts';
import type { EnvironmentLock, EnvironmentNotice, StoredNotice } from '../domain/lock.ts';
import type { Db } from './database.ts';
import { parseJson, readChatOrigin } from './json-columns.ts';
import type { DeploymentEventsTable } from './schema.ts';

export async function appendEvent(db: Db, event: DeploymentEvent): Promise<void> {
  await appendEvents(db, [event]);
}

/**
 * Several events in one statement, in the order given, each with its deployment's app and
 * environment. They get their positions later, from the first reader after the commit
 * (`sequenceEvents`, migration 0022): appending takes no lock.
 */
export async function appendEvents(db: Db, events: readonly DeploymentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('deployment_events')
    .values(
      events.map((event) => ({
        deployment_id: event.deploymentId,
        kind: event.kind,
        app: (eb) => eb.selectFrom('deployments').select('app').where('id', '=', event.deploymentId),
        env: (eb) => eb.selectFrom('deployments').select('env').where('id', '=', event.deploymentId),
        payload: JSON.stringify(event),
      })),
    )
    .execute();
}

/** An environment's entry (a lock notice or change): the log holds it beside the deployments' events. */
export async function appendEnvironmentEntry(db: Db, where: { app: string; env: string }, entry: Exclude<LogEntry, DeploymentEvent>): Promise<void> {
  const payload = entry.kind === 'notice' ? entry.notice : entry.kind === 'running' ? entry : { action: entry.action, lock: entry.lock, actor: entry.actor };
  await db.insertInto('deployment_events').values({ deployment_id: null, kind: entry.kind, app: where.app, env: where.env, payload: JSON.stringify(payload) }).execute();
}

/** A lock as a JSON payload holds it: dates as text, and the chat origin as it was written. */
function reviveLock(lock: EnvironmentLock): EnvironmentLock {
  return { ...lock, since: new Date(lock.since), expiresAt: lock.expiresAt === null ? null : new Date(lock.expiresAt), chat: readChatOrigin(lock.chat) };
}

function toEntry(kind: string, payload: unknown): LogEntry {
  if (kind === 'notice') {
    const notice = payload as EnvironmentNotice;
    return { kind: 'notice', notice: { ...notice, lock: reviveLock(notice.lock) } as EnvironmentNotice };
  }
  if (kind === 'lock') {
    const change = payload as Omit<Extract<LogEntry, { kind: 'lock' }>, 'kind'>;
    return { kind: 'lock', action: change.action, lock: reviveLock(change.lock), actor: change.actor };
  }
  if (kind === 'running') return payload as RunningChange;
  return payload as DeploymentEvent;
}

export function toLoggedEvent(row: Selectable<DeploymentEventsTable>): LoggedEvent {
  return {
    id: row.id,
    position: Number(row.position),
    app: row.app,
    env: row.env,
    deploymentId: row.deployment_id,
    at: new Date(row.created_at),
    entry: toEntry(row.kind, parseJson(row.payload)),
  };
}

export interface LogFilter {
  app?: string | null;
  env?: string | null;
}

/** The log's advisory lock (migration 0022): held by whoever gives events their positions. */
export const EVENT_LOG_LOCK = 7310406;

/**
 * Gives every committed event without a position its own, in id order, after every position
 * given before (migration 0022): what readers do before they read the log. Nothing to give
 * takes no lock and writes nothing. How many it gave.
 */
export async function sequenceEvents(db: Db): Promise<number> {
  const { rows } = await sql<{ given: number }>`select sequence_events() as given`.execute(db);
  return Number(rows[0]?.given ?? 0);
}

/**
 * The log after `after` (a position), oldest first: every committed event, each once and in
 * the order positions were given (events committed up to now are given theirs first).
 */
export async function readEvents(db: Db, options: LogFilter & { after: number; limit?: number }): Promise<LoggedEvent[]> {
  await sequenceEvents(db);
  let query = db.selectFrom('deployment_events').selectAll().where('position', '>', options.after);
  if (options.app) query = query.where('app', '=', options.app);
  if (options.env) query = query.where('env', '=', options.env);
  const rows = await query.orderBy('position').limit(options.limit ?? 500).execute();
  return rows.map(toLoggedEvent);
}

/** The log's last position (0 when it is empty), once the events committed up to now have theirs. */
export async function lastPosition(db: Db): Promise<number> {
  await sequenceEvents(db);
  const row = await db.selectFrom('deployment_events').select(sql<number | null>`max(position)`.as('last')).executeTakeFirst();
  return Number(row?.last ?? 0);
}

/** A deployment's event in the shape the chat notifier takes. */
export function asStoredEvent(event: LoggedEvent & { entry: DeploymentEvent }): StoredEvent {
  return { id: event.id, deploymentId: event.entry.deploymentId, event: event.entry, createdAt: event.at };
}

/** A lock notice in the shape the notice poster takes. */
export function asStoredNotice(event: LoggedEvent & { entry: { kind: 'notice'; notice: EnvironmentNotice } }): StoredNotice {
  return { id: event.id, notice: event.entry.notice, createdAt: event.at };
}
