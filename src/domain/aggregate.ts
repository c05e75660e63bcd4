import type { ServiceStatus } from './status.ts';

/**
 * Environment status from its services' statuses (Qovery's rules):
 * any service in progress shows the first in-progress status by precedence,
 * else any error shows the first error by precedence, else DEPLOYED when one
 * is deployed, else the most telling settled status.
 */
const PRECEDENCE: readonly ServiceStatus[] = [
  // in progress
  'CANCELING',
  'DESTROYING',
  'STOPPING',
  'RESTARTING',
  'BUILDING',
  'DEPLOYING',
  'QUEUED',
  // errors
  'BUILD_ERROR',
  'DEPLOYMENT_ERROR',
  'RESTART_ERROR',
  'STOP_ERROR',
  'DESTROY_ERROR',
  // settled
  'DEPLOYED',
  'RESTARTED',
  'STOPPED',
  'DESTROYED',
  'CANCELED',
  'NEVER_DEPLOYED',
];

export function aggregateEnvironmentStatus(statuses: readonly ServiceStatus[]): ServiceStatus {
  if (statuses.length === 0) return 'NEVER_DEPLOYED';
  let best = PRECEDENCE.length;
  for (const status of statuses) {
    const rank = PRECEDENCE.indexOf(status);
    if (rank < best) best = rank;
  }
  const winner = PRECEDENCE[best] ?? 'NEVER_DEPLOYED';
  // A restarted service is running: the environment counts as deployed.
  return winner === 'RESTARTED' ? 'DEPLOYED' : winner;
}
