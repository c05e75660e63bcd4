/**
 * Subscribes a handler to a feed and keeps count of deliveries in flight, so stopping
 * waits for the messages being posted rather than cutting them off.
 */
export function trackedSubscription<T, D>(
  feed: { subscribe(handler: (item: T, delivery?: D) => Promise<void>): () => void },
  handle: (item: T, delivery?: D) => Promise<void>,
) {
  let unsubscribe: (() => void) | null = null;
  const handling = new Set<Promise<void>>();
  return {
    start() {
      if (unsubscribe !== null) return;
      unsubscribe = feed.subscribe((item, delivery) => {
        const job = handle(item, delivery);
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
