interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

interface Pending {
  send: () => Promise<void>;
  urgent: boolean;
  waiters: Waiter[];
}

interface Slot {
  inFlight: boolean;
  /** The newest send asked for and not started yet, with everyone waiting for it. */
  next: Pending | null;
  /** When the last send of this key started (the clock's milliseconds). */
  lastStart: number;
  /** Set while the next send waits for the spacing to pass. */
  cancelTimer: (() => void) | null;
}

/** A timer the tests can drive: calls `fn` after `ms`, returns how to call it off. */
export type SetTimer = (fn: () => void, ms: number) => () => void;

export interface CoalescerOptions {
  /** At least this long between the starts of two sends of one key, except urgent ones (default 0: none). */
  spacingMs?: number;
  now?: () => number;
  setTimer?: SetTimer;
}

/**
 * Latest-wins sending per key: at most one send in flight per key; sends asked
 * for meanwhile collapse into one, the newest, sent when the flight lands and
 * the key's spacing has passed. An urgent send does not wait for the spacing.
 * A caller's promise settles with the send that carried its state or a later one.
 */
export interface Coalescer {
  submit(key: string, send: () => Promise<void>, options?: { urgent?: boolean }): Promise<void>;
  /** Resolves when nothing is in flight or waiting. */
  idle(): Promise<void>;
}

const realTimer: SetTimer = (fn, ms) => {
  // Only forgets a key or spaces an update: nothing to keep the process alive for.
  const timer = setTimeout(fn, ms).unref();
  return () => clearTimeout(timer);
};

export function createCoalescer(options: CoalescerOptions = {}): Coalescer {
  const spacingMs = options.spacingMs ?? 0;
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? realTimer;
  const slots = new Map<string, Slot>();
  let idleWaiters: (() => void)[] = [];

  const busy = (slot: Slot): boolean => slot.inFlight || slot.next !== null;

  /** Forgets a key once nothing is pending and its spacing has passed: the map stays as small as the cards being edited. */
  const release = (key: string, slot: Slot): void => {
    if (busy(slot)) return;
    const left = slot.lastStart + spacingMs - now();
    if (left > 0 && slot.cancelTimer === null) {
      slot.cancelTimer = setTimer(() => {
        slot.cancelTimer = null;
        release(key, slot);
      }, left);
      return;
    }
    if (left > 0) return;
    slots.delete(key);
    if ([...slots.values()].some(busy)) return;
    const waiting = idleWaiters;
    idleWaiters = [];
    for (const resolve of waiting) resolve();
  };

  const settle = (waiters: Waiter[], outcome: { ok: true } | { ok: false; error: unknown }): void => {
    for (const waiter of waiters) {
      if (outcome.ok) waiter.resolve();
      else waiter.reject(outcome.error);
    }
  };

  /** Starts the pending send when nothing is in flight and it may go now; otherwise sets a timer for when it may. */
  const pump = (key: string, slot: Slot): void => {
    const pending = slot.next;
    if (pending === null || slot.inFlight) return release(key, slot);
    const left = slot.lastStart + spacingMs - now();
    if (!pending.urgent && left > 0) {
      slot.cancelTimer?.();
      slot.cancelTimer = setTimer(() => {
        slot.cancelTimer = null;
        pump(key, slot);
      }, left);
      return;
    }
    slot.cancelTimer?.();
    slot.cancelTimer = null;
    slot.next = null;
    slot.inFlight = true;
    slot.lastStart = now();
    // A send that throws synchronously still settles through the same path.
    Promise.resolve()
      .then(pending.send)
      .then(
        () => settle(pending.waiters, { ok: true }),
        (error: unknown) => settle(pending.waiters, { ok: false, error }),
      )
      .finally(() => {
        slot.inFlight = false;
        pump(key, slot);
      });
  };

  return {
    submit(key, send, submitOptions) {
      return new Promise<void>((resolve, reject) => {
        const waiter = { resolve, reject };
        let slot = slots.get(key);
        if (slot === undefined) {
          slot = { inFlight: false, next: null, lastStart: Number.NEGATIVE_INFINITY, cancelTimer: null };
          slots.set(key, slot);
        }
        const urgent = submitOptions?.urgent === true;
        if (slot.next === null) slot.next = { send, urgent, waiters: [waiter] };
        else {
          slot.next.send = send;
          slot.next.urgent ||= urgent;
          slot.next.waiters.push(waiter);
        }
        pump(key, slot);
      });
    },
    idle() {
      if (![...slots.values()].some(busy)) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
