import { sql, type Selectable } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import type { ActionVerb, Trigger } from '../domain/command.ts';
import type { Deployment, DeploymentEvent, DeploymentService, DeploymentSummary, EnvironmentShows } from '../domain/deployment.ts';
import { parseDeploymentSet, type ServiceSpec } from '../domain/deployment-set.ts';
import type { PushRecord } from '../domain/push.ts';
import type { Changelog } from '../domain/changelog.ts';
import type { ChecksRecord } from '../domain/checks.ts';
import type { ServiceType } from '../domain/service-order.ts';
import type { DeploymentStatus, ServiceStatus } from '../domain/status.ts';
import type { Db } from './database.ts';
import { appendEvent } from './events.ts';
import { fencedWrite, fenceToken, staleUnlessWritten } from './fence.ts';
import { parseJson, readChatOrigin } from './json-columns.ts';
import type { DeploymentServicesTable, DeploymentsTable } from './schema.ts';
import { serviceStateUpsert, type ServiceStateWrite } from './service-state.ts';
import { insertDeployment as insertRow, insertUnlessLocked as insertRowUnlessLocked, type Inserted, type NewDeployment } from './deployment-insert.ts';
import { withAppliedSpec } from './deployment-sets.ts';

export type { NewDeployment } from './deployment-insert.ts';

/**
 * Records a deployment (see deployment-insert.ts); one recorded in one statement comes back as
 * `recorded`: the deployment as `getDeployment` would read it, and its environment's queue then.
 */
export async function insertDeployment(db: Db, input: NewDeployment): Promise<InsertedDeployment> {
  return withDeployment(await insertRow(db, input));
}

/** `insertDeployment` for a request that has not read its environment: null when a lock is in force (see deployment-insert.ts). */
export async function insertDeploymentUnlessLocked(db: Db, input: NewDeployment): Promise<InsertedDeployment | null> {
  const inserted = await insertRowUnlessLocked(db, input);
  return inserted === null ? null : withDeployment(inserted);
}

export type InsertedDeployment = Omit<Inserted, 'recorded'> & { recorded?: { deployment: Deployment; queue: number[] } };

function withDeployment({ recorded, ...inserted }: Inserted): InsertedDeployment {
  return recorded === undefined ? inserted : { ...inserted, recorded: { deployment: toDeployment(recorded.row), queue: recorded.queue } };
}

/** The columns a `DeploymentSummary` is read from. */
export const SUMMARY_COLUMNS = [
  'id',
  'app',
  'env',
  'action',
  'status',
  'reason',
  'ref',
  'sha',
  'requested_by',
  'requested_by_name',
  'trigger',
  'push',
  'requested_at',
  'started_at',
  'finished_at',
] as const;

export function deploymentSummary(row: Pick<Selectable<DeploymentsTable>, (typeof SUMMARY_COLUMNS)[number]>): DeploymentSummary {
  return {
    id: row.id,
    app: row.app,
    env: row.env,
    action: row.action as ActionVerb,
    status: row.status as DeploymentStatus,
    reason: row.reason,
    ref: row.ref,
    sha: row.sha,
    requestedBy: { id: row.requested_by, name: row.requested_by_name },
    trigger: row.trigger as Trigger,
    push: (parseJson(row.push) as PushRecord | null) ?? null,
    requestedAt: new Date(row.requested_at),
    startedAt: row.started_at ? new Date(row.started_at) : null,
    finishedAt: row.finished_at ? new Date(row.finished_at) : null,
  };
}

type ServiceRow = Pick<Selectable<DeploymentServicesTable>, 'name' | 'type' | 'status' | 'version' | 'previous_version' | 'image' | 'reason'>;

/** Deployments with their services, in one statement (each row carries its services in order). */
export function deploymentsWithServices(db: Db) {
  return db
    .selectFrom('deployments')
    .selectAll('deployments')
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom('deployment_services as s')
          .select(['s.name', 's.type', 's.status', 's.version', 's.previous_version', 's.image', 's.reason'])
          .whereRef('s.deployment_id', '=', 'deployments.id')
          .orderBy('s.position'),
      ).as('service_rows'),
    );
}

