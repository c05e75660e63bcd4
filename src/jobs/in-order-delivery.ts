import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { createOutboxLoop } from './outbox-loop.ts';

const MAX_ATTEMPTS = 8;

/** What a feed over one of the Postgres outboxes is given. */
export interface OutboxFeedDeps {
  db: Db;
  redis: Redis;
  subscriber: Redis;
  prefix: string;
  logger: Logger;
  pollMs?: number;
}

/** The delivering side of a feed, for whoever runs it: deliver now, and stop for good. */
/** A feed of stored items: one subscriber, plus the control its owner keeps. */
export type DeliveryFeed<T> = FeedControl & { subscribe(handler: (item: T) => Promise<void>): () => void };

export interface FeedControl {
  wake(): void;
  close(): Promise<void>;
}

/**
 * Delivers an outbox's pending items to one subscriber, in order within a group (groups
 * in parallel): an item whose handler throws is offered again on the next pass and holds
 * back the rest of its group, until it has failed MAX_ATTEMPTS times and is dropped.
 */
export function createInOrderDelivery<T extends { id: number }>(
  deps: Omit<OutboxFeedDeps, 'db'>,
  outbox: {
    /** The Redis key that elects the one delivering process. */
    leaderKey: string;
    /** The outbox's name and what an item is called, in log lines; and what identifies an item there. */
    names: { outbox: string; item: string };
    logFields(item: T): Record<string, unknown>;
    pending(): Promise<T[]>;
    /** Items of one group keep their order; different groups do not wait on each other. Default: one group. */
    groupOf?(item: T): number;
    markDelivered(id: number): Promise<void>;
  },
): DeliveryFeed<T> {
  const attempts = new Map<number, number>();
  let handler: ((item: T) => Promise<void>) | null = null;

  async function deliverGroup(items: T[]): Promise<void> {
    for (const item of items) {
      try {
        await handler?.(item);
      } catch (error) {
        const count = (attempts.get(item.id) ?? 0) + 1;
        attempts.set(item.id, count);
        const fields = { err: error, ...outbox.logFields(item) };
        if (count < MAX_ATTEMPTS) {
          deps.logger.warn({ ...fields, attempt: count }, `${outbox.names.item} delivery failed; will retry`);
          return; // keep the group's order: later items wait
        }
        deps.logger.error(fields, `${outbox.names.item} delivery failed for good; dropping it`);
      }
      attempts.delete(item.id);
      await outbox.markDelivered(item.id);
    }
  }

  async function drainOnce(): Promise<void> {
    if (!handler) return;
    const groups = new Map<number, T[]>();
    for (const item of await outbox.pending()) {
      const group = outbox.groupOf?.(item) ?? 0;
      const list = groups.get(group) ?? [];
      list.push(item);
      groups.set(group, list);
    }
    await Promise.all([...groups.values()].map(deliverGroup));
  }

  const loop = createOutboxLoop({ ...deps, leaderKey: outbox.leaderKey, what: outbox.names.outbox, drain: drainOnce });

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
