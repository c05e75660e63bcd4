import { sql } from 'kysely';
import type { ApprovalEntry, ApprovalStep, Ballot } from '../domain/approval.ts';
import type { Person } from '../domain/person.ts';
import type { Db } from './database.ts';
import { appendEvent } from './events.ts';
import { parseJson } from './json-columns.ts';
import { nextQueueOrder, queueMoved } from './waiting-deployments.ts';

/** A step to record: the history line, and the event that tells the thread (addressed `to` whoever must hear of it). */
export type NewApprovalStep = Omit<ApprovalEntry, 'at'> & { to?: readonly string[] };

/**
 * Steps the thread does not hear of as an approval line: a refused vote is answered to the
 * voter alone, and a decision changes the status, whose own line tells it. An expiry has
 * nobody who decided, so its line tells the requester.
 */
const UNTOLD: ReadonlySet<ApprovalStep> = new Set(['refused', 'approved', 'rejected']);

/** Records one step of a deployment's approval and, for the thread, its event. */
export async function recordApprovalStep(db: Db, deploymentId: number, entry: NewApprovalStep): Promise<void> {
  await db
    .insertInto('approval_history')
    .values({
      deployment_id: deploymentId,
      step: entry.step,
      actor_id: entry.actor?.id ?? null,
      actor_name: entry.actor?.name ?? null,
      edge: entry.edge,
      reason: entry.reason,
      sha: entry.sha,
      set_key: entry.setKey,
    })
    .execute();
  if (UNTOLD.has(entry.step)) return;
  const to = entry.to === undefined || entry.to.length === 0 ? {} : { to: [...entry.to] };
  await appendEvent(db, { kind: 'approval', deploymentId, step: entry.step, actor: entry.actor, reason: entry.reason, ...to });
}

/** A deployment's approval history, oldest first. */
export async function approvalHistory(db: Db, deploymentId: number): Promise<ApprovalEntry[]> {
  const rows = await db.selectFrom('approval_history').selectAll().where('deployment_id', '=', deploymentId).orderBy('id').execute();
  return rows.map((r) => ({
    step: r.step as ApprovalStep,
    actor: r.actor_id === null ? null : { id: r.actor_id, name: r.actor_name ?? r.actor_id },
    edge: r.edge,
    reason: r.reason,
    sha: r.sha,
    setKey: r.set_key,
    at: new Date(r.at),
  }));
}

/** The votes counted for a deployment, in the order they were cast. */
export async function votesOf(db: Db, deploymentId: number): Promise<(Ballot & { at: Date })[]> {
  const rows = await db.selectFrom('approval_votes').selectAll().where('deployment_id', '=', deploymentId).orderBy('at').orderBy('voter_id').execute();
  return rows.map((r) => ({ voter: { id: r.voter_id, name: r.voter_name }, groups: parseJson(r.groups) as string[], at: new Date(r.at) }));
}

/**
 * A deployment waiting for approval, its row held until the transaction ends: votes
 * and decisions on one deployment take turns, so the last vote is counted once and
 * approval enqueues it once. Null when it does not wait for approval (any more).
 */
export async function holdAwaiting(trx: Db, deploymentId: number): Promise<{ sha: string | null; setKey: string | null } | null> {
  const row = await trx
    .selectFrom('deployments')
    .select(['status', 'sha', 'waiting_key'])
    .where('id', '=', deploymentId)
    .forUpdate()
    .executeTakeFirst();
  return row?.status === 'AWAITING_APPROVAL' ? { sha: row.sha, setKey: row.waiting_key } : null;
}

/** The deployment set a deployment waiting for approval stands for, as a key; null when it has none. */
export async function awaitingSetKey(db: Db, deploymentId: number): Promise<string | null> {
  const row = await db.selectFrom('deployments').select('waiting_key').where('id', '=', deploymentId).executeTakeFirst();
  return row?.waiting_key ?? null;
}

/** Counts `voter`'s vote; false when they had voted already (a person counts once). */
export async function castVote(trx: Db, deploymentId: number, ballot: Ballot): Promise<boolean> {
  const inserted = await trx
    .insertInto('approval_votes')
    .values({ deployment_id: deploymentId, voter_id: ballot.voter.id, voter_name: ballot.voter.name, groups: JSON.stringify(ballot.groups) })
    .onConflict((oc) => oc.doNothing())
    .returning('voter_id')
    .executeTakeFirst();
  return inserted !== undefined;
}

