import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { WebhookAttempt, WebhookDelivery, WebhookEvent } from '../domain/webhook.ts';
import type { Db } from './database.ts';
import type { WebhookAttemptsTable, WebhookDeliveriesTable } from './schema.ts';

function toDelivery(row: Selectable<WebhookDeliveriesTable>, attempts: WebhookAttempt[]): WebhookDelivery {
  return {
    id: row.id,
    webhook: row.webhook,
    deploymentId: row.deployment_id,
    event: row.event as WebhookEvent,
    url: row.url,
    body: row.body,
    state: row.state,
    createdAt: new Date(row.created_at),
    attempts,
  };
}

function toAttempt(row: Selectable<WebhookAttemptsTable>): WebhookAttempt {
  return {
    at: new Date(row.attempted_at),
    statusCode: row.status_code,
    error: row.error,
    durationMs: row.duration_ms,
    outcome: row.outcome,
    redelivery: row.redelivery,
  };
}

async function withAttempts(db: Db, rows: Selectable<WebhookDeliveriesTable>[]): Promise<WebhookDelivery[]> {
  if (rows.length === 0) return [];
  const attempts = await db
    .selectFrom('webhook_attempts')
    .selectAll()
    .where(
      'delivery_id',
      'in',
      rows.map((r) => r.id),
    )
    .orderBy('id')
    .execute();
  return rows.map((row) => toDelivery(row, attempts.filter((a) => a.delivery_id === row.id).map(toAttempt)));
}

export type OpenedDelivery =
  /** This event's delivery: new, or made by an earlier try of the same event. */
  | { kind: 'this'; delivery: WebhookDelivery }
  /** Another line of the log already stood for this event of the deployment (a second service starting). */
  | { kind: 'other'; delivery: WebhookDelivery };

/**
 * The delivery of `event` (of the log line `eventId`) to `webhook`: made the first time,
 * with an id of its own and the body `bodyFor(id)`; the same one on every later try.
 */
export async function openDelivery(
  db: Db,
  input: { webhook: string; deploymentId: number; event: WebhookEvent; eventId: number; url: string; bodyFor(id: string): string },
): Promise<OpenedDelivery> {
  const find = () =>
    db.selectFrom('webhook_deliveries').selectAll().where('webhook', '=', input.webhook).where('deployment_id', '=', input.deploymentId).where('event', '=', input.event).executeTakeFirst();
  let row = await find();
  if (row === undefined) {
    const id = randomUUID();
    const values = { id, webhook: input.webhook, deployment_id: input.deploymentId, event: input.event, event_id: input.eventId, url: input.url, body: input.bodyFor(id) };
    // Two processes never deliver for one webhook at once (its leader key); the conflict is only a guard.
    await db.insertInto('webhook_deliveries').values(values).onConflict((oc) => oc.columns(['webhook', 'deployment_id', 'event']).doNothing()).execute();
    row = await find();
    if (row === undefined) throw new Error(`webhook delivery ${id} was not recorded`);
  }
  const [delivery] = await withAttempts(db, [row]);
  return { kind: row.event_id === input.eventId ? 'this' : 'other', delivery: delivery! };
}

/**
 * Records an attempt; the delivery's state follows it (a retry leaves it pending). A
 * redelivery that did not get through leaves the state as it was.
 */
export async function recordAttempt(db: Db, deliveryId: string, attempt: WebhookAttempt): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('webhook_attempts')
      .values({
        delivery_id: deliveryId,
        attempted_at: attempt.at,
        status_code: attempt.statusCode,
        error: attempt.error,
        duration_ms: Math.round(attempt.durationMs),
        outcome: attempt.outcome,
        redelivery: attempt.redelivery,
      })
      .execute();
    const state = attempt.outcome === 'delivered' ? 'delivered' : attempt.redelivery ? null : attempt.outcome === 'failed' ? 'failed' : 'pending';
    if (state !== null) await trx.updateTable('webhook_deliveries').set({ state }).where('id', '=', deliveryId).execute();
  });
}

/** A deployment's deliveries, oldest first, each with its attempts. */
export async function deliveriesOf(db: Db, deploymentId: number): Promise<WebhookDelivery[]> {
  const rows = await db.selectFrom('webhook_deliveries').selectAll().where('deployment_id', '=', deploymentId).orderBy('created_at').orderBy('id').execute();
  return withAttempts(db, rows);
}

/** One delivery of a deployment; null when it has none by that id. */
export async function deliveryOf(db: Db, deploymentId: number, deliveryId: string): Promise<WebhookDelivery | null> {
  const row = await db.selectFrom('webhook_deliveries').selectAll().where('deployment_id', '=', deploymentId).where('id', '=', deliveryId).executeTakeFirst();
  return row === undefined ? null : ((await withAttempts(db, [row]))[0] ?? null);
}
