import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { deliveryExpired, retryDelayMs, waitAskedFor, type LoggedEvent } from '../domain/event-log.ts';
import type { Db } from '../store/database.ts';
import { eventsAfterCursor, heldEvents, holdEvent, moveCursor, recordUndeliverable, releaseEvent, type HeldEvent } from '../store/event-cursors.ts';
import { createOutboxLoop } from './outbox-loop.ts';
import { redisKeys } from './redis.ts';
import type { RedisHealth } from './redis-health.ts';

/** What a consumer of the event log is given. */
export interface EventConsumerDeps {
  db: Db;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  logger: Logger;
  health: RedisHealth;
  pollMs?: number;
  /** The clock that decides back-off and the day an event is tried for (tests move it). */
  now?: () => Date;
}

export interface EventConsumer {
  /** Starts delivering to `handler`: an event it resolves for is done; one it throws for is tried again later. */
  start(handler: (event: LoggedEvent) => Promise<void>): void;
  /** Stops taking events (the pass under way ends after the event in hand). */
  stop(): void;
  wake(): void;
  /** Runs one delivery pass to `handler` now, without the loop (tests drive passes themselves). */
  passWith(handler: (event: LoggedEvent) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

type Item = { event: LoggedEvent; held: HeldEvent | null };

/**
 * Delivers the event log to one consumer (`name`: its cursor, retries and failures are
 * its own), in order within a group (`groupOf`, e.g. per deployment), groups in
 * parallel. One process at a time delivers (a Redis leader key per consumer); it is woken
 * by the events signal and by a timer.
 *
 * An event whose delivery fails is held and tried again with back-off (1 s doubling to
 * 10 min), the later events of its group held behind it, for as long as the event is less
 * than a day old; then it is recorded in `event_failures` (the consumer, the event and the
 * last error) and its group moves on. The cursor itself never waits: other groups go on.
 * An error with a `retryAfterMs` (a peer's Retry-After) waits at least that long.
 */
export function createEventConsumer(
  deps: EventConsumerDeps,
  consumer: {
    name: string;
    groupOf(event: LoggedEvent): string;
    /** Where a consumer seen for the first time starts: the log's beginning (default), or its end (what happened before it existed is not its business). */
    startAt?: 'beginning' | 'end';
  },
): EventConsumer {
  const now = deps.now ?? (() => new Date());
  const log = deps.logger.child({ consumer: consumer.name });
  let handler: ((event: LoggedEvent) => Promise<void>) | null = null;
  let stopped = false;

  async function failed(item: Item, error: unknown): Promise<'held' | 'given up'> {
    const attempts = (item.held?.attempts ?? 0) + 1;
    const lastError = error instanceof Error ? error.message : String(error);
    const fields = { err: error, eventId: item.event.id, position: item.event.position, deploymentId: item.event.deploymentId, attempts };
    if (deliveryExpired(item.event.at, now())) {
      await recordUndeliverable(deps.db, consumer.name, item.event.id, { attempts, lastError });
      log.error(fields, 'event could not be delivered for a day; recorded as undeliverable');
      return 'given up';
    }
    // A peer that said when to come back (Retry-After) is not asked sooner.
    const nextAt = new Date(now().getTime() + Math.max(retryDelayMs(attempts), waitAskedFor(error)));
    await holdEvent(deps.db, consumer.name, item.event.id, { attempts, nextAt, lastError });
    log.warn({ ...fields, nextAt }, 'event delivery failed; will retry');
    return 'held';
  }

  /** Delivers a group's items in order; from the first that fails (or is not due), the rest are held behind it. */
  async function deliverGroup(items: Item[], handle: (event: LoggedEvent) => Promise<void>, settle: (event: LoggedEvent) => Promise<void>): Promise<void> {
    let blocked = false;
    for (const item of items) {
      if (stopped) return; // stopping: the cursor stays before what was not done
      if (blocked) {
        if (item.held === null) await holdEvent(deps.db, consumer.name, item.event.id, { attempts: 0, nextAt: null, lastError: null });
      } else if (item.held?.nextAt && item.held.nextAt > now()) {
        blocked = true;
      } else {
        try {
          await handle(item.event);
          if (item.held) await releaseEvent(deps.db, consumer.name, item.event.id);
        } catch (error) {
          blocked = (await failed(item, error)) === 'held';
        }
      }
      if (item.held === null) await settle(item.event);
    }
  }

  async function pass(handle: (event: LoggedEvent) => Promise<void>): Promise<void> {
    const held = await heldEvents(deps.db, consumer.name);
    const { cursor, events } = await eventsAfterCursor(deps.db, consumer.name, { startAt: consumer.startAt ?? 'beginning' });
    const groups = new Map<string, Item[]>();
    const add = (item: Item) => {
      const key = consumer.groupOf(item.event);
      groups.set(key, [...(groups.get(key) ?? []), item]);
    };
    for (const h of held) add({ event: h.event, held: h });
    for (const event of events) add({ event, held: null });

    // The cursor moves over the new events as each is settled (delivered, held or given up),
    // never past one that is not: a stop or crash mid-pass delivers the rest again later.
    const settled = new Set<number>();
    let reached = cursor;
    let index = 0;
    const settle = async (event: LoggedEvent) => {
      settled.add(event.position);
      const before = reached;
      while (index < events.length && settled.has(events[index]?.position ?? -1)) {
        reached = events[index]?.position ?? reached;
        index += 1;
      }
      if (reached > before) await moveCursor(deps.db, consumer.name, reached);
    };
    await Promise.all([...groups.values()].map((items) => deliverGroup(items, handle, settle)));
  }

  const drain = async () => {
    if (handler !== null) await pass(handler);
  };

  const loop = createOutboxLoop({ ...deps, leaderKey: redisKeys(deps.prefix).consumerLeader(consumer.name), what: `${consumer.name} events`, drain });

  return {
    start(h) {
      handler = h;
      stopped = false;
      loop.start();
    },
    stop() {
      handler = null;
      stopped = true;
      loop.stop();
    },
    wake: loop.wake,
    passWith: pass,
    async close() {
      handler = null;
      stopped = true;
      await loop.close();
    },
  };
}
