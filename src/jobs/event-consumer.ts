import type { RedisConnection } from './redis.ts';
import type { Logger } from 'pino';
import { deliveryExpired, retryDelayMs, waitAskedFor, type LoggedEvent } from '../domain/event-log.ts';
import type { Db } from '../store/database.ts';
import { lastPosition } from '../store/events.ts';
import { eventsAfterCursor, heldEvents, holdEvent, moveCursor, recordUndeliverable, releaseEvent, type HeldEvent } from '../store/event-cursors.ts';
import { createOutboxLoop } from './outbox-loop.ts';
import { redisKeys } from './redis.ts';
import type { RedisHealth } from './redis-health.ts';

/** What a consumer of the event log is given. */
export interface EventConsumerDeps {
  db: Db;
  redis: RedisConnection;
  subscriber: RedisConnection;
  prefix: string;
  logger: Logger;
  health: RedisHealth;
  pollMs?: number;
  /** The clock that decides back-off and the day an event is tried for (tests move it). */
  now?: () => Date;
}

/**
 * How an event comes to its handler. `redelivery`: an earlier delivery may have had an effect
 * already — it failed (perhaps after the peer acted: a timeout), or it was in the hands of a
 * process that stopped leading (a crash) before the event was settled. A handler whose effect
 * must happen once looks before acting again; a first delivery needs no look.
 */
export interface Delivery {
  redelivery: boolean;
}

export type EventHandler = (event: LoggedEvent, delivery: Delivery) => Promise<void>;

export interface EventConsumer {
  /** Starts delivering to `handler`: an event it resolves for is done; one it throws for is tried again later. */
  start(handler: EventHandler): void;
  /** Stops taking events (the pass under way ends after the event in hand). */
  stop(): void;
  wake(): void;
  /** Runs one delivery pass to `handler` now, without the loop (tests drive passes themselves). */
  passWith(handler: EventHandler): Promise<void>;
  close(): Promise<void>;
}

type Item = { event: LoggedEvent; held: HeldEvent | null };

/** How long a pass waits after the events signal for the events written right after it (an action's end and the next one's start). */
const GATHER_MS = 50;

