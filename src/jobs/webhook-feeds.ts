import type { WebhookConfig } from '../config/hoist-config.ts';
import type { Deployment } from '../domain/deployment.ts';
import { deliveryExpired, type LoggedEvent } from '../domain/event-log.ts';
import { maskedUrl, webhookEventOf, webhookPayload, type WebhookPayload } from '../domain/webhook.ts';
import { attemptDelivery } from '../engine/webhooks/attempt.ts';
import type { SendWebhook } from '../engine/webhooks/sender.ts';
import { getDeployment } from '../store/deployments.ts';
import { forgetConsumers, startAtEnd } from '../store/event-cursors.ts';
import { openDelivery } from '../store/webhook-deliveries.ts';
import { createEventConsumer, type EventConsumer, type EventConsumerDeps } from './event-consumer.ts';

/** A delivery to try again later: the event consumer holds it (and its deployment's later events) and backs off. */
class DeliveryNotDone extends Error {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
    this.name = 'DeliveryNotDone';
  }
}

export interface WebhookFeedDeps extends EventConsumerDeps {
  webhooks: readonly WebhookConfig[];
  send: SendWebhook;
  /** Hoist's public URL (the payload links to the deployment's dashboard page); null: no link. */
  publicUrl: string | null;
  /** The payload with the deployment's secrets masked (its reason may quote one). */
  mask(deployment: Deployment, payload: WebhookPayload): Promise<WebhookPayload>;
}

/** A deployment's events keep their order; different deployments do not wait on each other. */
const byDeployment = (event: LoggedEvent) => `deployment:${event.deploymentId ?? `env:${event.app}/${event.env}`}`;

/** Whether the webhook hears of this app and environment. */
const covers = (hook: WebhookConfig, event: LoggedEvent) => event.app === hook.app && (hook.env === null || event.env === hook.env);

/**
 * What one webhook does with an entry of the log: nothing, unless it is a deployment event the
 * webhook subscribed to, for its app (and environment); then the delivery is made (once per
 * deployment and event, its id kept for every attempt) and sent. A receiver that may answer
 * better later (network error, 5xx, 429) makes it throw: the consumer tries again with back-off.
 */
export function webhookHandler(deps: WebhookFeedDeps, hook: WebhookConfig) {
  const now = deps.now ?? (() => new Date());
  return async (event: LoggedEvent): Promise<void> => {
    if (event.deploymentId === null || !covers(hook, event)) return;
    const mapped = webhookEventOf(event.entry);
    if (mapped === null || !hook.events.includes(mapped.event)) return;
    const deployment = await getDeployment(deps.db, event.deploymentId);
    if (deployment === null) return;
    const reason = event.entry.kind === 'status' ? event.entry.reason : null;
    const payload = (deliveryId: string) => webhookPayload({ ...mapped, reason, deliveryId, deployment, publicUrl: deps.publicUrl });
    const masked = await deps.mask(deployment, payload('-'));
    const opened = await openDelivery(deps.db, {
      webhook: hook.id,
      deploymentId: deployment.id,
      event: mapped.event,
      eventId: event.id,
      url: maskedUrl(hook.url),
      bodyFor: (id) => JSON.stringify({ ...masked, deliveryId: id }),
    });
    // Another line stood for this event already, or this one ended before (a crash after recording it).
    if (opened.kind === 'other' || opened.delivery.state !== 'pending') return;
    const { attempt, verdict } = await attemptDelivery({ ...deps, now }, opened.delivery, hook, { redelivery: false, lastChance: deliveryExpired(event.at, now()) });
    if (verdict.outcome === 'retry') throw new DeliveryNotDone(`${maskedUrl(hook.url)}: ${attempt.error ?? verdict.why}`, verdict.retryAfterMs);
  };
}

/**
 * Every configured webhook as a consumer of the event log of its own (`webhook:…`): its own
 * cursor, retries and failures, so a receiver that is down holds back only its own
 * deliveries, and never a deployment. A webhook seen for the first time starts at the log's
 * end: it is told of what happens from now on, not of the past.
 */
export function createWebhookFeeds(deps: WebhookFeedDeps) {
  const consumers: { hook: WebhookConfig; consumer: EventConsumer; handle: (event: LoggedEvent) => Promise<void> }[] = deps.webhooks.map((hook) => ({
    hook,
    consumer: createEventConsumer(deps, { name: hook.id, groupOf: byDeployment, startAt: 'end' }),
    handle: webhookHandler(deps, hook),
  }));
  return {
    /**
     * Gives each webhook seen for the first time its place at the log's end, before anything it
     * should hear of happens; a webhook gone from the configuration (removed, or its URL changed)
     * is forgotten, with what it still held, so that nothing counts it as pending.
     */
    ready: async () => {
      const gone = await forgetConsumers(deps.db, 'webhook:', consumers.map((c) => c.hook.id));
      if (gone.length > 0) deps.logger.info({ webhooks: gone }, 'webhooks no longer configured: their cursors and pending deliveries are dropped');
      for (const c of consumers) await startAtEnd(deps.db, c.hook.id);
    },
    start: () => {
      // Each webhook listens for the events signal on the shared connection: as many listeners as webhooks is by design, not a leak.
      const limit = deps.subscriber.getMaxListeners();
      if (limit > 0) deps.subscriber.setMaxListeners(limit + consumers.length);
      consumers.forEach((c) => c.consumer.start(c.handle));
    },
    wake: () => consumers.forEach((c) => c.consumer.wake()),
    /** One delivery pass of every webhook now (tests drive passes themselves). */
    pass: async () => {
      await Promise.all(consumers.map((c) => c.consumer.passWith(c.handle)));
    },
    close: async () => {
      await Promise.all(consumers.map((c) => c.consumer.close()));
    },
  };
}
