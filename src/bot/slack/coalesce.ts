interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Slot {
  /** The newest send asked for while one was in flight, with everyone waiting for it. */
  next: { send: () => Promise<void>; waiters: Waiter[] } | null;
}

/**
 * Latest-wins sending per key: at most one send in flight per key; sends asked
 * for meanwhile collapse into one, the newest, sent when the flight lands.
 * A caller's promise settles with the send that carried its state or a later one.
 */
export interface Coalescer {
  submit(key: string, send: () => Promise<void>): Promise<void>;
  /** Resolves when nothing is in flight or waiting. */
  idle(): Promise<void>;
}

export function createCoalescer(): Coalescer {
  const slots = new Map<string, Slot>();
  let idleWaiters: (() => void)[] = [];

  const run = (key: string, send: () => Promise<void>, waiters: Waiter[]): void => {
    const slot: Slot = { next: null };
    slots.set(key, slot);
    const settle = (outcome: { ok: true } | { ok: false; error: unknown }): void => {
      for (const waiter of waiters) {
        if (outcome.ok) waiter.resolve();
        else waiter.reject(outcome.error);
      }
      const next = slot.next;
      if (next !== null) {
        run(key, next.send, next.waiters);
        return;
      }
      slots.delete(key);
      if (slots.size === 0) {
        const waiting = idleWaiters;
        idleWaiters = [];
        for (const resolve of waiting) resolve();
      }
    };
    // A send that throws synchronously still settles through the same path.
    Promise.resolve()
      .then(send)
      .then(
        () => settle({ ok: true }),
        (error: unknown) => settle({ ok: false, error }),
      );
  };

  return {
    submit(key, send) {
      return new Promise<void>((resolve, reject) => {
        const waiter = { resolve, reject };
        const slot = slots.get(key);
        if (slot === undefined) {
          run(key, send, [waiter]);
        } else if (slot.next === null) {
          slot.next = { send, waiters: [waiter] };
        } else {
          slot.next.send = send;
          slot.next.waiters.push(waiter);
        }
      });
    },
    idle() {
      if (slots.size === 0) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
