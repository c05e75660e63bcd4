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
  queue: { id: number; action: string; status: string }[];
}
