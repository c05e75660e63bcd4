import { sql } from 'kysely';
import type { ServiceStatus } from '../domain/status.ts';
import type { Db } from './database.ts';
import { fencedWrite } from './fence.ts';

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
type RunState = { status: ServiceStatus; version?: string | null; image?: string | null; url?: string | null; deploymentId: number };

/** What runs now in an environment, as Hoist last left it. */
export async function serviceStates(db: Db, app: string, env: string): Promise<ServiceStateRow[]> {
  const rows = await db
    .selectFrom('service_state')
    .selectAll()
    .where('app', '=', app)
    .where('env', '=', env)
    .orderBy('service')
    .execute();
  return rows.map((r) => ({
    service: r.service,
    status: r.status as ServiceStatus,
    version: r.version,
    image: r.image,
    deploymentId: r.deployment_id,
    updatedAt: new Date(r.updated_at),
    url: r.url,
  }));
}

export async function putServiceState(
  db: Db,
  key: { app: string; env: string; service: string },
  state: RunState,
): Promise<void> {
  await fencedWrite(db, state.deploymentId, (trx) => putState(trx, key, state));
}

async function putState(
  db: Db,
  key: { app: string; env: string; service: string },
  state: RunState,
): Promise<void> {
  await db
    .insertInto('service_state')
    .values({
      ...key,
      status: state.status,
      version: state.version ?? null,
      image: state.image ?? null,
      url: state.url ?? null,
      deployment_id: state.deploymentId,
    })
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
    .execute();
}
