import type { ServiceStatus } from './status.ts';

/**
 * Whether a service runs, as its target sees it now: separate from its deployment status
 * (what Hoist last did to it). A service `DEPLOYED` an hour ago may be `DOWN` now.
 */
export const RUNNING_STATES = ['RUNNING', 'DEGRADED', 'DOWN', 'STOPPED', 'UNKNOWN'] as const;
export type RunningState = (typeof RUNNING_STATES)[number];

export interface RunningStatus {
  state: RunningState;
  /** Replicas (containers, pods) ready to serve. */
  ready: number;
  /** Replicas that should run. */
  desired: number;
  /** Restarts of its containers so far (summed over replicas). */
  restarts: number;
  /** Why it is DOWN or UNKNOWN, in a few words (`CrashLoopBackOff`, `target unreachable: …`); null otherwise. */
  reason: string | null;
}

/** What a target sees of one service's workload. */
export interface WorkloadReading {
  service: string;
  desired: number;
  ready: number;
  restarts: number;
  /** A replica that will not get better by waiting (`CrashLoopBackOff`, a container that keeps restarting); null when none. */
  failing: string | null;
}

/** What a target said of an environment: its services' workloads, or that it could not be reached. */
export type EnvironmentReading = { ok: true; workloads: WorkloadReading[] } | { ok: false; reason: string };

/** Service types whose workload keeps running (a job runs to its end, a cronjob now and then). */
export function keepsRunning(type: string): boolean {
  return type === 'application' || type === 'container' || type === 'database';
}

/** Deployment statuses after which a service should be running: a change to DOWN is news then. */
const SETTLED_RUNNING: ReadonlySet<ServiceStatus> = new Set<ServiceStatus>(['DEPLOYED', 'RESTARTED']);
const STOPPED_BY_HOIST: ReadonlySet<ServiceStatus> = new Set<ServiceStatus>(['STOPPING', 'STOPPED']);

/**
 * The running status of a service from what the target reads and what Hoist last did to it
 * (`deployment`). Null: nothing to say (never deployed and nothing runs). A replica that keeps
 * crashing makes the service DOWN even when another answers now and then: it cannot be relied on.
 */
export function judgeRunning(reading: WorkloadReading | null | { unreachable: string }, deployment: ServiceStatus): RunningStatus | null {
  if (reading !== null && 'unreachable' in reading) return { state: 'UNKNOWN', ready: 0, desired: 0, restarts: 0, reason: reading.unreachable };
  if (reading === null) {
    if (deployment === 'NEVER_DEPLOYED') return null;
    if (SETTLED_RUNNING.has(deployment)) return { state: 'DOWN', ready: 0, desired: 0, restarts: 0, reason: 'nothing runs on the target' };
    return { state: 'STOPPED', ready: 0, desired: 0, restarts: 0, reason: null };
  }
  const counts = { ready: Math.min(reading.ready, reading.desired), desired: reading.desired, restarts: reading.restarts };
  if (STOPPED_BY_HOIST.has(deployment) || reading.desired === 0) return { state: 'STOPPED', ...counts, ready: reading.ready, reason: null };
  if (reading.failing !== null) return { state: 'DOWN', ...counts, reason: reading.failing };
  if (counts.ready === 0) return { state: 'DOWN', ...counts, reason: 'no replica is ready' };
  if (counts.ready < counts.desired) return { state: 'DEGRADED', ...counts, reason: null };
  return { state: 'RUNNING', ...counts, reason: null };
}

/** What is remembered between two readings: the last status, and whether its fall was announced. */
export interface RunningMemory {
  state: RunningState;
  announcedDown: boolean;
}

export type RunningAnnouncement = 'down' | 'recovered' | null;

/**
 * Whether a change is told in the chat: a service that goes DOWN while it should run (after a
 * successful deployment or restart, not in the middle of one), once; and once again when it runs
 * again. A service stopped on purpose forgets its fall without a word; UNKNOWN says nothing either way.
 */
export function announcementOf(before: RunningMemory | null, next: RunningStatus, deployment: ServiceStatus): { announce: RunningAnnouncement; announcedDown: boolean } {
  const announcedDown = before?.announcedDown ?? false;
  switch (next.state) {
    case 'DOWN':
      if (!announcedDown && SETTLED_RUNNING.has(deployment)) return { announce: 'down', announcedDown: true };
      return { announce: null, announcedDown };
    case 'RUNNING':
      return announcedDown ? { announce: 'recovered', announcedDown: false } : { announce: null, announcedDown: false };
    case 'STOPPED':
      return { announce: null, announcedDown: false };
    case 'DEGRADED':
    case 'UNKNOWN':
      return { announce: null, announcedDown };
  }
}

/** `DOWN 0/2, 14 restarts`; `RUNNING 2/2`; `UNKNOWN` (no counts: the target was not read). */
export function runningPhrase(status: Pick<RunningStatus, 'state' | 'ready' | 'desired' | 'restarts'>): string {
  if (status.state === 'UNKNOWN') return 'UNKNOWN';
  const restarts = status.restarts === 0 ? '' : `, ${status.restarts} restart${status.restarts === 1 ? '' : 's'}`;
  return `${status.state} ${status.ready}/${status.desired}${restarts}`;
}

/** `DEPLOYED · DOWN 0/2, 14 restarts`: the deployment status beside the running one (alone when there is none). */
export function statusBeside(deployment: ServiceStatus, running: RunningStatus | null): string {
  return running === null ? deployment : `${deployment} · ${runningPhrase(running)}`;
}