/** A pass that runs this long writes its cursor as it goes (a crash then delivers less again). */
const WRITE_DURING_PASS_AFTER_MS = 1_000;

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
 *
 * Where a pass left off is written by the next pass's read, in the same statement (the timer
 * makes one within a second), or on close: a process that dies in between leaves those events
 * to be delivered again, as redeliveries, as it would mid-pass.
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
  let handler: EventHandler | null = null;
  let stopped = false;
  /** The log's last position when this process began leading: what lies at or before it may have been handed out by a predecessor. */
  let takenOverAt = 0;
  /** Whether this consumer may hold events for a retry (unknown at first: another process may have held some). */
  let mayHold = true;
  /** The events it holds, as the pass under way leaves them. */
  let holding = new Set<number>();
  /** Whether its cursor exists (a consumer starting at the log's end makes it on its first pass). */
  let cursorMade = false;
  /** Where this process's passes have settled the log up to, and how far of that it has written to the cursor. */
  let unwritten = 0;
  let written = 0;

  async function failed(item: Item, error: unknown): Promise<'held' | 'given up'> {
    const attempts = (item.held?.attempts ?? 0) + 1;
    const lastError = error instanceof Error ? error.message : String(error);
    const fields = { err: error, eventId: item.event.id, position: item.event.position, deploymentId: item.event.deploymentId, attempts };
    if (deliveryExpired(item.event.at, now())) {
      await recordUndeliverable(deps.db, consumer.name, item.event.id, { attempts, lastError });
      holding.delete(item.event.id);
      log.error(fields, 'event could not be delivered for a day; recorded as undeliverable');
      return 'given up';
    }
    // A peer that said when to come back (Retry-After) is not asked sooner.
    const nextAt = new Date(now().getTime() + Math.max(retryDelayMs(attempts), waitAskedFor(error)));
    await holdEvent(deps.db, consumer.name, item.event.id, { attempts, nextAt, lastError });
    holding.add(item.event.id);
    log.warn({ ...fields, nextAt }, 'event delivery failed; will retry');
    return 'held';
  }

  /** Delivers a group's items in order; from the first that fails (or is not due), the rest are held behind it. */
  async function deliverGroup(items: Item[], handle: EventHandler, settle: (event: LoggedEvent) => Promise<void>): Promise<void> {
    let blocked = false;
    for (const item of items) {
      if (stopped) return; // stopping: the cursor stays before what was not done
      if (blocked) {
        if (item.held === null) {
          await holdEvent(deps.db, consumer.name, item.event.id, { attempts: 0, nextAt: null, lastError: null });
          holding.add(item.event.id);
        }
      } else if (item.held?.nextAt && item.held.nextAt > now()) {
        blocked = true;
      } else {
        try {
          await handle(item.event, { redelivery: (item.held?.attempts ?? 0) > 0 || item.event.position <= takenOverAt });
          if (item.held) {
            await releaseEvent(deps.db, consumer.name, item.event.id);
            holding.delete(item.event.id);
          }
        } catch (error) {
          blocked = (await failed(item, error)) === 'held';
        }
      }
      if (item.held === null) await settle(item.event);
    }
  }

  async function pass(handle: EventHandler): Promise<void> {
    // What this process knows spares a statement per pass: the events held for a retry are
    // read when some may be (this process held some, or took the lead from another process),
    // a cursor starting at the end is made once, and where the last pass left off is written
    // by the statement that reads what came since.
    const held = mayHold ? await heldEvents(deps.db, consumer.name) : [];
    const settledUpTo = unwritten > written ? unwritten : 0;
    const { events } = await eventsAfterCursor(deps.db, consumer.name, {
      ...(cursorMade ? {} : { startAt: consumer.startAt ?? 'beginning' }),
      ...(settledUpTo > 0 ? { settledUpTo } : {}),
    });
    cursorMade = true;
    if (settledUpTo > 0) written = settledUpTo;
    holding = new Set(held.map((h) => h.event.id));
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
    // Below the first new event: the cursor is there or lower (it only ever moves forward).
    let reached = (events[0]?.position ?? 1) - 1;
    let index = 0;
    const began = performance.now();
    // A quick pass leaves its cursor to the next pass's read (or to close). One that goes on
    // for long writes it as it goes, one write at a time: the events settled while one is
    // under way are covered by the next.
    let writing: Promise<void> | null = null;
    const writeCursor = (): Promise<void> =>
      (writing ??= (async () => {
        try {
          while (written < reached) {
            const to = reached;
            await moveCursor(deps.db, consumer.name, to);
            written = Math.max(written, to);
          }
        } finally {
          writing = null;
        }
      })());
    const settle = async (event: LoggedEvent) => {
      settled.add(event.position);
      while (index < events.length && settled.has(events[index]?.position ?? -1)) {
        reached = events[index]?.position ?? reached;
        index += 1;
      }
      unwritten = Math.max(unwritten, reached);
      if (reached > written && performance.now() - began >= WRITE_DURING_PASS_AFTER_MS) await writeCursor();
    };
    await Promise.all([...groups.values()].map((items) => deliverGroup(items, handle, settle)));
    mayHold = holding.size > 0;
  }

  /** Writes where the passes left off, when no pass will (the consumer stops); a failure leaves it to the next leader's redelivery. */
  async function flushCursor(): Promise<void> {
    if (unwritten <= written) return;
    const to = unwritten;
    try {
      await moveCursor(deps.db, consumer.name, to);
      written = Math.max(written, to);
    } catch (error) {
      if (!deps.health.absorbs(error, `${consumer.name} events`)) log.warn({ err: error }, 'writing the event cursor failed; the events after it are delivered again');
    }
  }

  const drain = async (tookOver: boolean) => {
    if (tookOver) {
      takenOverAt = await lastPosition(deps.db);
      // The process that led before may have held events.
      mayHold = true;
    }
    if (handler !== null) await pass(handler);
  };

  const loop = createOutboxLoop({ gatherMs: GATHER_MS, ...deps, leaderKey: redisKeys(deps.prefix).consumerLeader(consumer.name), what: `${consumer.name} events`, drain });

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
      void flushCursor();
    },
    wake: loop.wake,
    passWith: pass,
    async close() {
      handler = null;
      stopped = true;
      await loop.close();
      await flushCursor();
    },
  };
}
