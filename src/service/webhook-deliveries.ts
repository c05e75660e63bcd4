import { allWebhooks, type HoistConfig } from '../config/hoist-config.ts';
import type { WebhookAttempt, WebhookDelivery } from '../domain/webhook.ts';
import { attemptDelivery } from '../engine/webhooks/attempt.ts';
import type { SendWebhook } from '../engine/webhooks/sender.ts';
import type { Db } from '../store/database.ts';
import { deliveriesOf, deliveryOf } from '../store/webhook-deliveries.ts';
import type { Refusal } from './contract.ts';
import { refuse } from './lookup.ts';
import { unlessDatabaseDown } from './outage.ts';

export type RedeliverResult = { ok: true; delivery: WebhookDelivery; attempt: WebhookAttempt } | Refusal;

/** A deployment's webhook deliveries: what each webhook was told, every attempt, and sending one again. */
export interface WebhookDeliveries {
  list(deploymentId: number): Promise<WebhookDelivery[]>;
  /** Sends a delivery again now (same id, same body, a fresh timestamp and signature header) and records the attempt. */
  redeliver(deploymentId: number, deliveryId: string): Promise<RedeliverResult>;
}

export function createWebhookDeliveries(deps: { db: Db; config: HoistConfig; send: SendWebhook; now?: () => Date }): WebhookDeliveries {
  const { db } = deps;
  return {
    list: (deploymentId) => deliveriesOf(db, deploymentId),
    async redeliver(deploymentId, deliveryId) {
      const delivery = await deliveryOf(db, deploymentId, deliveryId);
      if (delivery === null) {
        return refuse('NOT_FOUND', `#${deploymentId} has no webhook delivery ${deliveryId}; GET /api/v1/deployments/${deploymentId}/webhooks lists its deliveries and their ids`);
      }
      const hook = allWebhooks(deps.config).find((h) => h.id === delivery.webhook);
      if (hook === undefined) {
        return refuse('NOT_ALLOWED', `the webhook of delivery ${deliveryId} (${delivery.url}) is no longer in the configuration (removed, or its URL changed): there is no receiver or secret to send it with`);
      }
      return unlessDatabaseDown('redelivery', 'it may have been sent but was not recorded', async () => {
        const { attempt } = await attemptDelivery(deps, delivery, hook, { redelivery: true });
        return { ok: true as const, delivery: (await deliveryOf(db, deploymentId, deliveryId)) ?? delivery, attempt };
      });
    },
  };
}
