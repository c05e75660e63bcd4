import type { Person } from '../domain/person.ts';
import type { Db } from './database.ts';

export interface DeploymentListFilter {
  app: string | null;
  env: string | null;
  statuses: string[] | null;
  /** Only deployments with a smaller id (the previous page's last one). */
  beforeId: number | null;
  limit: number;
}

export interface DeploymentListRow {
  id: number;
  app: string;
  env: string;
  action: string;
  status: string;
  reason: string | null;
  ref: string | null;
  sha: string | null;
  requestedBy: Person;
  trigger: string;
  requestedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** Deployments newest first, filtered; `more` says whether another page follows. */
export async function listDeployments(db: Db, filter: DeploymentListFilter): Promise<{ rows: DeploymentListRow[]; more: boolean }> {
  let query = db
    .selectFrom('deployments')
    .select(['id', 'app', 'env', 'action', 'status', 'reason', 'ref', 'sha', 'requested_by', 'requested_by_name', 'trigger', 'requested_at', 'started_at', 'finished_at']);
  if (filter.app !== null) query = query.where('app', '=', filter.app);
  if (filter.env !== null) query = query.where('env', '=', filter.env);
  if (filter.statuses !== null && filter.statuses.length > 0) query = query.where('status', 'in', filter.statuses);
  if (filter.beforeId !== null) query = query.where('id', '<', filter.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return {
    more: rows.length > filter.limit,
    rows: rows.slice(0, filter.limit).map((r) => ({
      id: r.id,
      app: r.app,
      env: r.env,
      action: r.action,
      status: r.status,
      reason: r.reason,
      ref: r.ref,
      sha: r.sha,
      requestedBy: { id: r.requested_by, name: r.requested_by_name },
      trigger: r.trigger,
      requestedAt: new Date(r.requested_at),
      startedAt: r.started_at ? new Date(r.started_at) : null,
      finishedAt: r.finished_at ? new Date(r.finished_at) : null,
    })),
  };
}

/** Whether any deployment was ever made for this app (or environment name). */
export async function hasDeployments(db: Db, column: 'app' | 'env', value: string): Promise<boolean> {
  const row = await db.selectFrom('deployments').select('id').where(column, '=', value).limit(1).executeTakeFirst();
  return row !== undefined;
}
