import type { Logger } from 'pino';

/** What the start has opened, undone in reverse order; a part that fails to stop does not keep the rest open. */
export interface StopList {
  /** `name` says, in the log, which part a slow stop waits for. */
  add(stop: () => Promise<unknown>, name?: string): void;
  stopAll(): Promise<void>;
}

/** After this long, a part still stopping is named in the log (an operator wondering why Hoist has not exited yet learns what it waits for). */
const SLOW_STOP_MS = 5_000;

export function createStopList(logger: Logger): StopList {
  const stops: { stop: () => Promise<unknown>; name: string }[] = [];
  return {
    add(stop, name = 'a part') {
      stops.push({ stop, name });
    },
    async stopAll() {
      for (const { stop, name } of stops.reverse()) {
        const slow = setTimeout(() => logger.warn({ part: name }, `still stopping ${name}`), SLOW_STOP_MS);
        await stop().catch((error: unknown) => logger.warn({ err: error, part: name }, 'error while stopping'));
        clearTimeout(slow);
      }
      stops.length = 0;
    },
  };
}
