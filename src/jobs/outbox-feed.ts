import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { StoredEvent } from '../domain/deployment.ts';
import type { Db } from '../store/database.ts';
import { markDelivered, pendingEvents } from '../store/events.ts';
import { createOutboxLoop } from './outbox-loop.ts';
import { redisKeys } from './redis.ts';

const MAX_ATTEMPTS = 8;

/**
 * Delivers the Postgres outbox to one subscriber: woken by a Redis message the moment
 * an event is recorded, and by a timer as a safety net. One process at a time delivers
 * (a Redis leader key), in order per deployment, deployments in parallel.
 */
export function createOutboxFeed(deps: {
  db: Db;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  logger: Logger;
  pollMs?: number;
}): { subscribe(handler: (event: StoredEvent) => Promise<void>): () => void; wake(): void; close(): Promise<void> } {
  const keys = redisKeys(deps.prefix);
  const attempts = new Map<number, number>();
  let handler: ((event: StoredEvent) => Promise<void>) | null = null;

  async function deliverGroup(events: StoredEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await handler?.(event);
      } catch (error) {
        const count = (attempts.get(event.id) ?? 0) + 1;
        attempts.set(event.id, count);
        if (count < MAX_ATTEMPTS) {
          deps.logger.warn({ err: error, eventId: event.id, deploymentId: event.deploymentId, attempt: count }, 'event delivery failed; will retry');
          return; // keep this deployment's order: later events wait
        }
        deps.logger.error({ err: error, eventId: event.id, deploymentId: event.deploymentId }, 'event delivery failed for good; dropping it');
      }
      attempts.delete(event.id);
      await markDelivered(deps.db, [event.id]);
    }
  }

  async function drainOnce(): Promise<void> {
    if (!handler) return;
    const events = await pendingEvents(deps.db);
    const groups = new Map<number, StoredEvent[]>();
    for (const event of events) {
      const list = groups.get(event.deploymentId) ?? [];
      list.push(event);
      groups.set(event.deploymentId, list);
    }
    await Promise.all([...groups.values()].map(deliverGroup));
  }

  const loop = createOutboxLoop({ ...deps, leaderKey: keys.outboxLeader, what: 'outbox', drain: drainOnce });

  return {
    subscribe(h) {
      handler = h;
      loop.start();
      return () => {
        handler = null;
        loop.stop();
      };
    },
    wake: loop.wake,
    close: loop.close,
  };
}

/** Tells every process that new events are in the outbox. */
export function createEventSignal(redis: Redis, prefix: string, logger: Logger): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  return () => {
    redis.publish(channel, '1').catch((error: unknown) => logger.warn({ err: error }, 'event signal failed'));
  };
}
