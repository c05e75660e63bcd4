import { sql } from 'kysely';
import type { DeploymentEvent, StoredEvent } from '../domain/deployment.ts';
import type { Db } from './database.ts';
import { parseJson } from './json-columns.ts';

export async function appendEvent(db: Db, event: DeploymentEvent): Promise<void> {
  await appendEvents(db, [event]);
}

/** Several events in one statement, in the order given. */
export async function appendEvents(db: Db, events: readonly DeploymentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await db
    .insertInto('deployment_events')
    .values(events.map((event) => ({ deployment_id: event.deploymentId, payload: JSON.stringify(event) })))
    .execute();
}

/** Undelivered events, oldest first. */
export async function pendingEvents(db: Db, limit = 200): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('deployment_events')
    .select(['id', 'deployment_id', 'payload', 'created_at'])
    .where('delivered_at', 'is', null)
    .orderBy('id')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    id: r.id,
    deploymentId: r.deployment_id,
    event: parseJson(r.payload) as DeploymentEvent,
    createdAt: new Date(r.created_at),
  }));
}

export async function markDelivered(db: Db, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  await db.updateTable('deployment_events').set({ delivered_at: sql<Date>`now()` }).where('id', 'in', ids).execute();
}
