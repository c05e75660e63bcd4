import type { EnvironmentLock } from '../domain/lock.ts';
import type { Person } from '../domain/person.ts';
import type { ServiceStatus } from '../domain/status.ts';

export interface ServiceView {
  name: string;
  type: string;
  status: ServiceStatus;
  version: string | null;
  image: string | null;
  deploymentId: number | null;
  updatedAt: Date | null;
}

export interface EnvironmentView {
  app: string;
  env: string;
  target: string;
  status: ServiceStatus;
  services: ServiceView[];
  /** Deployments waiting or running in this environment, oldest first. */
  queue: QueueEntry[];
  /** The manual lock (or pin) on the environment, if any. */
  lock: EnvironmentLock | null;
}

export interface QueueEntry {
  id: number;
  action: string;
  status: string;
  /** 1 = next to run; null while it runs. */
  position: number | null;
  requestedBy: Person;
}

