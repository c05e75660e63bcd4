import type { Trigger } from '../domain/command.ts';
import type { Person } from '../domain/person.ts';
import type { Db } from './database.ts';
import { waitingIn } from './waiting-deployments.ts';

/** A deployment waiting for approval whose expiry or reminder is due. */
export interface DueApproval {
  id: number;
  app: string;
  env: string;
  sha: string | null;
  setKey: string | null;
  requestedBy: Person;
  trigger: Trigger;
  expiresAt: Date;
  remindAt: Date | null;
}

/**
 * Deployments waiting for approval, each row held until the transaction ends. Rows another
 * sweep holds are skipped, and a row it let go of no longer matches: whichever process
 * sweeps, each expiry and each reminder is claimed by one transaction.
 */
function claimAwaiting(trx: Db, limit: number) {
  return trx
    .selectFrom('deployments')
    .select(['id', 'app', 'env', 'sha', 'waiting_key', 'requested_by', 'requested_by_name', 'trigger', 'approval_expires_at', 'approval_remind_at'])
    .where(waitingIn('AWAITING_APPROVAL'))
    .orderBy('id')
    .limit(limit)
    .forUpdate()
    .skipLocked();
}

type Row = Awaited<ReturnType<ReturnType<typeof claimAwaiting>['execute']>>[number];

const due = (r: Row): DueApproval => ({
  id: r.id,
  app: r.app,
  env: r.env,
  sha: r.sha,
  setKey: r.waiting_key,
  requestedBy: { id: r.requested_by, name: r.requested_by_name },
  trigger: r.trigger as Trigger,
  expiresAt: new Date(r.approval_expires_at!),
  remindAt: r.approval_remind_at === null ? null : new Date(r.approval_remind_at),
});

/** Waiting deployments whose time ran out at `now`, claimed (see `claimAwaiting`). */
export async function claimExpired(trx: Db, now: Date, limit = 100): Promise<DueApproval[]> {
  const rows = await claimAwaiting(trx, limit).where('approval_expires_at', '<=', now).execute();
  return rows.map(due);
}

/** Waiting deployments whose approvers are due a reminder at `now` (and that have not expired), claimed. */
export async function claimReminders(trx: Db, now: Date, limit = 100): Promise<DueApproval[]> {
  const rows = await claimAwaiting(trx, limit).where('approval_remind_at', '<=', now).where('approval_expires_at', '>', now).execute();
  return rows.map(due);
}

/** When the approvers are reminded next; null: not again. */
export async function setNextReminder(trx: Db, id: number, at: Date | null): Promise<void> {
  await trx.updateTable('deployments').set({ approval_remind_at: at }).where('id', '=', id).where('status', '=', 'AWAITING_APPROVAL').execute();
}

/** Milliseconds from `now` until the next expiry or reminder of a waiting deployment (0: due); null when none waits. */
export async function nextApprovalDue(db: Db, now: Date): Promise<number | null> {
  const row = await db
    .selectFrom('deployments')
    .select((eb) => [eb.fn.min('approval_expires_at').as('expires'), eb.fn.min('approval_remind_at').as('remind')])
    .where(waitingIn('AWAITING_APPROVAL'))
    .executeTakeFirst();
  const times = [row?.expires, row?.remind].filter((t): t is NonNullable<typeof t> => t !== null && t !== undefined).map((t) => new Date(t).getTime());
  if (times.length === 0) return null;
  return Math.max(0, Math.min(...times) - now.getTime());
}
