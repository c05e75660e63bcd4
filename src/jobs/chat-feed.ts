import type { StoredEvent } from '../domain/deployment.ts';
import type { LoggedEvent, StoredRunningChange } from '../domain/event-log.ts';
import type { StoredNotice } from '../domain/lock.ts';
import { asStoredEvent, asStoredNotice } from '../store/events.ts';
import { createEventConsumer, type Delivery, type EventConsumerDeps } from './event-consumer.ts';

/** The chat's name as a consumer of the event log (its cursor, retries and failures). */
export const CHAT_CONSUMER = 'chat';

type Subscribable<T> = { subscribe(handler: (item: T, delivery: Delivery) => Promise<void>): () => void };

/** A deployment's events keep their order; so do an environment's notices. Different ones do not wait on each other. */
export function chatGroupOf(event: LoggedEvent): string {
  return event.deploymentId === null ? `env:${event.app}/${event.env}` : `deployment:${event.deploymentId}`;
}

/**
 * The chat's consumer of the event log, split for its subscribers: the notifier takes
 * deployment events, the notice poster lock notices, the running announcer the running status
 * changes that are announced (lock changes and other running changes are not shown in the chat:
 * the command that made them answered already; the board shows the rest). `start` once all
 * have subscribed.
 */
export function createChatFeed(deps: EventConsumerDeps) {
  const consumer = createEventConsumer(deps, { name: CHAT_CONSUMER, groupOf: chatGroupOf });
  let onEvent: ((event: StoredEvent, delivery: Delivery) => Promise<void>) | null = null;
  let onNotice: ((notice: StoredNotice, delivery: Delivery) => Promise<void>) | null = null;
  let onRunning: ((change: StoredRunningChange, delivery: Delivery) => Promise<void>) | null = null;

  const deliver = async (event: LoggedEvent, delivery: Delivery): Promise<void> => {
    const { entry } = event;
    switch (entry.kind) {
      case 'lock':
        return;
      case 'running':
        if (entry.announce === null) return;
        if (onRunning === null) throw new Error('no one takes running status changes now');
        return onRunning({ id: event.id, app: event.app, env: event.env, change: entry, createdAt: event.at }, delivery);
      case 'notice':
        if (onNotice === null) throw new Error('no one takes lock notices now');
        return onNotice(asStoredNotice({ ...event, entry }), delivery);
      default:
        if (onEvent === null) throw new Error('no one takes deployment events now');
        return onEvent(asStoredEvent({ ...event, entry }), delivery);
    }
  };

  const events: Subscribable<StoredEvent> = {
    subscribe(handler) {
      onEvent = handler;
      return () => {
        onEvent = null;
        consumer.stop();
      };
    },
  };
  const notices: Subscribable<StoredNotice> = {
    subscribe(handler) {
      onNotice = handler;
      return () => {
        onNotice = null;
        consumer.stop();
      };
    },
  };
  const running: Subscribable<StoredRunningChange> = {
    subscribe(handler) {
      onRunning = handler;
      return () => {
        onRunning = null;
        consumer.stop();
      };
    },
  };
  return {
    events,
    notices,
    running,
    start: () => consumer.start(deliver),
    wake: consumer.wake,
    close: consumer.close,
  };
}
