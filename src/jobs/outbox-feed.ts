import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StoredEvent } from '../domain/deployment.ts';
import { markDelivered, pendingEvents } from '../store/events.ts';
import { createInOrderDelivery, type DeliveryFeed, type OutboxFeedDeps } from './in-order-delivery.ts';
import { redisKeys } from './redis.ts';
import type { RedisHealth } from './redis-health.ts';

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
export function createEventSignal(redis: Redis, prefix: string, logger: Logger, health: RedisHealth): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  return () => {
    // Unheard, the events still reach every process: each feed also polls the outbox.
    redis.publish(channel, '1').catch((error: unknown) => {
      if (!health.absorbs(error, 'event signal')) logger.warn({ err: error }, 'event signal failed');
    });
  };
}

/** Calls `onEvents` whenever any process (this one included) says new events were recorded; returns the unsubscribe. */
export function listenForEvents(subscriber: Redis, prefix: string, onEvents: () => void): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  const onMessage = (from: string) => {
    if (from === channel) onEvents();
  };
  // Subscribing twice to a channel (the outbox feed does too) is harmless; a reconnect resubscribes.
  void subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on('message', onMessage);
  return () => subscriber.off('message', onMessage);
}
