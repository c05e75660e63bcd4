import { sql } from 'kysely';
import { parseDeploymentSet, specOf, type DeploymentSet, type ServiceSpec } from '../domain/deployment-set.ts';
import type { Db } from './database.ts';
import { fenceToken, staleUnlessWritten } from './fence.ts';
import { parseJson } from './json-columns.ts';

/** Actions that apply a deployment set; stop and restart change no configuration. */
export const APPLYING_ACTIONS = ['deploy', 'redeploy', 'rollback'] as const;

/**
 * The deployment's set with the service's entry replaced by what was actually applied (appended
 * when the set has none), as an expression over the row's `deployment_set`. A set that is not
 * one (none recorded, or services that are not specs: an older version of Hoist) becomes a set
 * of this spec alone, as parseDeploymentSet would read it.
 */
export function withAppliedSpec(spec: ServiceSpec) {
  const entry = sql`cast(${JSON.stringify(spec)} as jsonb)`;
  const services = sql`deployment_set -> 'services'`;
  const usable = sql`jsonb_typeof(${services}) = 'array' and not exists (select 1 from jsonb_array_elements(${services}) as e(s) where jsonb_typeof(e.s) <> 'object')`;
  const present = sql`exists (select 1 from jsonb_array_elements(${services}) as e(s) where e.s ->> 'name' = ${spec.name})`;
  const replaced = sql`(select jsonb_agg(case when e.s ->> 'name' = ${spec.name} then ${entry} else e.s end order by e.n) from jsonb_array_elements(${services}) with ordinality as e(s, n))`;
  return sql<string>`case
    when ${usable} then jsonb_set(deployment_set, '{services}', case when ${present} then ${replaced} else ${services} || jsonb_build_array(${entry}) end)
    else jsonb_build_object('target', '', 'namespace', '', 'services', jsonb_build_array(${entry}))
  end`;
}

/** Records what was actually applied for a service in the deployment's set (withAppliedSpec), in one statement that checks the fence under one. */
export async function recordAppliedSpec(db: Db, deploymentId: number, spec: ServiceSpec): Promise<void> {
  const token = fenceToken(deploymentId);
  const rows = await db
    .updateTable('deployments')
    .set({ deployment_set: withAppliedSpec(spec) })
    .where('id', '=', deploymentId)
    .$if(token !== null, (q) => q.where('fence', '=', token))
    .returning('id')
    .execute();
  staleUnlessWritten(deploymentId, rows.length > 0);
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
