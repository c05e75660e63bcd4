import { sql, type ExpressionBuilder, type RawBuilder, type UpdateObject } from 'kysely';
import type { Person } from '../domain/person.ts';
import type { Db } from './database.ts';
import { appendEvent, appendEvents } from './events.ts';
import { executorName } from './fence.ts';
import { parseJson } from './json-columns.ts';
import type { Database } from './schema.ts';

/**
 * An environment's queue: its unfinished deployments in the order they joined it (the
 * query the ones below narrow). One waiting for approval has not joined it yet.
 */
function unfinished(db: Db, app: string, env: string) {
  return db
    .selectFrom('deployments')
    .where('app', '=', app)
    .where('env', '=', env)
    .where('finished_at', 'is', null)
    .where('queue_order', 'is not', null)
    .orderBy('queue_order')
    .orderBy('id');
}

/** The next place in every environment's queue: behind whatever joined before. */
export const nextQueueOrder = () => sql<string>`nextval('deployment_queue_order')`;

/** A deployment that waits (in the queue, or for approval): what deciding to replace it needs. */
export interface WaitingRow {
  id: number;
  action: string;
  status: string;
  scope: string[] | null;
  trigger: string;
}

const waitingRow = (r: { id: number; action: string; status: string; scope: unknown; trigger: string }): WaitingRow => ({
  id: r.id,
  action: r.action,
  status: r.status,
  scope: parseJson(r.scope) as string[] | null,
  trigger: r.trigger,
});

/**
 * The waiting part of an environment's queue: deployments not yet started and
 * not finished, oldest first. A deployment leaves it when a worker picks it up
 * (`started_at` is set) or when it is removed (canceled, superseded).
 */
export async function waitingDeployments(
  db: Db,
  app: string,
  env: string,
): Promise<WaitingRow[]> {
  const rows = await unfinished(db, app, env).where('started_at', 'is', null).select(['id', 'action', 'status', 'scope', 'trigger']).execute();
  return rows.map(waitingRow);
}

/** The column a deployment waiting in each status has set, and the index of such deployments names (migration 0026). */
const WAIT_COLUMNS = { AWAITING_APPROVAL: 'approval_expires_at', AWAITING_CHECKS: 'checks_next_at' } as const;

/**
 * Deployments waiting for approval or for checks, as the sweeps read them: the status, and what
 * the index of such deployments covers (its column set, no end), so that Postgres reads the
 * waiting ones through that index rather than the whole table.
 */
export const waitingIn =
  (status: keyof typeof WAIT_COLUMNS) =>
  (eb: ExpressionBuilder<Database, 'deployments'>) =>
    eb.and([eb('status', '=', status), eb(WAIT_COLUMNS[status], 'is not', null), eb('finished_at', 'is', null)]);

/** The deployments of an environment waiting for checks or approval (not in its queue), oldest first. */
export async function awaitingApproval(db: Db, app: string, env: string): Promise<WaitingRow[]> {
  const rows = await db
    .selectFrom('deployments')
    .select(['id', 'action', 'status', 'scope', 'trigger'])
    .where('app', '=', app)
    .where('env', '=', env)
    .where('status', 'in', ['AWAITING_CHECKS', 'AWAITING_APPROVAL'])
    .where('finished_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map(waitingRow);
}

/** Unfinished deployments of an environment, oldest first: started (running) or waiting. */
export async function unfinishedDeployments(
  db: Db,
  app: string,
  env: string,
): Promise<{ id: number; action: string; status: string; startedAt: Date | null; requestedBy: Person }[]> {
  const rows = await unfinished(db, app, env).select(['id', 'action', 'status', 'started_at', 'requested_by', 'requested_by_name']).execute();
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    status: r.status,
    startedAt: r.started_at ? new Date(r.started_at) : null,
    requestedBy: { id: r.requested_by, name: r.requested_by_name },
  }));
}

/** The ids of an environment's queue, oldest first: what runs, then what waits (what the dispatcher offers). */
export async function queueIds(db: Db, app: string, env: string): Promise<number[]> {
  return (await unfinished(db, app, env).select('id').execute()).map((r) => r.id);
}

/** Whether a deployment is over: finished, or not there at all. */
export async function isOver(db: Db, id: number): Promise<boolean> {
  const row = await db.selectFrom('deployments').select('finished_at').where('id', '=', id).executeTakeFirst();
  return row === undefined || row.finished_at !== null;
}

/** Tells the deployments waiting behind `afterId` that their place in the queue changed (an event each). */
export async function queueMoved(trx: Db, app: string, env: string, afterId: number): Promise<void> {
  const behind = await unfinished(trx, app, env)
    .where('started_at', 'is', null)
    .where('queue_order', '>', (eb) => eb.selectFrom('deployments').select('queue_order').where('id', '=', afterId))
    .select('id')
    .execute();
  await appendEvents(
    trx,
    behind.map(({ id }) => ({ kind: 'queue', deploymentId: id })),
  );
}

