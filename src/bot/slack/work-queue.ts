/**
 * The work of requests Slack was told are accepted, carried out a few at a
 * time in arrival order. Slack drops a request it has no acknowledgement for
 * within 3 s; acknowledgements and this work share one event loop, so with
 * every accepted command's queries and renders in flight at once (a burst of
 * hundreds), the acknowledgements of the next ones wait behind them. Kept to
 * a few at a time, and none started while a request is still waiting for
 * its acknowledgement, the work waits instead, and each acknowledgement takes
 * a constant few milliseconds however many commands came before it.
 */
export interface WorkQueue {
  /** Queues the work; resolves when it has run (it never rejects: `work` handles its own errors). */
  run(work: () => Promise<void>): Promise<void>;
  /** Resolves when nothing runs or waits. */
  idle(): Promise<void>;
  /** No work starts until the returned function is called (a request is being acknowledged); work already running goes on. */
  hold(): () => void;
}

/** Enough to keep Postgres, Redis and git busy while they answer, few enough to leave the event loop to new requests. */
export const WORK_CONCURRENCY = 4;

export function createWorkQueue(concurrency = WORK_CONCURRENCY): WorkQueue {
  const waiting: (() => void)[] = [];
  let running = 0;
  let holds = 0;
  let idleWaiters: (() => void)[] = [];

  const next = (): void => {
    while (holds === 0 && running < concurrency && waiting.length > 0) {
      running += 1;
      waiting.shift()!();
    }
    if (running === 0 && waiting.length === 0) {
      const resolved = idleWaiters;
      idleWaiters = [];
      for (const resolve of resolved) resolve();
    }
  };

  return {
    run(work) {
      return new Promise<void>((resolve) => {
        waiting.push(() => {
          // Started on a later turn: the acknowledgement that queued it is written first.
          setImmediate(() => {
            // A failure is the work's to report; the queue only moves on.
            work()
              .catch(() => undefined)
              .finally(() => {
                running -= 1;
                resolve();
                next();
              });
          });
        });
        next();
      });
    },
    idle() {
      if (running === 0 && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    hold() {
      holds += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        holds -= 1;
        next();
      };
    },
  };
}
