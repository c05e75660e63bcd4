import { sql, type RawBuilder, type Selectable } from 'kysely';
import type { ActionVerb, Trigger } from '../domain/command.ts';
import type { ChatOrigin } from '../domain/deployment.ts';
import type { Person } from '../domain/person.ts';
import type { PushRecord } from '../domain/push.ts';
import { forcedText, waitingText, type ChecksRecord } from '../domain/checks.ts';
import type { ServiceType } from '../domain/service-order.ts';
import type { DeploymentStatus } from '../domain/status.ts';
import type { Db } from './database.ts';
import type { DeploymentsTable } from './schema.ts';
import { appendEvent } from './events.ts';
import { recordApprovalStep } from './approvals.ts';
import { nextQueueOrder } from './waiting-deployments.ts';

export interface NewDeployment {
  app: string;
  env: string;
  action: ActionVerb;
  ref: string | null;
  sha: string | null;
  scope: string[] | null;
  requestedBy: Person;
  trigger: Trigger;
  /** The push that requested it. */
  push?: PushRecord | null;
  chat: ChatOrigin;
  requestKey: string | null;
  services: { name: string; type: ServiceType; version: string | null; previousVersion: string | null }[];
  deploymentSet: unknown;
  /** rollback: the deployment whose set it applies, and the one it replaces. */
  rollback?: { to: number; from: number | null };
  /** What it would do, while it waits: an identical request with the same key joins it rather than queue another. */
  waitingKey?: string | null;
  /** It waits for approval until then (AWAITING_APPROVAL, not in the queue); absent: it joins the queue now (QUEUED). */
  awaitsApprovalUntil?: Date;
  /** While it waits for approval: when its approvers are first reminded (absent or null: never). */
  approvalRemindAt?: Date | null;
  /** It would wait for approval, and its requester (a `bypass` member) went ahead without: why, and the set it was for. */
  bypassedApproval?: { reason: string; setKey: string };
  /** It waits for its commit's CI checks (AWAITING_CHECKS, not in the queue, no approval asked yet): until when, when they are read next, which. */
  awaitsChecks?: { until: Date; nextAt: Date; waitingFor: string[] };
  /** What it records of its checks (forced past them, what it waits for). */
  checks?: ChecksRecord | null;
}

/** The status a deployment is recorded with: waiting for checks, for approval, or in the queue. */
function firstStatus(input: NewDeployment): DeploymentStatus {
  if (input.awaitsChecks) return 'AWAITING_CHECKS';
  return input.awaitsApprovalUntil ? 'AWAITING_APPROVAL' : 'QUEUED';
}

/** What recording a request did: a new deployment (with the status it has), or the one recorded before for it. */
export interface Inserted {
  id: number;
  /** The same request was recorded before: its deployment. */
  duplicate: boolean;
  /** An identical deployment waits already: that one. */
  coalesced: boolean;
  /** The new deployment's status; null when it is one recorded before (read it). */
  status: DeploymentStatus | null;
  /**
   * A new deployment recorded in one statement: its row as recorded (with its services, as
   * `getDeployment` reads them), and its environment's queue then, oldest first (itself last,
   * when it joined the queue).
   */
  recorded?: { row: Selectable<DeploymentsTable> & { service_rows: unknown }; queue: number[] };
}

/**
 * Records a deployment (QUEUED, AWAITING_CHECKS or AWAITING_APPROVAL) with its services and its
 * `requested` event (and approval step) at once. A request key seen before returns the
 * deployment it created (`duplicate`); a `waitingKey` that a deployment still waiting in the
 * environment has returns that one instead (`coalesced`). The usual request (no forced checks,
 * no approval step to record) is one statement after the environment's arrival lock.
 */
export async function insertDeployment(db: Db, input: NewDeployment): Promise<Inserted> {
  if (recordsMore(input)) return insertInTransaction(db, input);
  return insertInOneStatement(db, input, false);
}

/**
 * `insertDeployment` for a request that has not read its environment: recorded only while no
 * lock is in force there (checked after the arrival lock), each service's previous version
 * read by the insert from what runs there (service_state). Null when nothing was recorded: a
 * lock is in force, or the request records more than one statement does (an approval step, a
 * forced check); the caller then reads the environment and checks its lock as for any request.
 */
export async function insertUnlessLocked(db: Db, input: NewDeployment): Promise<Inserted | null> {
  if (recordsMore(input)) return null;
  try {
    return await insertInOneStatement(db, input, true);
  } catch (error) {
    if (isLockInForce(error)) return null;
    throw error;
  }
}

/** What `arrival_id_unless_locked` answers when a lock is in force (migration 0025). */
const LOCK_IN_FORCE = 'HL423';
const isLockInForce = (error: unknown): boolean => typeof error === 'object' && error !== null && (error as { code?: unknown }).code === LOCK_IN_FORCE;

