import { sql } from 'kysely';
import { waitingText, type ChecksRecord } from '../domain/checks.ts';
import type { ChecksStep } from '../domain/deployment.ts';
import type { Person } from '../domain/person.ts';
import { recordApprovalStep, type NewApprovalStep } from './approvals.ts';
import type { Db } from './database.ts';
import { appendEvent } from './events.ts';
import { parseJson, readChatOrigin } from './json-columns.ts';
import { nextQueueOrder, waitingIn } from './waiting-deployments.ts';

/** A deployment waiting for its commit's checks, claimed for one reading. */
export interface WaitingForChecks {
  id: number;
  app: string;
  env: string;
  sha: string | null;
  record: ChecksRecord | null;
  deadline: Date;
  requestedBy: Person;
  trigger: string;
  /** Where it was requested from (the chat's kind), as an approval step records it. */
  edge: string;
  /** Its waiting key: the deployment set an approval would be for. */
  setKey: string | null;
}

type Row = {
  id: number;
  app: string;
  env: string;
  sha: string | null;
  checks: unknown;
  checks_deadline: Date | string | null;
  requested_by: string;
  requested_by_name: string;
  trigger: string;
  chat: unknown;
  waiting_key: string | null;
};

const COLUMNS = ['id', 'app', 'env', 'sha', 'checks', 'checks_deadline', 'requested_by', 'requested_by_name', 'trigger', 'chat', 'waiting_key'] as const;

const waiting = (r: Row): WaitingForChecks => ({
  id: r.id,
  app: r.app,
  env: r.env,
  sha: r.sha,
  record: (parseJson(r.checks) as ChecksRecord | null) ?? null,
  deadline: new Date(r.checks_deadline ?? 0),
  requestedBy: { id: r.requested_by, name: r.requested_by_name },
  trigger: r.trigger,
  edge: readChatOrigin(r.chat).kind,
  setKey: r.waiting_key,
});

/**
 * Deployments whose checks are due to be read at `now` (and not past their deadline), each
 * claimed by moving its next reading to `nextAt` in the statement that finds it: rows another
 * sweep holds are skipped, and a claimed row is not due again until then. Whichever process
 * sweeps, each reading is taken by one.
 */
export async function claimDueChecks(db: Db, now: Date, nextAt: Date, limit = 50): Promise<WaitingForChecks[]> {
  const rows = await db
    .updateTable('deployments')
    .set({ checks_next_at: nextAt })
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('deployments')
        .select('id')
        .where(waitingIn('AWAITING_CHECKS'))
        .where('checks_next_at', '<=', now)
        .where('checks_deadline', '>', now)
        .orderBy('checks_next_at')
        .limit(limit)
        .forUpdate()
        .skipLocked(),
    )
    .returning([...COLUMNS])
    .execute();
  return rows.map(waiting);
}

/** Waiting deployments past their deadline at `now`, each row held until the transaction ends (skipped when another sweep holds it). */
export async function claimTimedOutChecks(trx: Db, now: Date, limit = 100): Promise<WaitingForChecks[]> {
  const rows = await trx
    .selectFrom('deployments')
    .select([...COLUMNS])
    .where(waitingIn('AWAITING_CHECKS'))
    .where('checks_deadline', '<=', now)
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked()
    .execute();
  return rows.map(waiting);
}

/** A waiting deployment's checks are read again now: a `check_run` or `status` webhook said they changed. The number brought forward. */
export async function checksChanged(db: Db, sha: string, apps: readonly string[]): Promise<number> {
  if (apps.length === 0) return 0;
  const rows = await db
    .updateTable('deployments')
    .set({ checks_next_at: sql<Date>`now()` })
    .where(waitingIn('AWAITING_CHECKS'))
    .where('sha', '=', sha)
    .where('app', 'in', apps)
    .returning('id')
    .execute();
  return rows.length;
}

/** Milliseconds from `now` until the next reading or deadline of a waiting deployment (0: due); null when none waits. */
export async function nextChecksDue(db: Db, now: Date): Promise<number | null> {
  const row = await db
    .selectFrom('deployments')
    .select((eb) => [eb.fn.min('checks_next_at').as('next'), eb.fn.min('checks_deadline').as('deadline')])
    .where(waitingIn('AWAITING_CHECKS'))
    .executeTakeFirst();
  const times = [row?.next, row?.deadline].filter((t): t is NonNullable<typeof t> => t !== null && t !== undefined).map((t) => new Date(t).getTime());
  if (times.length === 0) return null;
  return Math.max(0, Math.min(...times) - now.getTime());
}

/** Still waiting, now for other checks: the card and the record say which. False when it no longer waits. */
export async function stillWaiting(db: Db, id: number, record: ChecksRecord): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const reason = `waiting for CI: ${waitingText(record.waitingFor ?? [])}`;
    const row = await trx
      .updateTable('deployments')
      .set({ checks: JSON.stringify(record), reason })
      .where('id', '=', id)
      .where('status', '=', 'AWAITING_CHECKS')
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await appendEvent(trx, { kind: 'status', deploymentId: id, status: 'AWAITING_CHECKS', service: null, reason });
    return true;
  });
}

/** What a deployment whose checks passed does next: ask for approval (from now), or join its environment's queue. */
export type AfterChecks = { kind: 'queue' } | { kind: 'approval'; expiresAt: Date; remindAt: Date | null; step: NewApprovalStep };

/**
 * Its checks passed: it goes on exactly as a fresh request would, to approval or to the queue
 * (behind whatever joined before). False when it no longer waits for checks (canceled meanwhile).
 */
export async function checksPassed(db: Db, id: number, record: ChecksRecord, passed: string, next: AfterChecks): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const status = next.kind === 'queue' ? 'QUEUED' : 'AWAITING_APPROVAL';
    const row = await trx
      .updateTable('deployments')
      .set({
        status,
        reason: null,
        checks: JSON.stringify({ ...record, waitingFor: null }),
        checks_deadline: null,
        checks_next_at: null,
        ...(next.kind === 'queue' ? { queue_order: nextQueueOrder() } : { approval_expires_at: next.expiresAt, approval_remind_at: next.remindAt }),
      })
      .where('id', '=', id)
      .where('status', '=', 'AWAITING_CHECKS')
      .returning('id')
      .executeTakeFirst();
    if (!row) return false;
    await appendEvent(trx, { kind: 'checks', deploymentId: id, step: 'passed', actor: null, reason: passed });
    if (next.kind === 'approval') await recordApprovalStep(trx, id, next.step);
    await appendEvent(trx, { kind: 'status', deploymentId: id, status, service: null, reason: null });
    return true;
  });
}

/** It waited for checks in vain (they failed, or its time ran out): CANCELED with `reason`, services too. False when it no longer waits. */
export async function endWaitingForChecks(trx: Db, id: number, step: Extract<ChecksStep, 'failed' | 'timed-out'>, reason: string): Promise<boolean> {
  const row = await trx
    .updateTable('deployments')
    .set({ status: 'CANCELED', reason, finished_at: sql<Date>`now()`, checks_deadline: null, checks_next_at: null })
    .where('id', '=', id)
    .where('status', '=', 'AWAITING_CHECKS')
    .returning('id')
    .executeTakeFirst();
  if (!row) return false;
  await trx.updateTable('deployment_services').set({ status: 'CANCELED', reason }).where('deployment_id', '=', id).execute();
  await appendEvent(trx, { kind: 'checks', deploymentId: id, step, actor: null, reason });
  await appendEvent(trx, { kind: 'status', deploymentId: id, status: 'CANCELED', service: null, reason });
  return true;
}
