import type { RedisConnection } from './redis.ts';
import type { Logger } from 'pino';
import { redisKeys } from './redis.ts';
import type { RedisHealth } from './redis-health.ts';

/**
 * Tells every process that new events are in the log. One message at a time: the signals given
 * while one is on its way are told by one more message after it (each reader reads everything
 * new when woken), so a burst of writes wakes the readers once or twice, not once per write.
 */
export function createEventSignal(redis: RedisConnection, prefix: string, logger: Logger, health: RedisHealth): () => void {
  const channel = redisKeys(prefix).eventsChannel;
  let sending = false;
  let again = false;
  const send = (): void => {
    sending = true;
    again = false;
    // Unheard, the events still reach every process: each reader of the log also polls it.
    redis
      .publish(channel, '1')
      .catch((error: unknown) => {
        if (!health.absorbs(error, 'event signal')) logger.warn({ err: error }, 'event signal failed');
      })
      .finally(() => {
        sending = false;
        if (again) send();
      });
  };
  return () => {
    if (sending) again = true;
    else send();
  };
}

/** What listenForEvents returns: when the subscription is in place, and the way to stop listening. */
export interface EventListening {
  /** Resolves once Redis confirmed the subscription (it never rejects: the readers poll besides). */
  ready: Promise<void>;
  stop(): void;
}

/**
 * Calls `onEvents` whenever any process signals new events. Every reader of the log listens
 * through here; subscribing twice to the channel on one connection is harmless, and a
 * reconnect resubscribes.
 */
export function listenForEvents(subscriber: RedisConnection, prefix: string, onEvents: () => void): EventListening {
  const channel = redisKeys(prefix).eventsChannel;
  const onMessage = (from: string) => {
    if (from === channel) onEvents();
  };
  subscriber.on('message', onMessage);
  return {
    ready: subscriber.subscribe(channel).then(
      () => undefined,
      () => undefined,
    ),
    stop: () => subscriber.off('message', onMessage),
  };
}