export function toDeployment(row: Selectable<DeploymentsTable> & { service_rows: unknown }): Deployment {
  return {
    ...deploymentSummary(row),
    chat: readChatOrigin(row.chat),
    deploymentSet: parseDeploymentSet(parseJson(row.deployment_set)),
    scope: parseJson(row.scope) as string[] | null,
    changelog: (parseJson(row.changelog) as Changelog | null) ?? null,
    checks: (parseJson(row.checks) as ChecksRecord | null) ?? null,
    services: (parseJson(row.service_rows) as ServiceRow[]).map(
      (s): DeploymentService => ({
        name: s.name,
        type: s.type as ServiceType,
        status: s.status as ServiceStatus,
        version: s.version,
        previousVersion: s.previous_version,
        image: s.image,
        reason: s.reason,
      }),
    ),
  };
}

export async function getDeployment(db: Db, id: number): Promise<Deployment | null> {
  const row = await deploymentsWithServices(db).where('deployments.id', '=', id).executeTakeFirst();
  return row ? toDeployment(row) : null;
}

/** Several deployments in one statement, by id (the ones that do not exist are left out). */
export async function getDeployments(db: Db, ids: readonly number[]): Promise<Map<number, Deployment>> {
  if (ids.length === 0) return new Map();
  const rows = await deploymentsWithServices(db).where('deployments.id', 'in', [...ids]).execute();
  return new Map(rows.map((row) => [row.id, toDeployment(row)]));
}

export async function getDeploymentSet(db: Db, id: number): Promise<unknown> {
  const row = await db.selectFrom('deployments').select('deployment_set').where('id', '=', id).executeTakeFirst();
  return row ? parseJson(row.deployment_set) : null;
}

/** Each environment's oldest unfinished deployment in its queue (running or next), in one statement: what the reconciler offers. */
export async function queueHeads(db: Db): Promise<{ app: string; env: string; id: number }[]> {
  return db
    .selectFrom('deployments')
    .select(['app', 'env', 'id'])
    .distinctOn(['app', 'env'])
    .where('finished_at', 'is', null)
    .where('queue_order', 'is not', null)
    .orderBy('app')
    .orderBy('env')
    .orderBy('queue_order')
    .orderBy('id')
    .execute();
}

/** Environments with a deployment in their queue (waiting or running). */
export async function environmentsWithActiveDeployments(db: Db): Promise<{ app: string; env: string }[]> {
  return db
    .selectFrom('deployments')
    .select(['app', 'env'])
    .where('finished_at', 'is', null)
    .where('queue_order', 'is not', null)
    .groupBy(['app', 'env'])
    .execute();
}

export interface StatusChange {
  status: DeploymentStatus;
  reason?: string | null;
  started?: boolean;
  finished?: boolean;
  /** Also record an event (a thread line) for this change. */
  announce?: boolean;
}

/** A value as a jsonb parameter (typed: a bare parameter in a select would be text). */
const jsonb = (value: unknown) => sql<string>`cast(${JSON.stringify(value)} as jsonb)`;

/** The thread line of a status change: of the deployment (`service` null) or of one of its services. */
function statusEvent(id: number, service: string | null, change: { status: DeploymentStatus; reason?: string | null; environment?: EnvironmentShows }): DeploymentEvent {
  const shows = change.environment === undefined ? {} : { environment: change.environment };
  return { kind: 'status', deploymentId: id, status: change.status, service, reason: change.reason ?? null, ...shows };
}

/**
 * The deployment's status, and its thread line when `announce`, in one statement: under a fence
 * the update itself checks the token (and locks the row), so a stale executor changes nothing.
 */
export async function setDeploymentStatus(db: Db, id: number, change: StatusChange): Promise<void> {
  const token = fenceToken(id);
  const updated = (qc: Db) =>
    qc
      .updateTable('deployments')
      .set({
        status: change.status,
        ...(change.reason !== undefined ? { reason: change.reason } : {}),
        ...(change.started ? { started_at: sql<Date>`coalesce(started_at, now())` } : {}),
        ...(change.finished ? { finished_at: sql<Date>`now()` } : {}),
      })
      .where('id', '=', id)
      .$if(token !== null, (q) => q.where('fence', '=', token))
      .returning(['id', 'app', 'env']);
  if (!change.announce) {
    staleUnlessWritten(id, (await updated(db).execute()).length > 0);
    return;
  }
  const rows = await db
    .with('d', (qc) => updated(qc as unknown as Db))
    .insertInto('deployment_events')
    .columns(['deployment_id', 'kind', 'app', 'env', 'payload'])
    .expression((eb) => eb.selectFrom('d').select(['d.id', eb.val('status').as('kind'), 'd.app', 'd.env', jsonb(statusEvent(id, null, change)).as('payload')]))
    .returning('id')
    .execute();
  staleUnlessWritten(id, rows.length > 0);
}

