import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLockSweeper } from '../../src/jobs/lock-sweeper.ts';

const logger = pino({ level: 'silent' });

/** A sweep that records when it ran and answers the due time it is told to. */
function recordingSweep(due: () => number | null) {
  const runs: number[] = [];
  return {
    runs,
    sweep: async () => {
      runs.push(Date.now());
      return due();
    },
  };
}

describe('lock sweeper', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sweeps at start, then when the next deadline is due, at most maxWaitMs apart', async () => {
    let due: number | null = 5_000;
    const s = recordingSweep(() => due);
    const sweeper = createLockSweeper({ sweep: s.sweep, logger, maxWaitMs: 30_000 });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.runs).toEqual([0]);
    due = null;
    await vi.advanceTimersByTimeAsync(5_020);
    expect(s.runs).toEqual([0, 5_020]);
    // Nothing due: the next look is maxWaitMs later, not every second.
    await vi.advanceTimersByTimeAsync(29_999);
    expect(s.runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(s.runs).toEqual([0, 5_020, 35_020]);
    sweeper.stop();
  });

  it('sweeps at once when woken, and plans from what that sweep says is due', async () => {
    let due: number | null = null;
    const s = recordingSweep(() => due);
    const sweeper = createLockSweeper({ sweep: s.sweep, logger, maxWaitMs: 30_000 });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(1_000);
    // A lock with a short lease was just taken: its reminder is due in 2 s.
    due = 2_000;
    sweeper.wake();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.runs).toEqual([0, 1_000]);
    due = null;
    await vi.advanceTimersByTimeAsync(2_020);
    expect(s.runs).toEqual([0, 1_000, 3_020]);
    sweeper.stop();
  });

  it('a wake during a sweep runs one more sweep after it, not two at once', async () => {
    let release: () => void = () => {};
    let running = 0;
    let most = 0;
    let count = 0;
    const sweeper = createLockSweeper({
      sweep: async () => {
        count += 1;
        running += 1;
        most = Math.max(most, running);
        if (count === 1) await new Promise<void>((resolve) => (release = resolve));
        running -= 1;
        return null;
      },
      logger,
      maxWaitMs: 30_000,
    });
    sweeper.start();
    sweeper.wake();
    sweeper.wake();
    release();
    await vi.advanceTimersByTimeAsync(0);
    expect(count).toBe(2);
    expect(most).toBe(1);
    sweeper.stop();
    sweeper.wake();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(count).toBe(2);
  });

  it('makes the every-interval look only on its turn; a sweep that came due, a wake and a look without Redis do not ask for one', async () => {
    let due: number | null = null;
    const s = recordingSweep(() => due);
    let turns = 0;
    let mine: boolean | 'redis down' = false;
    const turn = async () => {
      turns += 1;
      if (mine === 'redis down') throw new Error('connect ECONNREFUSED 127.0.0.1:6379');
      return mine;
    };
    const sweeper = createLockSweeper({ sweep: s.sweep, logger, maxWaitMs: 1_000, turn });
    sweeper.start();
    await vi.advanceTimersByTimeAsync(0);
    // The first sweep at start is not a periodic look.
    expect(s.runs).toEqual([0]);
    expect(turns).toBe(0);
    // Other processes take the turns: three intervals go by without a sweep here.
    await vi.advanceTimersByTimeAsync(3_000);
    expect(s.runs).toEqual([0]);
    expect(turns).toBe(3);
    // A wake sweeps without asking, and what it says is due is swept then, without asking.
    due = 500;
    sweeper.wake();
    await vi.advanceTimersByTimeAsync(0);
    due = null;
    await vi.advanceTimersByTimeAsync(520);
    expect(s.runs).toEqual([0, 3_000, 3_520]);
    expect(turns).toBe(3);
    // Its turn: it looks.
    mine = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.runs).toEqual([0, 3_000, 3_520, 4_520]);
    // Redis does not answer: every process looks, this one too.
    mine = 'redis down';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(s.runs).toEqual([0, 3_000, 3_520, 4_520, 5_520]);
    sweeper.stop();
  });
});
