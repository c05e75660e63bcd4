import type { DeploymentEvent } from '../../src/domain/deployment.ts';
import type { EnvironmentNotice } from '../../src/domain/lock.ts';
import type { Db } from '../../src/store/database.ts';
import { eventsAfterCursor, moveCursor } from '../../src/store/event-cursors.ts';

/** The deployment events the chat has yet to deliver, oldest first. */
export async function pendingEvents(db: Db, limit = 1_000): Promise<{ id: number; position: number; deploymentId: number; event: DeploymentEvent }[]> {
  const { events } = await eventsAfterCursor(db, 'chat', { limit });
  return events.flatMap((e) => (e.entry.kind === 'notice' || e.entry.kind === 'lock' || e.entry.kind === 'running' ? [] : [{ id: e.id, position: e.position, deploymentId: e.entry.deploymentId, event: e.entry }]));
}

/** The lock notices the chat has yet to deliver, oldest first. */
export async function pendingNotices(db: Db): Promise<{ id: number; position: number; notice: EnvironmentNotice }[]> {
  const { events } = await eventsAfterCursor(db, 'chat', { limit: 10_000 });
  return events.flatMap((e) => (e.entry.kind === 'notice' ? [{ id: e.id, position: e.position, notice: e.entry.notice }] : []));
}

/** The chat has delivered everything up to `position`. */
export function deliveredUpTo(db: Db, position: number): Promise<void> {
  return moveCursor(db, 'chat', position);
}
