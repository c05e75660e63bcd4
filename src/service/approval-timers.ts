import type { HoistConfig } from '../config/hoist-config.ts';
import { approversOf, nextReminderAt, whoMayApprove, type ApprovalPolicy } from '../domain/approval.ts';
import { durationText } from '../domain/duration.ts';
import { utcMinute } from '../domain/lock.ts';
import { claimExpired, claimReminders, nextApprovalDue, setNextReminder, type DueApproval } from '../store/approval-timers.ts';
import { endAwaiting, recordApprovalStep } from '../store/approvals.ts';
import type { Db } from '../store/database.ts';

export interface ApprovalTimerDeps {
  db: Db;
  config: HoistConfig;
  /** Tells subscribers that events were recorded. */
  notify(): void;
  /** The clock deadlines are counted by (the one requests are recorded with). */
  now?: () => Date;
}

/**
 * The timers of deployments waiting for approval (SPEC §5): one that nobody decided on
 * in time ends EXPIRED, said to its requester; until then its approvers are reminded in
 * its thread every `remindEvery`. The deadlines are rows in Postgres, so they outlive
 * every process; any number of processes may sweep, each expiry and reminder is taken once.
 */
export function createApprovalTimers(deps: ApprovalTimerDeps) {
  const { db, config } = deps;
  const clock = deps.now ?? (() => new Date());
  const policyOf = (d: Pick<DueApproval, 'app' | 'env'>): ApprovalPolicy | null => config.apps.get(d.app)?.environments.get(d.env)?.approval ?? null;
  const requesterOf = (d: DueApproval): string[] => (d.trigger === 'webhook' ? [] : [d.requestedBy.id]);

  async function expire(now: Date): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const due = await claimExpired(trx, now);
      for (const d of due) {
        const policy = policyOf(d);
        const reason = `nobody approved or rejected it ${policy === null ? `before ${utcMinute(d.expiresAt)}` : `within ${durationText(policy.timeoutMs)}`}`;
        await recordApprovalStep(trx, d.id, { step: 'expired', actor: null, edge: 'none', reason, sha: d.sha, setKey: d.setKey, to: requesterOf(d) });
        await endAwaiting(trx, d.id, 'EXPIRED', reason);
      }
      return due.length;
    });
  }

  async function remind(now: Date): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const due = await claimReminders(trx, now);
      for (const d of due) {
        const policy = policyOf(d);
        // hoist.yaml may have changed since it was asked: the reminders follow the configuration now.
        await setNextReminder(trx, d.id, policy === null ? null : nextReminderAt(d.remindAt ?? now, policy.remindEveryMs, now, d.expiresAt));
        if (policy === null) continue;
        const reason = `waiting for ${whoMayApprove(policy)}; it expires at ${utcMinute(d.expiresAt)}`;
        await recordApprovalStep(trx, d.id, { step: 'reminded', actor: null, edge: 'none', reason, sha: d.sha, setKey: d.setKey, to: approversOf(policy) });
      }
      return due.length;
    });
  }

  return {
    /** Expires and reminds what is due; the milliseconds until the next is due (null: nothing waits). */
    async sweep(): Promise<number | null> {
      const now = clock();
      const expired = await expire(now);
      const reminded = await remind(now);
      if (expired > 0 || reminded > 0) deps.notify();
      return nextApprovalDue(db, now);
    },
  };
}

export type ApprovalTimers = ReturnType<typeof createApprovalTimers>;
