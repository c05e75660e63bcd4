import type { Logger } from 'pino';

/**
 * Runs the sweep (reminders before a lock lapses, release of lapsed ones; reminders
 * to approvers and expiry of requests nobody decided on) when the next one is due, and
 * at least every `maxWaitMs` so that locks and requests recorded by other processes are
 * seen. Any number of processes may sweep: each reminder and expiry is claimed by one
 * transaction.
 */
export function createLockSweeper(deps: { sweep(): Promise<number | null>; logger: Logger; maxWaitMs?: number }) {
  const maxWaitMs = deps.maxWaitMs ?? 1_000;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;

  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => void tick(), Math.max(10, Math.min(ms, maxWaitMs)));
  };

  const tick = async (): Promise<void> => {
    let next: number | null = null;
    try {
      next = await deps.sweep();
    } catch (error) {
      deps.logger.warn({ err: error }, 'sweep of locks and approvals failed');
    }
    // A few milliseconds past the due time, so that the database's clock has passed it too.
    schedule(next === null ? maxWaitMs : next + 20);
  };

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      void tick();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
