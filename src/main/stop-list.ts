import type { Logger } from 'pino';

/** What the start has opened, undone in reverse order; a part that fails to stop does not keep the rest open. */
export interface StopList {
  add(stop: () => Promise<unknown>): void;
  stopAll(): Promise<void>;
}

export function createStopList(logger: Logger): StopList {
  const stops: (() => Promise<unknown>)[] = [];
  return {
    add(stop) {
      stops.push(stop);
    },
    async stopAll() {
      for (const stop of stops.reverse()) {
        await stop().catch((error: unknown) => logger.warn({ err: error }, 'error while stopping'));
      }
      stops.length = 0;
    },
  };
}
