import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisKeys } from './redis.ts';
import type { RedisHealth } from './redis-health.ts';

/** Tells every process that new events are in the log. */
export function createEventSignal(redis: Redis, prefix: string, logger: Logger, health: RedisHealth): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  return () => {
    // Unheard, the events still reach every process: each reader of the log also polls it.
    redis.publish(channel, '1').catch((error: unknown) => {
      if (!health.absorbs(error, 'event signal')) logger.warn({ err: error }, 'event signal failed');
    });
  };
}

/** Calls `onEvents` whenever any process signals new events; returns the way to stop listening. */
export function listenForEvents(subscriber: Redis, prefix: string, onEvents: () => void): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  const onMessage = (from: string) => {
    if (from === channel) onEvents();
  };
  // Subscribing twice to a channel (the log's readers do too) is harmless; a reconnect resubscribes.
  void subscriber.subscribe(channel).catch(() => undefined);
  subscriber.on('message', onMessage);
  return () => subscriber.off('message', onMessage);
}
