import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { EventFeed, StoredEvent } from '../service/feeds.ts';
import type { Db } from '../store/database.ts';
import { markDelivered, pendingEvents } from '../store/events.ts';
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
}): EventFeed & { wake(): void; close(): Promise<void> } {
  const keys = redisKeys(deps.prefix);
  const me = randomUUID();
  const attempts = new Map<number, number>();
  let handler: ((event: StoredEvent) => Promise<void>) | null = null;
  let draining: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let closed = false;

  async function isLeader(): Promise<boolean> {
    const ttl = 10_000;
    const got = await deps.redis.set(keys.outboxLeader, me, 'PX', ttl, 'NX');
    if (got === 'OK') return true;
    const holder = await deps.redis.get(keys.outboxLeader);
    if (holder !== me) return false;
    await deps.redis.pexpire(keys.outboxLeader, ttl);
    return true;
  }

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
    if (!handler || closed) return;
    if (!(await isLeader())) return;
    const events = await pendingEvents(deps.db);
    const groups = new Map<number, StoredEvent[]>();
    for (const event of events) {
      const list = groups.get(event.deploymentId) ?? [];
      list.push(event);
      groups.set(event.deploymentId, list);
    }
    await Promise.all([...groups.values()].map(deliverGroup));
  }

  function wake(): void {
    if (closed) return;
    if (draining) {
      again = true;
      return;
    }
    draining = (async () => {
      do {
        again = false;
        try {
          await drainOnce();
        } catch (error) {
          deps.logger.warn({ err: error }, 'outbox drain failed');
        }
      } while (again && !closed);
    })().finally(() => {
      draining = null;
    });
  }

  const onMessage = (channel: string) => {
    if (channel === keys.eventsChannel) wake();
  };

  return {
    subscribe(h) {
      handler = h;
      void deps.subscriber.subscribe(keys.eventsChannel);
      deps.subscriber.on('message', onMessage);
      timer = setInterval(wake, deps.pollMs ?? 1_000);
      wake();
      return () => {
        handler = null;
        deps.subscriber.off('message', onMessage);
        if (timer) clearInterval(timer);
      };
    },
    wake,
    async close() {
      closed = true;
      if (timer) clearInterval(timer);
      deps.subscriber.off('message', onMessage);
      await draining;
      const holder = await deps.redis.get(keys.outboxLeader).catch(() => null);
      if (holder === me) await deps.redis.del(keys.outboxLeader).catch(() => undefined);
    },
  };
}

/** Tells every process that new events are in the outbox. */
export function createEventSignal(redis: Redis, prefix: string, logger: Logger): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  return () => {
    redis.publish(channel, '1').catch((error: unknown) => logger.warn({ err: error }, 'event signal failed'));
  };
}
