import { Redis } from 'ioredis';

/** A connection for commands; BullMQ workers and subscribers need their own. */
export function connectRedis(url: string, options: { forWorker?: boolean; name?: string } = {}): Redis {
  return new Redis(url, {
    // BullMQ workers block on Redis: they must retry forever rather than fail commands.
    maxRetriesPerRequest: options.forWorker ? null : 3,
    enableReadyCheck: true,
    connectionName: options.name,
    lazyConnect: false,
  });
}

/**
 * Closes a connection: politely (QUIT) when Redis answers, at once when it does not —
 * QUIT on a connection that is retrying would wait for a Redis that may never return.
 */
export async function closeRedis(connection: Redis, waitMs = 2_000): Promise<void> {
  if (connection.status !== 'ready') {
    connection.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), waitMs)));
  const quit = connection.quit().then(() => 'quit' as const, () => 'failed' as const);
  const outcome = await Promise.race([quit, gaveUp]);
  clearTimeout(timer);
  if (outcome !== 'quit') connection.disconnect();
}

export function redisKeys(prefix: string) {
  return {
    lease: (app: string, env: string) => `${prefix}:lease:${app}/${env}`,
    fence: (app: string, env: string) => `${prefix}:fence:${app}/${env}`,
    eventsChannel: `${prefix}:events`,
    cancelChannel: `${prefix}:cancel`,
    /** The process that reconciles the queues this interval (reconciler.ts). */
    reconcilerTurn: `${prefix}:reconciler-turn`,
    /** Elects the one process that delivers the event log to a consumer. */
    consumerLeader: (consumer: string) => `${prefix}:consumer-leader:${consumer}`,
    /** When a Slack channel's next post is due, for every process (post-pace.ts). */
    postPace: (channel: string) => `${prefix}:post-pace:${channel}`,
    /** Who opened the Home tab and what each was shown (home-tabs.ts). */
    homePrefix: `${prefix}:home:`,
  };
}
