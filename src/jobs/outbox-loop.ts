import { randomUUID } from 'node:crypto';
import type { RedisConnection } from './redis.ts';
import type { Logger } from 'pino';
import { listenForEvents, type EventListening } from './event-signal.ts';
import type { RedisHealth } from './redis-health.ts';

/**
 * The delivery loop shared by Hoist's outboxes: woken by the Redis events message and by
 * a timer as a safety net; one pass at a time (a wake during a pass asks for another);
 * one process at a time delivers (a Redis leader key per outbox).
 */
export function createOutboxLoop(deps: {
  redis: RedisConnection;
  subscriber: RedisConnection;
  prefix: string;
  leaderKey: string;
  logger: Logger;
  health: RedisHealth;
  what: string;
  pollMs?: number;
  /**
   * How long a pass waits after the events signal, so that the events one action writes in
   * quick succession (one ends, the next starts) are taken in one pass, not one pass each.
   */
  gatherMs?: number;
  /** One delivery pass; runs only while this process leads. `tookOver`: the first since it began leading (another may have led before). */
  drain(tookOver: boolean): Promise<void>;
}) {
  const me = randomUUID();
  let draining: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;
  let listening: EventListening | null = null;
  let closed = false;
  let gathering: NodeJS.Timeout | null = null;

  /** Whether this process leads: `took over` when it has just become the leader, `leads` when it was already. */
  async function leadership(): Promise<'took over' | 'leads' | null> {
    const ttl = 10_000;
    if ((await deps.redis.set(deps.leaderKey, me, 'PX', ttl, 'NX')) === 'OK') return 'took over';
    if ((await deps.redis.get(deps.leaderKey)) !== me) return null;
    await deps.redis.pexpire(deps.leaderKey, ttl);
    return 'leads';
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
          const leads = await leadership();
          if (leads !== null) await deps.drain(leads === 'took over');
        } catch (error) {
          if (!deps.health.absorbs(error, deps.what)) deps.logger.warn({ err: error }, `${deps.what} drain failed`);
        }
      } while (again && !closed);
    })().finally(() => {
      draining = null;
    });
  }

  /** The events signal: a pass after `gatherMs` (signals meanwhile join it). */
  function signaled(): void {
    const gatherMs = deps.gatherMs ?? 0;
    if (gatherMs <= 0) return wake();
    if (gathering !== null || closed) return;
    gathering = setTimeout(() => {
      gathering = null;
      wake();
    }, gatherMs);
  }

  const stop = () => {
    if (gathering) clearTimeout(gathering);
    gathering = null;
    listening?.stop();
    listening = null;
    if (timer) clearInterval(timer);
    timer = null;
  };

  return {
    wake,
    start() {
      listening = listenForEvents(deps.subscriber, deps.prefix, signaled);
      timer = setInterval(wake, deps.pollMs ?? 1_000);
      wake();
    },
    stop,
    async close() {
      closed = true;
      stop();
      await draining;
      const holder = await deps.redis.get(deps.leaderKey).catch(() => null);
      if (holder === me) await deps.redis.del(deps.leaderKey).catch(() => undefined);
    },
  };
}