/** A request that records an approval step or a forced check with its deployment: a transaction. */
function recordsMore(input: NewDeployment): boolean {
  const approvalStep = (input.awaitsApprovalUntil !== undefined && !input.awaitsChecks) || input.bypassedApproval !== undefined;
  return (input.checks?.forced ?? null) !== null || approvalStep;
}

/**
 * Requests to one environment are recorded one at a time, in a transaction that holds this lock
 * until it commits: so a later request's id and queue order are drawn after an earlier one's
 * are committed and seen. Drawn concurrently, a request that drew the smaller id could commit
 * after one that drew a larger id had already started, and run after it: out of arrival order.
 * The usual request takes it in its one statement (migration 0023's `arrival_id`); this is for
 * the transaction of a request that records more.
 */
async function arrivalLock(trx: Db, where: { app: string; env: string }): Promise<void> {
  await sql`select pg_advisory_xact_lock(${sql.lit(ARRIVAL_LOCK)}, hashtext(${`${where.app}/${where.env}`}))`.execute(trx);
}

/** The key space of the per-environment arrival locks (the event log's lock is another). */
const ARRIVAL_LOCK = 7310407;

/**
 * The usual request in one statement: its parts are common table expressions of it. It takes
 * the environment's arrival lock as it draws its id (`arrival_id`), holds it until it commits,
 * and reads the queue ahead of it after the lock (`arrival_queue_before`: see migration 0023).
 * `unlessLocked`: see insertUnlessLocked (the services' previous versions given are not used).
 */
async function insertInOneStatement(db: Db, input: NewDeployment, unlessLocked: boolean): Promise<Inserted> {
  const services = serviceRows(input);
  const requested = JSON.stringify(requestedEntry(input));
  const row = {
    ...deploymentRow(input),
    id: unlessLocked ? sql<number>`arrival_id_unless_locked(${input.app}, ${input.env})` : sql<number>`arrival_id(${input.app}, ${input.env})`,
    queue_order: firstStatus(input) === 'QUEUED' ? sql<string>`arrival_queue_order(${input.app}, ${input.env})` : null,
  };
  const inserted = await db
    .with('d', (q) => q.insertInto('deployments').values(row).onConflict((oc) => oc.doNothing()).returningAll())
    .with('s', (q) =>
      q
        .insertInto('deployment_services')
        .columns(['deployment_id', 'name', 'type', 'position', 'status', 'version', 'previous_version'])
        .expression(
          sql`select d.id, v.name, v.type, v.position, 'QUEUED', v.version, ${unlessLocked ? sql`(select st.version from service_state st where st.app = d.app and st.env = d.env and st.service = v.name)` : sql`v.previous_version`}
              from d cross join jsonb_to_recordset(${JSON.stringify(services)}::jsonb) as v(name text, type text, position int, version text, previous_version text)`,
        )
        .returning(['name', 'type', 'position', 'status', 'version', 'previous_version', 'image', 'reason']),
    )
    .with('e', (q) =>
      q
        .insertInto('deployment_events')
        .columns(['deployment_id', 'kind', 'app', 'env', 'payload'])
        .expression(sql`select d.id, 'requested', d.app, d.env, ${requested}::jsonb || jsonb_build_object('deploymentId', d.id) from d`),
    )
    .selectFrom('d')
    .selectAll('d')
    .select(serviceRowsJson(sql`s`).as('service_rows'))
    // The queue as it is once the lock is held, without the new deployment, which comes last:
    // whatever joined the queue before it took a smaller queue_order.
    .select(sql<number[]>`arrival_queue_before(d.app, d.env, d.id)`.as('queue_before'))
    .executeTakeFirst();
  if (inserted) {
    const { queue_before: before, ...row } = inserted;
    const queue = row.queue_order === null ? before : [...before, row.id];
    return { id: row.id, duplicate: false, coalesced: false, status: firstStatus(input), recorded: { row, queue } };
  }
  // Either key may be taken by a concurrent request (or one before): the request key, or the waiting key.
  const winner = await conflictWinner(db, input);
  return { id: winner.id, duplicate: !winner.coalesced, coalesced: winner.coalesced, status: null };
}

/**
 * A deployment's services as json, in order, as `service_rows` carries them (toDeployment reads
 * them, in deployments.ts): `rows` names deployment_services rows (or rows of that shape) as `s`.
 */
export const serviceRowsJson = (rows: RawBuilder<unknown>) =>
  sql<unknown>`(select coalesce(json_agg(json_build_object('name', s.name, 'type', s.type, 'status', s.status, 'version', s.version, 'previous_version', s.previous_version, 'image', s.image, 'reason', s.reason) order by s.position), '[]'::json) from ${rows})`;

