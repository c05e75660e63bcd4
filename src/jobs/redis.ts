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

export function redisKeys(prefix: string) {
  return {
    lease: (app: string, env: string) => `${prefix}:lease:${app}/${env}`,
    fence: (app: string, env: string) => `${prefix}:fence:${app}/${env}`,
    eventsChannel: `${prefix}:events`,
    cancelChannel: `${prefix}:cancel`,
    outboxLeader: `${prefix}:outbox-leader`,
    noticeLeader: `${prefix}:notice-leader`,
  };
}
