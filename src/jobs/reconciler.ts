import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { queueHeads } from '../store/deployments.ts';
import type { Dispatcher } from './dispatcher.ts';
import type { RedisHealth } from './redis-health.ts';

/**
 * Postgres is the source of truth: every few seconds, each environment with an
 * unfinished deployment is offered to the dispatcher again. That restarts queues
 * lost with Redis and picks up deployments whose worker vanished. Every environment's
 * head is read in one statement; with several processes, one of them does it per
 * interval (`turn`): more processes add no reconciling work.
 */
export function createReconciler(deps: {
  db: Db;
  dispatcher: Dispatcher;
  logger: Logger;
  health: RedisHealth;
  intervalMs: number;
  /** Whether this process reconciles this interval (absent: always). */
  turn?: () => Promise<boolean>;
}) {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const tick = (): Promise<void> => {
    running ??= reconcile().finally(() => {
      running = null;
    });
    return running;
  };
  const reconcile = async () => {
    try {
      if (deps.turn !== undefined && !(await deps.turn())) return;
      for (const head of await queueHeads(deps.db)) {
        await deps.dispatcher.offer(head.app, head.env, head);
      }
    } catch (error) {
      // While Redis is away, this is where waiting deployments are handed over once it is back.
      if (!deps.health.absorbs(error, 'reconciler')) deps.logger.warn({ err: error }, 'reconcile failed');
    }
  };
  return {
    start() {
      void tick();
      timer = setInterval(() => void tick(), deps.intervalMs);
    },
    /** Stops the timer and waits for a pass under way, so nothing runs on a closed database. */
    async stop() {
      if (timer) clearInterval(timer);
      await running;
    },
    tick,
  };
}
