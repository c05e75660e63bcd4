import { parseDeploymentSet, specOf, type DeploymentSet, type ServiceSpec } from '../domain/deployment-set.ts';
import type { Db } from './database.ts';
import { fenceToken, staleUnlessWritten } from './fence.ts';
import { parseJson } from './json-columns.ts';

/** Actions that apply a deployment set; stop and restart change no configuration. */
export const APPLYING_ACTIONS = ['deploy', 'redeploy', 'rollback'] as const;

/** Replaces the service's entry in the deployment's set with what was actually applied. */
export async function recordAppliedSpec(db: Db, deploymentId: number, spec: ServiceSpec): Promise<void> {
  const token = fenceToken(deploymentId);
  await db.transaction().execute(async (trx) => {
    // The fence is checked by the read that locks the row.
    const row = await trx
      .selectFrom('deployments')
      .select('deployment_set')
      .where('id', '=', deploymentId)
      .$if(token !== null, (q) => q.where('fence', '=', token))
      .forUpdate()
      .executeTakeFirst();
    staleUnlessWritten(deploymentId, row !== undefined);
    if (!row) return;
    const set: DeploymentSet = parseDeploymentSet(parseJson(row.deployment_set)) ?? { target: '', namespace: '', services: [] };
    const services = set.services.some((s) => s.name === spec.name)
      ? set.services.map((s) => (s.name === spec.name ? spec : s))
      : [...set.services, spec];
    await trx
      .updateTable('deployments')
      .set({ deployment_set: JSON.stringify({ ...set, services }) })
      .where('id', '=', deploymentId)
      .execute();
  });
}

export interface AppliedSpec {
  deploymentId: number;
  /** null when that deployment recorded no usable set (an older version of Hoist). */
  spec: ServiceSpec | null;
}

/**
 * The last deployment (before `beforeId`, when given) that applied the service successfully, and
 * what it applied; null when none did, or a destroy removed the service since (it starts afresh).
 */
export async function lastAppliedSpec(
  db: Db,
  where: { app: string; env: string; service: string; beforeId?: number },
): Promise<AppliedSpec | null> {
  let query = db
    .selectFrom('deployment_services as s')
    .innerJoin('deployments as d', 'd.id', 's.deployment_id')
    .select(['d.id', 'd.action', 'd.deployment_set'])
    .where('s.name', '=', where.service)
    .where('d.app', '=', where.app)
    .where('d.env', '=', where.env)
    .where((eb) =>
      eb.or([
        eb.and([eb('s.status', '=', 'DEPLOYED'), eb('d.action', 'in', APPLYING_ACTIONS)]),
        eb.and([eb('s.status', '=', 'DESTROYED'), eb('d.action', '=', 'destroy')]),
      ]),
    )
    .orderBy('d.id', 'desc')
    .limit(1);
  if (where.beforeId !== undefined) query = query.where('d.id', '<', where.beforeId);
  const row = await query.executeTakeFirst();
  if (!row || row.action === 'destroy') return null;
  return { deploymentId: row.id, spec: specOf(parseDeploymentSet(parseJson(row.deployment_set)), where.service) };
}

export interface SuccessfulDeployment {
  id: number;
  action: string;
  /** The services it applied successfully. */
  applied: string[];
  set: DeploymentSet | null;
}

/** The environment's deployments that applied something successfully, newest first. */
export async function successfulDeployments(db: Db, app: string, env: string, limit = 100): Promise<SuccessfulDeployment[]> {
  const rows = await db
    .selectFrom('deployments')
    .select(['id', 'action', 'deployment_set'])
    .where('app', '=', app)
    .where('env', '=', env)
    .where('action', 'in', APPLYING_ACTIONS)
    .where('status', '=', 'DEPLOYED')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  if (rows.length === 0) return [];
  const services = await db
    .selectFrom('deployment_services')
    .select(['deployment_id', 'name'])
    .where(
      'deployment_id',
      'in',
      rows.map((r) => r.id),
    )
    .where('status', '=', 'DEPLOYED')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    action: r.action,
    applied: services.filter((s) => s.deployment_id === r.id).map((s) => s.name),
    set: parseDeploymentSet(parseJson(r.deployment_set)),
  }));
}

/** For a rollback: the deployment it goes back to and the one it leaves. */
export async function rollbackOf(db: Db, deploymentId: number): Promise<{ to: number | null; from: number | null }> {
  const row = await db
    .selectFrom('deployments')
    .select(['rollback_to', 'rollback_from'])
    .where('id', '=', deploymentId)
    .executeTakeFirst();
  return { to: row?.rollback_to ?? null, from: row?.rollback_from ?? null };
}
