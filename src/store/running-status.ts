import { sql } from 'kysely';
import type { RunningChange } from '../domain/event-log.ts';
import {
  announcementOf,
  judgeRunning,
  keepsRunning,
  type EnvironmentReading,
  type RunningState,
  type RunningStatus,
} from '../domain/running-status.ts';
import type { ServiceStatus } from '../domain/status.ts';
import type { Db } from './database.ts';
import { appendEnvironmentEntry } from './events.ts';

/**
 * Takes or keeps the following of a target: this process's when nobody holds it, when it
 * already does, or when the holder's lease has lapsed (it died, or stopped). The database's
 * clock decides, so processes on machines whose clocks differ agree.
 */
export async function claimRunningWatch(db: Db, target: string, holder: string, leaseMs: number): Promise<boolean> {
  const until = sql<Date>`now() + ${leaseMs} * interval '1 millisecond'`;
  const row = await db
    .insertInto('running_watches')
    .values({ target, holder, lease_until: until })
    .onConflict((oc) =>
      oc
        .column('target')
        .doUpdateSet({ holder, lease_until: until })
        .where((eb) => eb.or([eb('running_watches.holder', '=', holder), eb('running_watches.lease_until', '<', sql<Date>`now()`)])),
    )
    .returning(['holder'])
    .executeTakeFirst();
  return row !== undefined;
}

/** Lets the lease go at once (a clean stop): another process takes over at its next claim. */
export async function releaseRunningWatch(db: Db, target: string, holder: string): Promise<void> {
  await db.updateTable('running_watches').set({ lease_until: sql<Date>`now()` }).where('target', '=', target).where('holder', '=', holder).execute();
}

/** Who follows a target now (null: nobody has yet, or the lease lapsed). */
export async function runningWatchHolder(db: Db, target: string): Promise<string | null> {
  const row = await db.selectFrom('running_watches').select('holder').where('target', '=', target).where('lease_until', '>=', sql<Date>`now()`).executeTakeFirst();
  return row?.holder ?? null;
}

export interface ReadingScope {
  target: string;
  holder: string;
  app: string;
  env: string;
  /** The environment's services and their types, as hoist.yaml names them. */
  services: readonly { name: string; type: string }[];
  /** Where a fall and a recovery are told (null: nowhere). */
  channel: string | null;
}

/**
 * Records what the target said of an environment, if `holder` still follows the target: each
 * long-running service's status, and an entry in the event log for each change of state (told
 * in the chat when it is a fall after a successful deployment, or the recovery from one). In
 * one transaction with the service rows locked, so a fall is logged once however many
 * processes have followed the target. Returns the entries logged, or null when the lease is
 * not this holder's (another process follows the target: this reading does not count).
 */
export async function recordReading(db: Db, scope: ReadingScope, reading: EnvironmentReading): Promise<RunningChange[] | null> {
  return db.transaction().execute(async (trx) => {
    const lease = await trx
      .selectFrom('running_watches')
      .select('holder')
      .where('target', '=', scope.target)
      .where('holder', '=', scope.holder)
      .where('lease_until', '>=', sql<Date>`now()`)
      .forShare()
      .executeTakeFirst();
    if (lease === undefined) return null;
    const deployed = new Map(
      (await trx.selectFrom('service_state').select(['service', 'status']).where('app', '=', scope.app).where('env', '=', scope.env).execute()).map((r) => [r.service, r.status as ServiceStatus]),
    );
    const kept = new Map(
      (
        await trx
          .selectFrom('running_status')
          .select(['service', 'state', 'announced_down'])
          .where('app', '=', scope.app)
          .where('env', '=', scope.env)
          .forUpdate()
          .execute()
      ).map((r) => [r.service, { state: r.state as RunningState, announcedDown: r.announced_down }]),
    );
    const changes: RunningChange[] = [];
    for (const service of scope.services) {
      if (!keepsRunning(service.type)) continue;
      const deployment = deployed.get(service.name) ?? 'NEVER_DEPLOYED';
      const workload = reading.ok ? (reading.workloads.find((w) => w.service === service.name) ?? null) : { unreachable: reading.reason };
      const next = judgeRunning(workload, deployment);
      if (next === null) continue;
      const before = kept.get(service.name) ?? null;
      const { announce, announcedDown } = announcementOf(before, next, deployment);
      await putStatus(trx, scope, service.name, next, announcedDown, before?.state !== next.state);
      if (before?.state === next.state && announce === null) continue;
      const change: RunningChange = { kind: 'running', service: service.name, running: next, previous: before?.state ?? null, announce, channel: scope.channel };
      await appendEnvironmentEntry(trx, scope, change);
      changes.push(change);
    }
    return changes;
  });
}

async function putStatus(db: Db, scope: ReadingScope, service: string, status: RunningStatus, announcedDown: boolean, changed: boolean): Promise<void> {
  const fields = { state: status.state, ready: status.ready, desired: status.desired, restarts: status.restarts, reason: status.reason, announced_down: announcedDown, updated_at: sql<Date>`now()` };
  await db
    .insertInto('running_status')
    .values({ app: scope.app, env: scope.env, service, ...fields })
    .onConflict((oc) => oc.columns(['app', 'env', 'service']).doUpdateSet({ ...fields, ...(changed ? { since: sql<Date>`now()` } : {}) }))
    .execute();
}

export interface RunningRow extends RunningStatus {
  app: string;
  env: string;
  service: string;
  /** Since when it is in this state. */
  since: Date;
  updatedAt: Date;
}

/** A row's running status (from a query, or from JSON where timestamps are text). */
export function runningFromRow(r: { state: string; ready: number; desired: number; restarts: number; reason: string | null; since: Date | string }): RunningStatus & { since: Date } {
  return { state: r.state as RunningState, ready: r.ready, desired: r.desired, restarts: r.restarts, reason: r.reason, since: new Date(r.since) };
}

/** Every service's running status, or one environment's. */
export async function runningStatuses(db: Db, where: { app?: string; env?: string } = {}): Promise<RunningRow[]> {
  let query = db.selectFrom('running_status').selectAll();
  if (where.app !== undefined) query = query.where('app', '=', where.app);
  if (where.env !== undefined) query = query.where('env', '=', where.env);
  const rows = await query.orderBy('app').orderBy('env').orderBy('service').execute();
  return rows.map((r) => ({ app: r.app, env: r.env, service: r.service, ...runningFromRow(r), updatedAt: new Date(r.updated_at) }));
}
