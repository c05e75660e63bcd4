import type { RedisConnection } from './redis.ts';
import type { Logger } from 'pino';
import type { LoggedEvent } from '../domain/event-log.ts';
import type { Db } from '../store/database.ts';
import { lastPosition, readEvents } from '../store/events.ts';
import { listenForEvents, type EventListening } from './event-signal.ts';
import type { RedisHealth } from './redis-health.ts';

const PAGE = 500;

/**
 * Follows the event log for every reader in this process (the event streams): one query
 * per wake-up, however many listen. Woken by the Redis events signal the moment an event
 * is recorded, and by a timer as a safety net when a signal is lost. Positions are given
 * in commit order (migration 0010), so following `position > head` misses nothing.
 */
export function createEventHub(deps: { db: Db; subscriber: RedisConnection; prefix: string; logger: Logger; health: RedisHealth; pollMs?: number }) {
  const listeners = new Set<(events: readonly LoggedEvent[]) => void>();
  let head = 0;
  let reading: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let listening: EventListening | null = null;
  let stopped = false;
  let markClosed = () => {};
  let drained = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  async function readNew(): Promise<void> {
    for (;;) {
      const events = await readEvents(deps.db, { after: head, limit: PAGE });
      if (events.length === 0) return;
      head = events.at(-1)?.position ?? head;
      for (const listener of listeners) {
        try {
          listener(events);
        } catch (error) {
          deps.logger.warn({ err: error }, 'an event listener failed');
        }
      }
      if (events.length < PAGE) return;
    }
  }

  function wake(): void {
    if (stopped) return;
    if (reading) {
      again = true;
      return;
    }
    reading = (async () => {
      do {
        again = false;
        try {
          await readNew();
        } catch (error) {
          if (!deps.health.absorbs(error, 'event hub')) deps.logger.warn({ err: error }, 'reading the event log failed');
        }
      } while (again && !stopped);
    })().finally(() => {
      reading = null;
    });
  }

  return {
    head: () => head,
    read: (options: { after: number; app: string | null; env: string | null; limit: number }) => readEvents(deps.db, options),
    subscribe(listener: (events: readonly LoggedEvent[]) => void): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) drained();
      };
    },
    closed,
    async start(): Promise<void> {
      head = await lastPosition(deps.db);
      listening = listenForEvents(deps.subscriber, deps.prefix, wake);
      await listening.ready;
      timer = setInterval(wake, deps.pollMs ?? 1_000);
    },
    /** Ends every open stream and stops reading. */
    async close(): Promise<void> {
      stopped = true;
      listening?.stop();
      if (timer) clearInterval(timer);
      // Every stream ends on `closed`; wait (briefly) until they have, so their answers end whole.
      const ended = listeners.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => (drained = resolve));
      markClosed();
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      await reading;
    },
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
