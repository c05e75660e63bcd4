import type { DeploymentEvent } from './deployment.ts';
import type { EnvironmentLock, EnvironmentNotice, LockAction } from './lock.ts';
import type { Person } from './person.ts';
import type { RunningAnnouncement, RunningState, RunningStatus } from './running-status.ts';

/**
 * A service's running status changed state (RUNNING → DOWN, …). `announce`: the change is
 * told in `channel` (the environment's `notify.channel`, else the app's first channel).
 */
export interface RunningChange {
  kind: 'running';
  service: string;
  running: RunningStatus;
  previous: RunningState | null;
  announce: RunningAnnouncement;
  channel: string | null;
}

/** A change of a service's running status as the log holds it: where, and when it was logged. */
export interface StoredRunningChange {
  id: number;
  app: string;
  env: string;
  change: RunningChange;
  createdAt: Date;
}

/**
 * What Hoist's one event log holds: a deployment's events, the notices about an
 * environment's lock that people should hear of, and every change of a lock.
 */
export type LogEntry =
  | DeploymentEvent
  | { kind: 'notice'; notice: EnvironmentNotice }
  | { kind: 'lock'; action: LockAction; lock: EnvironmentLock; actor: Person | null }
  | RunningChange;

/** An entry as the log holds it: `position` orders the log (see migrations 0010 and 0022), `id` names the row. */
export interface LoggedEvent {
  id: number;
  position: number;
  app: string;
  env: string;
  deploymentId: number | null;
  at: Date;
  entry: LogEntry;
}

/** How long a consumer keeps trying to deliver an event before recording it as undeliverable. */
export const DELIVERY_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The wait before the next try of an event that failed `attempts` times: 1 s, doubling, at most 10 min. */
export function retryDelayMs(attempts: number): number {
  return Math.min(1_000 * 2 ** Math.max(0, attempts - 1), 10 * 60 * 1000);
}

/** The wait an error asks for before the next try (a peer's Retry-After, as `retryAfterMs`); 0 when it asks for none. */
export function waitAskedFor(error: unknown): number {
  if (typeof error !== 'object' || error === null || !('retryAfterMs' in error)) return 0;
  const ms = (error as { retryAfterMs: unknown }).retryAfterMs;
  return typeof ms === 'number' && Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** Whether a failed delivery is given up on: the event is older than the delivery window. */
export function deliveryExpired(eventAt: Date, now: Date): boolean {
  return now.getTime() - eventAt.getTime() >= DELIVERY_MAX_AGE_MS;
}

/** A lock as the public sees it: without where it was taken (a chat's reply handle is no one else's business). */
function publicLock(lock: EnvironmentLock) {
  return { kind: lock.kind, owner: lock.owner, reason: lock.reason, since: new Date(lock.since).toISOString(), expiresAt: lock.expiresAt === null ? null : new Date(lock.expiresAt).toISOString() };
}

/** An entry's own fields, as stream clients see them. */
function publicFields(entry: LogEntry): Record<string, unknown> {
  switch (entry.kind) {
    case 'notice': {
      const { kind, lock, ...rest } = entry.notice;
      return { notice: kind, lock: publicLock(lock), ...rest };
    }
    case 'lock':
      return { action: entry.action, lock: publicLock(entry.lock), actor: entry.actor };
    case 'running': {
      // Which channel hears of it is the chat's business.
      const { kind: _kind, channel: _channel, ...rest } = entry;
      return rest;
    }
    default: {
      const { kind: _kind, deploymentId: _id, ...rest } = entry;
      return rest;
    }
  }
}

/**
 * The event as stream clients see it: `{ id, kind, app, env, deploymentId, at, ...fields }`,
 * `id` being the log position (the SSE id a client resumes from).
 */
export function publicEvent(event: LoggedEvent): Record<string, unknown> {
  return { id: event.position, kind: event.entry.kind, app: event.app, env: event.env, deploymentId: event.deploymentId, at: event.at.toISOString(), ...publicFields(event.entry) };
}
