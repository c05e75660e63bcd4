/** Statuses of SPEC §3. Strings are the wire names used by the API and the chat. */
export const SERVICE_STATUSES = [
  'NEVER_DEPLOYED',
  'QUEUED',
  'BUILDING',
  'BUILD_ERROR',
  'DEPLOYING',
  'DEPLOYED',
  'DEPLOYMENT_ERROR',
  'STOPPING',
  'STOPPED',
  'STOP_ERROR',
  'RESTARTING',
  'RESTARTED',
  'RESTART_ERROR',
  'DESTROYING',
  'DESTROYED',
  'DESTROY_ERROR',
  'CANCELING',
  'CANCELED',
] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

export const PRE_RUN_STATUSES = ['AWAITING_CHECKS', 'AWAITING_APPROVAL', 'REJECTED', 'EXPIRED'] as const;
export type DeploymentStatus = ServiceStatus | (typeof PRE_RUN_STATUSES)[number];

const IN_PROGRESS: ReadonlySet<DeploymentStatus> = new Set([
  'QUEUED',
  'BUILDING',
  'DEPLOYING',
  'STOPPING',
  'RESTARTING',
  'DESTROYING',
  'CANCELING',
  'AWAITING_CHECKS',
  'AWAITING_APPROVAL',
]);
const ERRORS: ReadonlySet<DeploymentStatus> = new Set([
  'BUILD_ERROR',
  'DEPLOYMENT_ERROR',
  'STOP_ERROR',
  'RESTART_ERROR',
  'DESTROY_ERROR',
]);

export function isInProgress(status: DeploymentStatus): boolean {
  return IN_PROGRESS.has(status);
}

export function isError(status: DeploymentStatus): boolean {
  return ERRORS.has(status);
}

/** A deployment in one of these statuses will never change again. */
export function isFinal(status: DeploymentStatus): boolean {
  return !IN_PROGRESS.has(status);
}

export function isServiceStatus(value: string): value is ServiceStatus {
  return (SERVICE_STATUSES as readonly string[]).includes(value);
}
