import type { z } from '@hono/zod-openapi';
import type { Deployment, DeploymentSummary } from '../domain/deployment.ts';
import type { EnvironmentLock, LockHistoryEntry } from '../domain/lock.ts';
import type { ApprovalView } from '../service/contract.ts';
import type { EnvironmentView } from '../service/views.ts';
import type { ApprovalsSchema, DeploymentSchema, DeploymentSummarySchema, EnvironmentSchema, LockSchema, LockStateSchema, RuleProgressSchema } from './api-schemas.ts';

/** The API's JSON for each thing it answers with: dates as ISO strings, nothing a client has no use for (chat origins). */

export function lockJson(lock: EnvironmentLock): z.infer<typeof LockSchema>;
export function lockJson(lock: EnvironmentLock | null): z.infer<typeof LockSchema> | null;
export function lockJson(lock: EnvironmentLock | null): z.infer<typeof LockSchema> | null {
  if (lock === null) return null;
  return {
    kind: lock.kind,
    owner: lock.owner,
    reason: lock.reason,
    since: lock.since.toISOString(),
    expiresAt: lock.expiresAt?.toISOString() ?? null,
  };
}

export function lockHistoryJson(entry: LockHistoryEntry): z.infer<typeof LockStateSchema>['history'][number] {
  return { action: entry.action, kind: entry.kind, owner: entry.owner, by: entry.actor, reason: entry.reason, at: entry.at.toISOString() };
}

export function deploymentSummaryJson(d: DeploymentSummary): z.infer<typeof DeploymentSummarySchema> {
  return {
    id: d.id,
    app: d.app,
    env: d.env,
    action: d.action,
    status: d.status,
    reason: d.reason,
    ref: d.ref,
    sha: d.sha,
    requestedBy: d.requestedBy,
    trigger: d.trigger,
    push: d.push ?? null,
    requestedAt: d.requestedAt.toISOString(),
    startedAt: d.startedAt?.toISOString() ?? null,
    finishedAt: d.finishedAt?.toISOString() ?? null,
  };
}

export function deploymentJson(d: Deployment): z.infer<typeof DeploymentSchema> {
  return {
    ...deploymentSummaryJson(d),
    checks: d.checks ?? null,
    changelog: d.changelog ?? null,
    services: d.services.map((s) => ({
      name: s.name,
      type: s.type,
      status: s.status,
      version: s.version,
      previousVersion: s.previousVersion,
      image: s.image,
      reason: s.reason,
    })),
  };
}

export function environmentJson(view: EnvironmentView): z.infer<typeof EnvironmentSchema> {
  return {
    app: view.app,
    env: view.env,
    target: view.target,
    production: view.production,
    autoDeploy: view.autoDeploy,
    commitBaseUrl: view.commitBaseUrl,
    status: view.status,
    services: view.services.map((s) => ({
      name: s.name,
      type: s.type,
      status: s.status,
      version: s.version,
      image: s.image,
      deploymentId: s.deploymentId,
      updatedAt: s.updatedAt?.toISOString() ?? null,
      commitUrl: s.commitUrl,
      running: s.running === null ? null : { state: s.running.state, ready: s.running.ready, desired: s.running.desired, restarts: s.running.restarts, reason: s.running.reason, since: s.running.since.toISOString() },
    })),
    queue: view.queue.map((q) => ({ id: q.id, action: q.action, status: q.status, position: q.position, requestedBy: q.requestedBy })),
    awaitingApproval: view.awaitingApproval.map((a) => ({
      id: a.id,
      action: a.action,
      requestedBy: a.requestedBy,
      requestedAt: a.requestedAt.toISOString(),
      expiresAt: a.expiresAt?.toISOString() ?? null,
    })),
    lock: lockJson(view.lock),
    eventId: view.eventId,
  };
}

export function rulesJson(view: Pick<ApprovalView, 'rules'>): z.infer<typeof RuleProgressSchema>[] {
  return view.rules.map((r) => ({ approvers: r.approvers, count: r.count, voters: r.voters, met: r.met }));
}

export function approvalsJson(view: ApprovalView): z.infer<typeof ApprovalsSchema> {
  return {
    deploymentId: view.deploymentId,
    status: view.status,
    required: view.required,
    approved: view.approved,
    selfApproval: view.selfApproval,
    expiresAt: view.expiresAt?.toISOString() ?? null,
    rules: rulesJson(view),
    history: view.history.map((h) => ({ ...h, at: h.at.toISOString() })),
  };
}
