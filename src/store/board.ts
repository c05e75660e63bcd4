import { sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { EnvironmentLock } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { RunningStatus } from '../domain/running-status.ts';
import type { ServiceStatus } from '../domain/status.ts';
import type { Db } from './database.ts';
import { EVENT_LOG_LOCK } from './events.ts';
import { toLock } from './locks.ts';
import { runningFromRow } from './running-status.ts';

export interface BoardState {
  app: string;
  env: string;
  service: string;
  status: ServiceStatus;
  version: string | null;
  image: string | null;
  deploymentId: number | null;
  updatedAt: Date;
  url: string | null;
}

/** A service's running status on the board (migration 0018). */
export interface BoardRunning extends RunningStatus {
  app: string;
  env: string;
  service: string;
  since: Date;
}

export interface BoardQueueEntry {
  app: string;
  env: string;
  id: number;
  action: string;
  status: string;
  startedAt: Date | null;
  requestedBy: Person;
}

/** A deployment waiting for approval: not in its environment's queue until approved. */
export interface BoardAwaitingEntry {
  app: string;
  env: string;
  id: number;
  action: string;
  requestedBy: Person;
  requestedAt: Date;
  expiresAt: Date | null;
}

/** What runs where, every environment's queue and lock, read in one statement (one snapshot of the database). */
export interface BoardRows {
  states: BoardState[];
  /** Running statuses as the targets' holders last recorded them. */
  running: BoardRunning[];
  /** Unfinished deployments in their queues, each environment's in queue order. */
  queue: BoardQueueEntry[];
  /** Deployments waiting for approval, oldest first. */
  awaiting: BoardAwaitingEntry[];
  /** Locks whose time is not up when read. */
  locks: EnvironmentLock[];
  /** The position of the last event in the log when read: these rows include everything up to it. */
  head: number;
}

/**
 * Every environment at once, in one statement: its rows see one snapshot, so a deployment
 * that ended is not both finished in the queue and still running in the services, and the
 * board costs one statement however many environments there are.
 *
 * `head` must name exactly the events these rows include. Events get their positions from
 * readers, after they commit (migration 0022), so the snapshot may hold events without one.
 * Then (readers have not caught up: under load) the rows are read again in a transaction that
 * first takes the log's lock, and its statement gives those events their positions itself: its
 * snapshot, taken after the lock, sees every position given earlier, and none is given
 * meanwhile. Every event the rows include then lies at or below `head`, and every later one above.
 */
export async function boardRows(db: Db): Promise<BoardRows> {
  const read = await readBoard(db, false);
  if (!read.unpositioned) return read.rows;
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${EVENT_LOG_LOCK})`.execute(trx);
    return (await readBoard(trx, true)).rows;
  });
}

/** The board's one statement; `give`: it gives the snapshot's events without a position theirs (under the log's lock only). */
async function readBoard(db: Db, give: boolean): Promise<{ rows: BoardRows; unpositioned: boolean }> {
  const row = await db
    .with('given', () =>
      give
        ? sql<{ position: string }>`(
            update deployment_events e set position = b.last + t.n
              from (select id, row_number() over (order by id) as n from deployment_events where position is null) t,
                   (select coalesce(max(position), 0) as last from deployment_events) b
              where e.id = t.id
              returning e.position)`
        : sql<{ position: string }>`(select null::bigint as position where false)`,
    )
    .selectNoFrom((eb) => [
      jsonArrayFrom(eb.selectFrom('service_state').select(['app', 'env', 'service', 'status', 'version', 'image', 'deployment_id', 'updated_at', 'url'])).as('states'),
      jsonArrayFrom(eb.selectFrom('running_status').select(['app', 'env', 'service', 'state', 'ready', 'desired', 'restarts', 'reason', 'since'])).as('running'),
      jsonArrayFrom(
        eb
          .selectFrom('deployments')
          .select(['app', 'env', 'id', 'action', 'status', 'started_at', 'requested_by', 'requested_by_name'])
          .where('finished_at', 'is', null)
          .where('queue_order', 'is not', null)
          .orderBy('app')
          .orderBy('env')
          .orderBy('queue_order')
          .orderBy('id'),
      ).as('queue'),
      jsonArrayFrom(
        eb
          .selectFrom('deployments')
          .select(['app', 'env', 'id', 'action', 'requested_by', 'requested_by_name', 'requested_at', 'approval_expires_at'])
          .where('status', '=', 'AWAITING_APPROVAL')
          .where('finished_at', 'is', null)
          .orderBy('id'),
      ).as('awaiting'),
      jsonArrayFrom(
        eb
          .selectFrom('environment_locks')
          .selectAll()
          .where((w) => w.or([w('expires_at', 'is', null), w('expires_at', '>', sql<Date>`now()`)])),
      ).as('locks'),
      // In the same statement: the largest position this snapshot held, or gave (`given` is not
      // seen by the other parts of the statement, which read the snapshot as it was).
      sql<string>`greatest((select coalesce(max(position), 0) from deployment_events), (select coalesce(max(position), 0) from given))`.as('head'),
      sql<boolean>`exists (select 1 from deployment_events where position is null)`.as('unpositioned'),
    ])
    .executeTakeFirstOrThrow();
  // json_agg hands timestamps over as text: each becomes a Date here.
  const rows: BoardRows = {
    states: row.states.map((s) => ({
      app: s.app,
      env: s.env,
      service: s.service,
      status: s.status as ServiceStatus,
      version: s.version,
      image: s.image,
      deploymentId: s.deployment_id,
      updatedAt: new Date(s.updated_at),
      url: s.url,
    })),
    running: row.running.map((r) => ({ app: r.app, env: r.env, service: r.service, ...runningFromRow(r) })),
    queue: row.queue.map((d) => ({
      app: d.app,
      env: d.env,
      id: d.id,
      action: d.action,
      status: d.status,
      startedAt: d.started_at ? new Date(d.started_at) : null,
      requestedBy: { id: d.requested_by, name: d.requested_by_name },
    })),
    awaiting: row.awaiting.map((d) => ({
      app: d.app,
      env: d.env,
      id: d.id,
      action: d.action,
      requestedBy: { id: d.requested_by, name: d.requested_by_name },
      requestedAt: new Date(d.requested_at),
      expiresAt: d.approval_expires_at ? new Date(d.approval_expires_at) : null,
    })),
    locks: row.locks.map(toLock),
    head: Number(row.head ?? 0),
  };
  return { rows, unpositioned: row.unpositioned };
}