export async function hasVoted(db: Db, deploymentId: number, voterId: string): Promise<boolean> {
  const row = await db.selectFrom('approval_votes').select('voter_id').where('deployment_id', '=', deploymentId).where('voter_id', '=', voterId).executeTakeFirst();
  return row !== undefined;
}

/** Approval completed: the deployment joins its environment's queue now, behind what already waits there. */
export async function enterQueue(trx: Db, deploymentId: number, approvers: readonly Person[]): Promise<void> {
  const reason = `approved by ${approvers.map((p) => `@${p.name}`).join(', ')}`;
  await trx
    .updateTable('deployments')
    .set({ status: 'QUEUED', reason, queue_order: nextQueueOrder(), approval_expires_at: null, approval_remind_at: null })
    .where('id', '=', deploymentId)
    .where('status', '=', 'AWAITING_APPROVAL')
    .execute();
  await appendEvent(trx, { kind: 'status', deploymentId, status: 'QUEUED', service: null, reason });
}

/** Ends a deployment that waited for approval without running: REJECTED (or EXPIRED), its services CANCELED. */
export async function endAwaiting(trx: Db, deploymentId: number, status: 'REJECTED' | 'EXPIRED', reason: string): Promise<void> {
  await trx
    .updateTable('deployments')
    .set({ status, reason, finished_at: sql<Date>`now()`, approval_expires_at: null, approval_remind_at: null })
    .where('id', '=', deploymentId)
    .where('status', '=', 'AWAITING_APPROVAL')
    .execute();
  await trx.updateTable('deployment_services').set({ status: 'CANCELED', reason }).where('deployment_id', '=', deploymentId).execute();
  await appendEvent(trx, { kind: 'status', deploymentId, status, service: null, reason });
}

/** What a deployment asks approval for again, and why (its `reset` step). */
export interface AskAgain {
  /** What it would apply now: the deployment set, its key, and each service's version. */
  set: unknown;
  setKey: string;
  versions: ReadonlyMap<string, string | null>;
  step: NewApprovalStep;
  expiresAt: Date;
  remindAt: Date | null;
}

/**
 * What an approved deployment would apply changed before it started: its votes are discarded
 * and it waits for approval again (out of the queue; the ones behind move up), now for what it
 * would apply. False when it is no longer queued and unstarted (picked up or ended meanwhile).
 */
export async function askApprovalAgain(db: Db, deploymentId: number, again: AskAgain): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('deployments')
      .select(['app', 'env'])
      .where('id', '=', deploymentId)
      .where('status', '=', 'QUEUED')
      .where('started_at', 'is', null)
      .where('finished_at', 'is', null)
      .forUpdate()
      .executeTakeFirst();
    if (!row) return false;
    await queueMoved(trx, row.app, row.env, deploymentId);
    // Another deployment waiting to do exactly this keeps the key: an identical request joins that one.
    const taken = await trx
      .selectFrom('deployments')
      .select('id')
      .where('app', '=', row.app)
      .where('env', '=', row.env)
      .where('waiting_key', '=', again.setKey)
      .where('id', '!=', deploymentId)
      .where('started_at', 'is', null)
      .where('finished_at', 'is', null)
      .executeTakeFirst();
    const reason = `approval is asked again: ${again.step.reason ?? 'what it would run changed'}`;
    await trx
      .updateTable('deployments')
      .set({
        status: 'AWAITING_APPROVAL',
        reason,
        queue_order: null,
        deployment_set: JSON.stringify(again.set),
        waiting_key: taken ? null : again.setKey,
        approval_expires_at: again.expiresAt,
        approval_remind_at: again.remindAt,
      })
      .where('id', '=', deploymentId)
      .execute();
    for (const [name, version] of again.versions) {
      await trx.updateTable('deployment_services').set({ version }).where('deployment_id', '=', deploymentId).where('name', '=', name).execute();
    }
    await trx.deleteFrom('approval_votes').where('deployment_id', '=', deploymentId).execute();
    await recordApprovalStep(trx, deploymentId, again.step);
    await appendEvent(trx, { kind: 'status', deploymentId, status: 'AWAITING_APPROVAL', service: null, reason });
    return true;
  });
}

/** Whether the deployment runs by approval: the last step that decided how it may run was `approved` (not a bypass, nor none). */
export async function runsByApproval(db: Db, deploymentId: number): Promise<boolean> {
  const row = await db
    .selectFrom('approval_history')
    .select('step')
    .where('deployment_id', '=', deploymentId)
    .where('step', 'in', ['requested', 'approved', 'reset', 'bypassed'])
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.step === 'approved';
}