export interface ServiceChange {
  status: ServiceStatus;
  reason?: string | null;
  version?: string | null;
  image?: string | null;
  /** Where the service answers publicly once DEPLOYED (kept in the environment's state, not on the deployment's row). */
  url?: string | null;
  /** What the environment shows for the service after this change, told in the event (absent: unchanged). */
  environment?: EnvironmentShows;
}

/** What a step of a run changes on the deployment's own row, with its service's status. */
export interface DeploymentStep {
  /** The deployment's status (it started, if it had not). */
  status?: DeploymentStatus;
  /** What was actually applied for the service, kept in the deployment's set (deployment-sets.ts). */
  appliedSpec?: ServiceSpec;
  /** The run ends with this step: the deployment's final status and reason, recorded and announced (after the service's line) in the same statement. */
  ends?: { status: DeploymentStatus; reason: string | null };
}

/**
 * A service's status and its thread line, in one statement that checks the fence (locking the
 * deployment's row) under one. With `also`, the same statement records what the environment
 * runs for the service (`state`: a view never sees one without the other) and what the step
 * changes on the deployment's row (`deployment`).
 */
export async function setServiceStatus(
  db: Db,
  id: number,
  service: string,
  change: ServiceChange,
  also: { state?: ServiceStateWrite; deployment?: DeploymentStep } = {},
): Promise<void> {
  const token = fenceToken(id);
  const step = also.deployment;
  const withRow = db.with('d', (qc) =>
      step === undefined
        ? qc
            .selectFrom('deployments')
            .select(['id', 'app', 'env'])
            .where('id', '=', id)
            .$if(token !== null, (q) => q.where('fence', '=', token).forUpdate())
        : qc
            .updateTable('deployments')
            .set({
              ...(step.status !== undefined ? { status: step.status, started_at: sql<Date>`coalesce(started_at, now())` } : {}),
              ...(step.appliedSpec !== undefined ? { deployment_set: withAppliedSpec(step.appliedSpec) } : {}),
              ...(step.ends !== undefined ? { status: step.ends.status, reason: step.ends.reason, finished_at: sql<Date>`now()` } : {}),
            })
            .where('id', '=', id)
            .$if(token !== null, (q) => q.where('fence', '=', token))
            .returning(['id', 'app', 'env']),
    );
  const { state } = also;
  const withState = state === undefined ? withRow : (withRow.with('state', (qc) => serviceStateUpsert(qc as unknown as Db, state, 'd')) as unknown as typeof withRow);
  const rows = await withState
    .with('u', (qc) =>
      qc
        .updateTable('deployment_services')
        .set({
          status: change.status,
          ...(change.reason !== undefined ? { reason: change.reason } : {}),
          ...(change.version !== undefined ? { version: change.version } : {}),
          ...(change.image !== undefined ? { image: change.image } : {}),
        })
        .where('deployment_id', 'in', (eb) => eb.selectFrom('d').select('d.id'))
        .where('name', '=', service)
        .returning('deployment_id'),
    )
    .insertInto('deployment_events')
    .columns(['deployment_id', 'kind', 'app', 'env', 'payload'])
    .expression(
      // The service's line, then (when the step ends the run) the deployment's: ids in that order.
      sql`select d.id, 'status', d.app, d.env, line.payload
          from d cross join jsonb_array_elements(${JSON.stringify(statusLines(id, service, change, step?.ends))}::jsonb) with ordinality as line(payload, n)
          order by line.n`,
    )
    .returning('id')
    .execute();
  staleUnlessWritten(id, rows.length > 0);
}

/** The thread lines of a service's step: its own, and the deployment's when the step ends the run. */
function statusLines(id: number, service: string, change: ServiceChange, ends: DeploymentStep['ends']): DeploymentEvent[] {
  const own = statusEvent(id, service, change);
  return ends === undefined ? [own] : [own, statusEvent(id, null, ends)];
}

export async function recordEvent(db: Db, event: DeploymentEvent): Promise<void> {
  await fencedWrite(db, event.deploymentId, (trx) => appendEvent(trx, event));
}

/** Keeps what a deployment changes and tells whoever shows it (the card). */
export async function saveChangelog(db: Db, id: number, changelog: Changelog): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('deployments').set({ changelog: JSON.stringify(changelog) }).where('id', '=', id).execute();
    await appendEvent(trx, { kind: 'changelog', deploymentId: id });
  });
}
