import { sql } from 'kysely';
import type { ServiceStatus } from '../domain/status.ts';
import type { Db } from './database.ts';
import { fenceToken, staleUnlessWritten } from './fence.ts';

export interface ServiceStateRow {
  service: string;
  status: ServiceStatus;
  version: string | null;
  image: string | null;
  deploymentId: number | null;
  updatedAt: Date;
  /** Where the version it runs answers publicly; null: not exposed (or not known). */
  url: string | null;
}

/** A service's status, and (when it changed) what it runs and where that answers. */
export type RunState = { status: ServiceStatus; version?: string | null; image?: string | null; url?: string | null; deploymentId: number };

/** What runs now in an environment, as Hoist last left it. */
export async function serviceStates(db: Db, app: string, env: string): Promise<ServiceStateRow[]> {
  const rows = await db
    .selectFrom('service_state')
    .selectAll()
    .where('app', '=', app)
    .where('env', '=', env)
    .orderBy('service')
    .execute();
  return rows.map(toStateRow);
}

/** A stored service state; its time as a Date, or as text where it was read through json. */
export function toStateRow(r: { service: string; status: string; version: string | null; image: string | null; deployment_id: number | null; updated_at: Date | string; url: string | null }): ServiceStateRow {
  return {
    service: r.service,
    status: r.status as ServiceStatus,
    version: r.version,
    image: r.image,
    deploymentId: r.deployment_id,
    updatedAt: new Date(r.updated_at),
    url: r.url,
  };
}

/** Where a service runs, and what it runs there now (see putServiceState). */
export interface ServiceStateWrite {
  key: { app: string; env: string; service: string };
  state: RunState;
}

/**
 * The upsert of a service's state, unexecuted. `from`: where the deployment's row comes from:
 * its own read (under the deployment's fence the row is written only while the token holds,
 * the deployment's row locked by the same statement), or `d`, a row the statement it is part of
 * has already checked and locked (deployments.ts setServiceStatus).
 */
export function serviceStateUpsert(db: Db, { key, state }: ServiceStateWrite, from: 'own-read' | 'd' = 'own-read') {
  const token = fenceToken(state.deploymentId);
  const values = [key.app, key.env, key.service, state.status, state.version ?? null, state.image ?? null, state.url ?? null].map((v) => sql`cast(${v} as text)`);
  return db
    .insertInto('service_state')
    .columns(['app', 'env', 'service', 'status', 'version', 'image', 'url', 'deployment_id'])
    .expression((eb) =>
      from === 'd'
        ? sql`select ${sql.join(values)}, d.id from d`
        : eb
            .selectFrom('deployments')
            .select([...values.map((v, i) => v.as(`v${i}`)), 'id'])
            .where('id', '=', state.deploymentId)
            .$if(token !== null, (q) => q.where('fence', '=', token).forUpdate()),
    )
    .onConflict((oc) =>
      oc.columns(['app', 'env', 'service']).doUpdateSet({
        status: state.status,
        ...(state.version !== undefined ? { version: state.version } : {}),
        ...(state.image !== undefined ? { image: state.image } : {}),
        ...(state.url !== undefined ? { url: state.url } : {}),
        deployment_id: state.deploymentId,
        updated_at: sql<Date>`now()`,
      }),
    )
    .returning('service');
}

/** Records what runs now for a service, in one statement (see serviceStateUpsert). */
export async function putServiceState(db: Db, key: ServiceStateWrite['key'], state: RunState): Promise<void> {
  const rows = await serviceStateUpsert(db, { key, state }).execute();
  staleUnlessWritten(state.deploymentId, rows.length > 0);
}
