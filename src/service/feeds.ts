import type { DeploymentEvent } from '../domain/deployment.ts';
import type { EnvironmentNotice } from '../domain/lock.ts';

export interface StoredEvent {
  id: number;
  deploymentId: number;
  event: DeploymentEvent;
  createdAt: Date;
}

/**
 * Delivers stored deployment events to a subscriber: in order per deployment,
 * each event until the handler resolves once (a Postgres-backed outbox). A
 * handler that throws gets the event again later.
 */
export interface EventFeed {
  subscribe(handler: (event: StoredEvent) => Promise<void>): () => void;
}

export interface StoredNotice {
  id: number;
  notice: EnvironmentNotice;
  createdAt: Date;
}

/** Delivers stored environment notices (lock reminders, expiries, …) to a subscriber, oldest first, each until its handler resolves once. */
export interface NoticeFeed {
  subscribe(handler: (notice: StoredNotice) => Promise<void>): () => void;
}

/** Where a deployment's chat card lives, as the chat adapter recorded it (opaque JSON). */
export interface CardStore {
  get(deploymentId: number): Promise<Record<string, string> | null>;
  save(deploymentId: number, ref: Record<string, string>): Promise<void>;
}
