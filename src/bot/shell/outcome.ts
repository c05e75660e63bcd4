import type { ActionVerb } from '../../domain/command.ts';
import type { Deployment } from '../../domain/deployment.ts';
import type { DeploymentStatus } from '../../domain/status.ts';

const SUCCESS: Record<ActionVerb, readonly DeploymentStatus[]> = {
  deploy: ['DEPLOYED'],
  redeploy: ['DEPLOYED'],
  rollback: ['DEPLOYED'],
  stop: ['STOPPED'],
  // A restarted environment is running: the aggregate reads DEPLOYED.
  restart: ['RESTARTED', 'DEPLOYED'],
  destroy: ['DESTROYED'],
};

/** Whether a finished deployment did what its action set out to do. */
export function succeeded(deployment: Pick<Deployment, 'action' | 'status'>): boolean {
  return SUCCESS[deployment.action].includes(deployment.status);
}

/** `#1 hello/local DEPLOYED`, and the reason when it did not succeed. */
export function outcomeLine(deployment: Deployment): string {
  const line = `#${deployment.id} ${deployment.app}/${deployment.env} ${deployment.status}`;
  return !succeeded(deployment) && deployment.reason ? `${line} — ${deployment.reason}` : line;
}
