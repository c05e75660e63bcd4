import type { Logger } from 'pino';

/**
 * Runs the sweep (reminders before a lock lapses, release of lapsed ones; reminders
 * to approvers and expiry of requests nobody decided on) when the next one is due, when
 * woken (this process recorded a lock or a request: its deadline may be the next one), and
 * at least every `maxWaitMs` so that locks and requests recorded by other processes are
 * seen. Any number of processes may sweep: each reminder and expiry is claimed by one
 * transaction. A look that is only the every-`maxWaitMs` one (nothing came due) is made by
 * the process that takes that interval's `turn`, when given: one look per interval for all
 * processes, not one each.
 */
export function createLockSweeper(deps: {
  sweep(): Promise<number | null>;
  logger: Logger;
  maxWaitMs?: number;
  turn?: () => Promise<boolean>;
  /** Counts a failure of an outage being logged (Redis or the database away): not logged again here. */
  absorbs?: (error: unknown) => boolean;
}) {
  const maxWaitMs = deps.maxWaitMs ?? 1_000;
  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  let sweeping = false;
  let again = false;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    const periodic = ms >= maxWaitMs;
    timer = setTimeout(() => void tick(periodic), Math.max(10, Math.min(ms, maxWaitMs)));
  };

  const tick = async (periodic = false): Promise<void> => {
    timer = null;
    sweeping = true;
    let next: number | null = null;
    try {
      // Without Redis to tell whose turn it is, every process looks (each claim is a transaction).
      const mine = !periodic || deps.turn === undefined || (await deps.turn().catch(() => true));
      // Not its turn: another process looks this interval; this one looks at the next.
      if (mine || again) {
        do {
          again = false;
          next = await deps.sweep();
        } while (again && !stopped);
      }
    } catch (error) {
      if (!deps.absorbs?.(error)) deps.logger.warn({ err: error }, 'sweep of locks and approvals failed');
    } finally {
      sweeping = false;
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
    /** Sweeps now (after the sweep under way, if any) instead of at the time planned. */
    wake() {
      if (stopped) return;
      if (sweeping) {
        again = true;
        return;
      }
      if (timer) clearTimeout(timer);
      void tick();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
