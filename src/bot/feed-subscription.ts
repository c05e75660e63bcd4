/**
 * Subscribes a handler to a feed and keeps count of deliveries in flight, so stopping
 * waits for the messages being posted rather than cutting them off.
 */
export function trackedSubscription<T>(
  feed: { subscribe(handler: (item: T) => Promise<void>): () => void },
  handle: (item: T) => Promise<void>,
) {
  let unsubscribe: (() => void) | null = null;
  const handling = new Set<Promise<void>>();
  return {
    start() {
      if (unsubscribe !== null) return;
      unsubscribe = feed.subscribe((item) => {
        const job = handle(item);
        handling.add(job);
        void job.catch(() => {}).finally(() => handling.delete(job));
        return job;
      });
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      await Promise.allSettled([...handling]);
    },
  };
}
