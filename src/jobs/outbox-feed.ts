import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StoredEvent } from '../domain/deployment.ts';
import { markDelivered, pendingEvents } from '../store/events.ts';
import { createInOrderDelivery, type DeliveryFeed, type OutboxFeedDeps } from './in-order-delivery.ts';
import { redisKeys } from './redis.ts';

/**
 * Delivers the Postgres outbox to one subscriber: woken by a Redis message the moment
 * an event is recorded, and by a timer as a safety net. One process at a time delivers
 * (a Redis leader key), in order per deployment, deployments in parallel.
 */
export function createOutboxFeed(deps: OutboxFeedDeps): DeliveryFeed<StoredEvent> {
  return createInOrderDelivery<StoredEvent>(deps, {
    leaderKey: redisKeys(deps.prefix).outboxLeader,
    names: { outbox: 'outbox', item: 'event' },
    groupOf: (event) => event.deploymentId,
    logFields: (event) => ({ eventId: event.id, deploymentId: event.deploymentId }),
    pending: () => pendingEvents(deps.db),
    markDelivered: (id) => markDelivered(deps.db, [id]),
  });
}

/** Tells every process that new events are in the outbox. */
export function createEventSignal(redis: Redis, prefix: string, logger: Logger): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  return () => {
    redis.publish(channel, '1').catch((error: unknown) => logger.warn({ err: error }, 'event signal failed'));
  };
}
