import type { Logger } from 'pino';

/**
 * Runs the lock sweep (reminders before a lock lapses, release of lapsed ones)
 * when the next one is due, and at least every `maxWaitMs` so that locks taken
 * by other processes are seen. Any number of processes may sweep: each reminder
 * and expiry is claimed by one transaction.
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
      deps.logger.warn({ err: error }, 'lock sweep failed');
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
