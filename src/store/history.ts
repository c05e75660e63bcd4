import type { DeploymentSummary } from '../domain/deployment.ts';
import type { Db } from './database.ts';
import { deploymentSummary, SUMMARY_COLUMNS } from './deployments.ts';

export interface DeploymentListFilter {
  app: string | null;
  env: string | null;
  statuses: string[] | null;
  /** Any of these actions (deploy, redeploy, …). */
  actions?: string[] | null;
  /** Only deployments with a smaller id (the previous page's last one). */
  beforeId: number | null;
  limit: number;
}

/** Deployments newest first, filtered; `more` says whether another page follows. */
export async function listDeployments(db: Db, filter: DeploymentListFilter): Promise<{ rows: DeploymentSummary[]; more: boolean }> {
  let query = db.selectFrom('deployments').select(SUMMARY_COLUMNS);
  if (filter.app !== null) query = query.where('app', '=', filter.app);
  if (filter.env !== null) query = query.where('env', '=', filter.env);
  if (filter.statuses !== null && filter.statuses.length > 0) query = query.where('status', 'in', filter.statuses);
  if (filter.actions != null && filter.actions.length > 0) query = query.where('action', 'in', filter.actions);
  if (filter.beforeId !== null) query = query.where('id', '<', filter.beforeId);
  const rows = await query.orderBy('id', 'desc').limit(filter.limit + 1).execute();
  return {
    more: rows.length > filter.limit,
    rows: rows.slice(0, filter.limit).map(deploymentSummary),
  };
}

/** Whether any deployment was ever made for this app (or environment name). */
export async function hasDeployments(db: Db, column: 'app' | 'env', value: string): Promise<boolean> {
  const row = await db.selectFrom('deployments').select('id').where(column, '=', value).limit(1).executeTakeFirst();
  return row !== undefined;
}
