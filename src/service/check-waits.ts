import type { HoistConfig } from '../config/hoist-config.ts';
import { approvalDeadlines, approversOf, needsApproval } from '../domain/approval.ts';
import { failingText, judgeChecks, type ChecksVerdict } from '../domain/checks.ts';
import { durationText } from '../domain/duration.ts';
import type { CommitChecks } from '../engine/ports.ts';
import { checksChanged, checksPassed, claimDueChecks, claimTimedOutChecks, endWaitingForChecks, nextChecksDue, stillWaiting, type AfterChecks, type WaitingForChecks } from '../store/check-waits.ts';
import type { Db } from '../store/database.ts';
import { CHECKS_POLL_MS } from './check-gate.ts';
import { handOver } from './outage.ts';

export interface CheckWaitDeps {
  db: Db;
  config: HoistConfig;
  checks: CommitChecks;
  /** Tells subscribers that events were recorded. */
  notify(): void;
  /** Hands the environment's next deployment to a worker (a deployment whose checks passed joined its queue). */
  kick(app: string, env: string): Promise<void>;
  /** The clock deadlines and readings are counted by (tests move it). */
  now?: () => Date;
}

/**
 * Deployments waiting for their commit's CI checks (AWAITING_CHECKS): read again every 15 s,
 * or at once when a `check_run` or `status` webhook says they changed; green goes on as a
 * fresh request would (approval, or the queue), red ends CANCELED naming the failing checks,
 * and one still pending at its deadline ends CANCELED. Each reading and each expiry is
 * claimed in Postgres by one process, however many sweep.
 */
export function createCheckWaits(deps: CheckWaitDeps) {
  const { db, config } = deps;
  const clock = deps.now ?? (() => new Date());
  const envOf = (d: { app: string; env: string }) => config.apps.get(d.app)?.environments.get(d.env);

  async function expire(now: Date): Promise<number> {
    return db.transaction().execute(async (trx) => {
      const due = await claimTimedOutChecks(trx, now);
      let ended = 0;
      for (const d of due) {
        const timeout = envOf(d)?.checks?.timeoutMs;
        const reason = `checks still pending after ${timeout === undefined ? 'their deadline' : durationText(timeout)}`;
        if (await endWaitingForChecks(trx, d.id, 'timed-out', reason)) ended++;
      }
      return ended;
    });
  }

  /** What it does once its checks passed: approval (unless it went ahead without), else the queue. */
  function afterChecks(d: WaitingForChecks, now: Date): AfterChecks {
    const env = envOf(d);
    const policy = env?.approval ?? null;
    if (!needsApproval(policy, 'deploy') || d.record?.bypassedApproval === true) return { kind: 'queue' };
    const edge = d.trigger === 'webhook' ? 'webhook' : d.edge;
    const step = { step: 'requested', actor: d.requestedBy, edge, reason: null, sha: d.sha, setKey: d.setKey, to: approversOf(policy) } as const;
    return { kind: 'approval', ...approvalDeadlines(policy, now), step };
  }

  async function readOne(d: WaitingForChecks, now: Date): Promise<boolean> {
    const env = envOf(d);
    const app = config.apps.get(d.app);
    const record = d.record ?? { waitingFor: [], forced: null, bypassedApproval: false };
    // hoist.yaml no longer asks for checks here: it goes on as a request would now.
    let verdict: ChecksVerdict = { verdict: 'green' };
    if (env?.checks && app?.github && d.sha !== null) {
      const reading = await deps.checks.read(app.github, d.sha);
      verdict = reading.ok ? judgeChecks(env.checks.require, reading.checks) : { verdict: 'pending', waitingFor: record.waitingFor ?? [] };
    }
    switch (verdict.verdict) {
      case 'green': {
        const next = afterChecks(d, now);
        const passed = await checksPassed(db, d.id, record, env?.checks ? 'every required check passed' : 'hoist.yaml no longer asks for checks', next);
        if (passed && next.kind === 'queue') await handOver(deps.kick, d.app, d.env);
        return passed;
      }
      case 'red':
        return db.transaction().execute((trx) => endWaitingForChecks(trx, d.id, 'failed', `checks failed: ${failingText(verdict.failing)}`));
      case 'pending': {
        const same = JSON.stringify(verdict.waitingFor) === JSON.stringify(record.waitingFor);
        return same ? false : stillWaiting(db, d.id, { ...record, waitingFor: verdict.waitingFor });
      }
    }
  }

  return {
    /** Expires and reads what is due; the milliseconds until the next is due (null: nothing waits). */
    async sweep(): Promise<number | null> {
      const now = clock();
      let changed = (await expire(now)) > 0;
      for (const d of await claimDueChecks(db, now, new Date(now.getTime() + CHECKS_POLL_MS))) {
        if (await readOne(d, now)) changed = true;
      }
      if (changed) deps.notify();
      return nextChecksDue(db, now);
    },

    /** GitHub said the checks of `sha` in `repository` (`owner/repo`) changed: the deployments waiting for them are read next. */
    async commitChanged(repository: string, sha: string): Promise<number> {
      const apps = [...config.apps.values()].filter((a) => a.github !== null && `${a.github.owner}/${a.github.repo}`.toLowerCase() === repository.toLowerCase()).map((a) => a.name);
      const due = await checksChanged(db, sha, apps);
      // The sweeper of this process wakes on its writes; others look every second.
      if (due > 0) deps.notify();
      return due;
    },
  };
}

export type CheckWaits = ReturnType<typeof createCheckWaits>;
