/**
 * The work of requests Slack was told are accepted, carried out a few at a
 * time in arrival order. Slack drops a request it has no acknowledgement for
 * within 3 s; acknowledgements and this work share one event loop (and, on a
 * busy machine, little CPU). Each acknowledgement takes several turns of the
 * loop (body, signature, middleware, response), and every turn also runs
 * whatever accepted work has ready: during a burst of hundreds, acknowledgements
 * measured right after `hoist start` climbed past 1 s with work running between
 * requests, and stayed under 100 ms with work waiting until requests paused.
 * So while requests come in a burst, work starts only once none has waited for
 * its acknowledgement for a quiet spell, and never waits longer than
 * `maxDeferMs` for one (a steady stream of requests must not starve it); a
 * request on its own has its work started at once.
 */
export interface WorkQueue {
  /**
   * Queues the work; resolves when it has run (it never rejects: `work` handles its own errors).
   * Work of one `key` (a person) runs one at a time, in the order it came: two deploys typed a
   * second apart are recorded, and so queued, in that order.
   */
  run(work: () => Promise<void>, key?: string): Promise<void>;
  /** Resolves when nothing runs or waits. */
  idle(): Promise<void>;
  /** No work starts until the returned function is called (a request is being acknowledged) and a quiet spell has passed; work already running goes on. */
  hold(): () => void;
}

export interface WorkQueueOptions {
  /** Enough to keep Postgres, Redis and git busy while they answer, few enough to leave the event loop to new requests. */
  concurrency?: number;
  /** During a burst, how long no request must have waited for its acknowledgement before work starts. */
  quietMs?: number;
  /** This many acknowledgements within a second make a burst. */
  burstSize?: number;
  /** The longest work waits for a quiet spell before it starts anyway. */
  maxDeferMs?: number;
}

export const WORK_CONCURRENCY = 4;
/** A burst's requests come milliseconds apart, but a loaded machine (sender or Hoist) stalls for 100 ms and more: a quarter second without one is its end. */
export const WORK_QUIET_MS = 250;
export const WORK_BURST_SIZE = 3;
/** Well inside the 30 minutes a response_url stays valid, long enough to let a burst of a few seconds be acknowledged first. */
export const WORK_MAX_DEFER_MS = 3_000;

interface Waiting {
  start(): void;
  queuedAt: number;
  key: string | undefined;
}

export function createWorkQueue(options: WorkQueueOptions = {}): WorkQueue {
  const concurrency = options.concurrency ?? WORK_CONCURRENCY;
  const quietMs = options.quietMs ?? WORK_QUIET_MS;
  const maxDeferMs = options.maxDeferMs ?? WORK_MAX_DEFER_MS;
  const burstSize = options.burstSize ?? WORK_BURST_SIZE;
  /** When the last `burstSize` acknowledgements were written, oldest first. */
  const acknowledged: number[] = [];
  const waiting: Waiting[] = [];
  let running = 0;
  /** Keys with work running now. */
  const busy = new Set<string>();
  let holds = 0;
  let timer: NodeJS.Timeout | undefined;
  let idleWaiters: (() => void)[] = [];

  /** Milliseconds until work may start (0: now). */
  const deferral = (): number => {
    const now = performance.now();
    const overdue = (waiting[0]?.queuedAt ?? now) + maxDeferMs - now;
    if (overdue <= 0) return 0;
    if (holds > 0) return overdue;
    const last = acknowledged.at(-1) ?? -Infinity;
    const inBurst = acknowledged.length === burstSize && last - (acknowledged[0] as number) <= 1_000;
    if (!inBurst) return 0;
    return Math.max(0, Math.min(overdue, last + quietMs - now));
  };

  const next = (): void => {
    clearTimeout(timer);
    timer = undefined;
    while (running < concurrency && waiting.length > 0) {
      const wait = deferral();
      if (wait > 0) {
        timer = setTimeout(next, wait);
        break;
      }
      // The oldest work whose person has nothing running; later work of a busy person waits its turn.
      const index = waiting.findIndex((w) => w.key === undefined || !busy.has(w.key));
      if (index === -1) break;
      const [chosen] = waiting.splice(index, 1);
      running += 1;
      if (chosen!.key !== undefined) busy.add(chosen!.key);
      chosen!.start();
    }
    if (running === 0 && waiting.length === 0) {
      const resolved = idleWaiters;
      idleWaiters = [];
      for (const resolve of resolved) resolve();
    }
  };

  return {
    run(work, key) {
      return new Promise<void>((resolve) => {
        const start = () => {
          // Started on a later turn: the acknowledgement that queued it is written first.
          setImmediate(() => {
            // A failure is the work's to report; the queue only moves on.
            work()
              .catch(() => undefined)
              .finally(() => {
                running -= 1;
                if (key !== undefined) busy.delete(key);
                resolve();
                next();
              });
          });
        };
        waiting.push({ start, queuedAt: performance.now(), key });
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
        acknowledged.push(performance.now());
        if (acknowledged.length > burstSize) acknowledged.shift();
        next();
      };
    },
  };
}
