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
}

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
  }));
}

export async function putServiceState(
  db: Db,
  key: { app: string; env: string; service: string },
  state: { status: ServiceStatus; version?: string | null; image?: string | null; deploymentId: number },
): Promise<void> {
  await fencedWrite(db, state.deploymentId, (trx) => putState(trx, key, state));
}

async function putState(
  db: Db,
  key: { app: string; env: string; service: string },
  state: { status: ServiceStatus; version?: string | null; image?: string | null; deploymentId: number },
): Promise<void> {
  await db
    .insertInto('service_state')
    .values({
      ...key,
      status: state.status,
      version: state.version ?? null,
      image: state.image ?? null,
      deployment_id: state.deploymentId,
    })
    .onConflict((oc) =>
      oc.columns(['app', 'env', 'service']).doUpdateSet({
        status: state.status,
        ...(state.version !== undefined ? { version: state.version } : {}),
        ...(state.image !== undefined ? { image: state.image } : {}),
        deployment_id: state.deploymentId,
        updated_at: sql<Date>`now()`,
      }),
    )
    .execute();
}
