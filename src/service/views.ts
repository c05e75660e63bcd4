import type { EnvironmentLock } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { RunningStatus } from '../domain/running-status.ts';
import type { ServiceStatus } from '../domain/status.ts';

export interface ServiceView {
  name: string;
  type: string;
  status: ServiceStatus;
  version: string | null;
  image: string | null;
  deploymentId: number | null;
  updatedAt: Date | null;
  /** The web page of the commit it runs, when the app's repository is a GitHub-style https URL and the version a commit. */
  commitUrl: string | null;
  /** Whether it runs now, as its target says (null: not known yet, never deployed, or a job). */
  running: RunningView | null;
}

/** A service's running status, beside its deployment status. */
export interface RunningView extends RunningStatus {
  /** Since when it is in this state. */
  since: Date;
}

export interface EnvironmentView {
  app: string;
  env: string;
  target: string;
  /** Marked `production: true` in hoist.yaml. */
  production: boolean;
  /** Where a commit of the app's repository is shown, the SHA to be appended (GitHub-style https repositories); null otherwise. */
  commitBaseUrl: string | null;
  /** Whether pushes to its branch deploy it (`autoDeploy`), or only people and pipelines do. */
  autoDeploy: boolean;
  status: ServiceStatus;
  services: ServiceView[];
  /** Deployments waiting or running in this environment, oldest first. */
  queue: QueueEntry[];
  /** Deployments waiting for approval there, oldest first: not in the queue until approved. */
  awaitingApproval: AwaitingEntry[];
  /** The manual lock (or pin) on the environment, if any. */
  lock: EnvironmentLock | null;
  /** The position of the last event of the log this view includes: what follows it changed the view since. */
  eventId: number;
}

export interface AwaitingEntry {
  id: number;
  action: string;
  requestedBy: Person;
  requestedAt: Date;
  /** When it expires unless approved. */
  expiresAt: Date | null;
}

export interface QueueEntry {
  id: number;
  action: string;
  status: string;
  /** 1 = next to run; null while it runs. */
  position: number | null;
  requestedBy: Person;
}

