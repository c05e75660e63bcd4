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
 * by readers one committed batch after another (migration 0022; `readEvents` gives the events
 * committed up to now theirs first), so following `position > head` misses nothing.
 */
export function createEventHub(deps: { db: Db; subscriber: RedisConnection; prefix: string; logger: Logger; health: RedisHealth; pollMs?: number }) {
  const listeners = new Set<(events: readonly LoggedEvent[]) => void>();
  /** The last position passed on to listeners; null while nobody listens (the hub does not read then). */
  let head: number | null = null;
  let finding: Promise<number> | null = null;
  let reading: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let listening: EventListening | null = null;
  let stopped = false;
  let markClosed = () => {};
  let drained = () => {};
  const closed = new Promise<void>((resolve) => (markClosed = resolve));

  /** Where listeners start: the log's end when the first of them came (one read, shared by all who ask meanwhile). */
  function known(): Promise<number> {
    if (head !== null) return Promise.resolve(head);
    finding ??= lastPosition(deps.db).then(
      (last) => {
        finding = null;
        head ??= last;
        return head;
      },
      (error: unknown) => {
        finding = null;
        throw error;
      },
    );
    return finding;
  }

  async function readNew(): Promise<void> {
    if (listeners.size === 0) {
      // Nobody to pass events on to: no reads; the next listener starts from the log's end.
      head = null;
      return;
    }
    let after = await known();
    for (;;) {
      const events = await readEvents(deps.db, { after, limit: PAGE });
      if (events.length === 0) return;
      after = events.at(-1)?.position ?? after;
      head = after;
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
    head: known,
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