/**
 * Sets `values` on a deployment only while it waits (neither started nor finished): its
 * environment when it did, nothing when it no longer waits.
 */
export function updateWaiting(trx: Db, id: number, values: UpdateObject<Database, 'deployments'>) {
  return trx
    .updateTable('deployments')
    .set(values)
    .where('id', '=', id)
    .where('started_at', 'is', null)
    .where('finished_at', 'is', null)
    .returning(['app', 'env'])
    .executeTakeFirst();
}

/**
 * The common table expressions of a pick-up: `picked`, the deployment marked started (and, when
 * `fenced`, this process its executor with a new token) unless it started, finished or left the
 * queue, or `onlyIf` says no; and `moved`, a `queue` event for each one behind it (the statement's
 * snapshot still shows the picked one waiting; `queue_order >` leaves it out). The ones behind are
 * asked for by the picked one's environment and place as values, not by a join (which the planner
 * may make a scan of every queue when the statistics are thin): a range of the queue index.
 * `returning`: what `picked` gives the statement's select (with app, env and queue_order).
 */
export function pickingUp(id: number, options: { fenced: boolean; onlyIf?: RawBuilder<unknown>; returning: RawBuilder<unknown> }): RawBuilder<unknown> {
  const fencing = options.fenced ? sql`, fence = nextval('deployment_fence_seq'), heartbeat_at = now(), executor = ${executorName()}` : sql``;
  return sql`
    with picked as (
      update deployments set started_at = now()${fencing}
      where id = ${id} and started_at is null and finished_at is null and queue_order is not null${options.onlyIf === undefined ? sql`` : sql` and ${options.onlyIf}`}
      returning ${options.returning}
    ), moved as (
      insert into deployment_events (deployment_id, kind, app, env, payload)
      select d.id, 'queue', d.app, d.env, jsonb_build_object('kind', 'queue', 'deploymentId', d.id)
      from deployments d
      where d.app = (select app from picked) and d.env = (select env from picked)
        and d.finished_at is null and d.queue_order > (select queue_order from picked) and d.started_at is null
      order by d.queue_order, d.id
      returning id
    )`;
}

/**
 * A worker takes the deployment: it leaves the waiting queue (the ones behind
 * move up). `picked` the first time, `resumed` when it had started before (a
 * worker was lost), `gone` when it finished meanwhile (removed while it waited)
 * or is not in the queue (it waits for approval): then it must not run.
 *
 * `fenced`: the caller runs it now, and the same statement makes the caller its
 * executor (`takeFence`): `fence` is the token when picked.
 */
export async function pickUp(db: Db, id: number, options: { fenced?: boolean } = {}): Promise<{ outcome: 'picked' | 'resumed' | 'gone'; fence: number | null }> {
  const { rows } = await sql<{ picked: number; fence: string | null }>`
    ${pickingUp(id, { fenced: options.fenced === true, returning: sql`app, env, queue_order, fence` })}
    select (select count(*) from picked)::int as picked, (select fence from picked) as fence, (select count(*) from moved)::int as moved`.execute(db);
  const row = rows[0];
  if ((row?.picked ?? 0) > 0) return { outcome: 'picked', fence: options.fenced === true && row?.fence != null ? Number(row.fence) : null };
  const now = await db.selectFrom('deployments').select(['started_at', 'finished_at']).where('id', '=', id).executeTakeFirst();
  return { outcome: now && now.started_at !== null && now.finished_at === null ? 'resumed' : 'gone', fence: null };
}

/**
 * Removes a deployment that has not started: CANCELED with `reason`, services
 * too, one thread line, and the ones behind move up. False when it started or
 * finished meanwhile (a worker picking it up and this exclude each other).
 */
export async function cancelWaiting(db: Db, id: number, reason: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await updateWaiting(trx, id, { status: 'CANCELED', reason, finished_at: sql<Date>`now()` });
    if (!row) return false;
    await trx.updateTable('deployment_services').set({ status: 'CANCELED', reason }).where('deployment_id', '=', id).execute();
    await appendEvent(trx, { kind: 'status', deploymentId: id, status: 'CANCELED', service: null, reason });
    await queueMoved(trx, row.app, row.env, id);
    return true;
  });
}

/** A running deployment is asked to stop: CANCELING, with a thread line saying who asked. False when it is not running. */
export async function markCanceling(db: Db, id: number, reason: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('deployments')
      .set({ status: 'CANCELING' })
      .where('id', '=', id)
      .where('started_at', 'is not', null)
      .where('finished_at', 'is', null)
      .where('status', '!=', 'CANCELING')
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await appendEvent(trx, { kind: 'status', deploymentId: id, status: 'CANCELING', service: null, reason });
    return true;
  });
}

/** Records that `id` superseded `superseded` (a line in the newer one's thread). */
export async function recordSupersedes(db: Db, id: number, superseded: number): Promise<void> {
  await appendEvent(db, { kind: 'supersedes', deploymentId: id, superseded });
}
