import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { environmentsWithActiveDeployments } from '../store/deployments.ts';
import type { Dispatcher } from './deployment-queue.ts';

/**
 * Postgres is the source of truth: every few seconds, each environment with an
 * unfinished deployment is offered to the dispatcher again. That restarts queues
 * lost with Redis and picks up deployments whose worker vanished.
 */
export function createReconciler(deps: { db: Db; dispatcher: Dispatcher; logger: Logger; intervalMs: number }) {
  let timer: NodeJS.Timeout | null = null;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      for (const { app, env } of await environmentsWithActiveDeployments(deps.db)) {
        await deps.dispatcher.kick(app, env);
      }
    } catch (error) {
      deps.logger.warn({ err: error }, 'reconcile failed');
    } finally {
      running = false;
    }
  };
  return {
    start() {
      void tick();
      timer = setInterval(() => void tick(), deps.intervalMs);
    },
    stop() {
      if (timer) clearInterval(timer);
    },
    tick,
  };
}