/** A new deployment's services as their rows say them (without the deployment's id). */
function serviceRows(input: NewDeployment) {
  return input.services.map((s, position) => ({ name: s.name, type: s.type, position, version: s.version, previous_version: s.previousVersion }));
}

/** Its `requested` event, but for the deployment's id (which the insert gives). */
function requestedEntry(input: NewDeployment) {
  return { kind: 'requested' as const, action: input.action, status: firstStatus(input), requestedBy: input.requestedBy, trigger: input.trigger, sha: input.sha };
}

/** The deployments row of a new deployment. */
function deploymentRow(input: NewDeployment) {
  return {
    app: input.app,
    env: input.env,
    action: input.action,
    status: firstStatus(input),
    reason: input.awaitsChecks ? `waiting for CI: ${waitingText(input.awaitsChecks.waitingFor)}` : null,
    queue_order: firstStatus(input) === 'QUEUED' ? nextQueueOrder() : null,
    approval_expires_at: input.awaitsApprovalUntil ?? null,
    approval_remind_at: input.awaitsApprovalUntil ? (input.approvalRemindAt ?? null) : null,
    ref: input.ref,
    sha: input.sha,
    scope: input.scope ? JSON.stringify(input.scope) : null,
    requested_by: input.requestedBy.id,
    requested_by_name: input.requestedBy.name,
    trigger: input.trigger,
    push: input.push ? JSON.stringify(input.push) : null,
    chat: JSON.stringify(input.chat),
    request_key: input.requestKey,
    deployment_set: JSON.stringify(input.deploymentSet ?? null),
    rollback_to: input.rollback?.to ?? null,
    rollback_from: input.rollback?.from ?? null,
    waiting_key: input.waitingKey ?? null,
    checks: input.checks ? JSON.stringify(input.checks) : null,
    checks_deadline: input.awaitsChecks?.until ?? null,
    checks_next_at: input.awaitsChecks?.nextAt ?? null,
  };
}

/** The deployment, its services, its `requested` event and what else it records (a forced check, an approval step), in one transaction. */
async function insertInTransaction(db: Db, input: NewDeployment): Promise<Inserted> {
  return db.transaction().execute(async (trx) => {
    await arrivalLock(trx, input);
    const inserted = await trx
      .insertInto('deployments')
      .values(deploymentRow(input))
      // Either key may be taken by a concurrent request: the request key, or the waiting key.
      .onConflict((oc) => oc.doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted) {
      const winner = await conflictWinner(trx, input);
      return { id: winner.id, duplicate: !winner.coalesced, coalesced: winner.coalesced, status: null };
    }
    if (input.services.length > 0) {
      await trx
        .insertInto('deployment_services')
        .values(
          serviceRows(input).map((row) => ({ ...row, deployment_id: inserted.id, status: 'QUEUED', image: null, reason: null })),
        )
        .execute();
    }
    await appendEvent(trx, { ...requestedEntry(input), deploymentId: inserted.id });
    const forced = input.checks?.forced ?? null;
    if (forced !== null) await appendEvent(trx, { kind: 'checks', deploymentId: inserted.id, step: 'forced', actor: forced.by, reason: forcedText(forced) });
    const edge = input.trigger === 'webhook' ? 'webhook' : input.chat.kind;
    if (input.awaitsApprovalUntil && !input.awaitsChecks) {
      const step = { step: 'requested', actor: input.requestedBy, edge, reason: null, sha: input.sha, setKey: input.waitingKey ?? null } as const;
      await recordApprovalStep(trx, inserted.id, step);
    } else if (input.bypassedApproval) {
      const { reason, setKey } = input.bypassedApproval;
      await recordApprovalStep(trx, inserted.id, { step: 'bypassed', actor: input.requestedBy, edge, reason, sha: input.sha, setKey });
    }
    return { id: inserted.id, duplicate: false, coalesced: false, status: firstStatus(input) };
  });
}

/** The deployment a concurrent request recorded first: the same request, or an identical one still waiting. */
async function conflictWinner(trx: Db, input: NewDeployment): Promise<{ id: number; coalesced: boolean }> {
  if (input.requestKey) {
    const same = await trx.selectFrom('deployments').select('id').where('request_key', '=', input.requestKey).executeTakeFirst();
    if (same) return { id: same.id, coalesced: false };
  }
  const waiting = await trx
    .selectFrom('deployments')
    .select('id')
    .where('app', '=', input.app)
    .where('env', '=', input.env)
    .where('waiting_key', '=', input.waitingKey ?? '')
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  return { id: waiting.id, coalesced: true };
}

