import type { Deployment } from './deployment.ts';
import type { LogEntry } from './event-log.ts';
import type { DeploymentStatus } from './status.ts';

/**
 * How a Hoist deployment shows on GitHub as a GitHub Deployment (SPEC §6): which ones are
 * mirrored, under which environment name, and which deployment status each of its events
 * becomes. Pure; the consumer that talks to GitHub is src/jobs/github-deployments.ts.
 */

/** The states of a GitHub deployment status Hoist uses (`pending` is GitHub's older `queued`). */
export type GitHubDeploymentState = 'queued' | 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface GitHubStatusUpdate {
  state: GitHubDeploymentState;
  /** At most GITHUB_DESCRIPTION_MAX characters. */
  description: string;
}

/** GitHub refuses a deployment's or a status's description longer than this (422). */
export const GITHUB_DESCRIPTION_MAX = 140;

/**
 * `text` on one line, cut to GitHub's 140 characters with an ellipsis where it was cut. Counted
 * in UTF-16 units, as JavaScript (and the strictest reading of GitHub's limit) counts them, and
 * never cutting a character in two.
 */
export function githubDescription(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= GITHUB_DESCRIPTION_MAX) return flat;
  let cut = '';
  for (const char of flat) {
    if (cut.length + char.length > GITHUB_DESCRIPTION_MAX - 1) break;
    cut += char;
  }
  return `${cut}…`;
}

/** The actions that put a commit in an environment: the ones GitHub hears of (stop and restart change no version). */
const MIRRORED_ACTIONS: ReadonlySet<string> = new Set(['deploy', 'redeploy', 'rollback']);

/** Whether a deployment is mirrored on GitHub: it deploys one exact commit. */
export function isMirrored(d: Pick<Deployment, 'action' | 'sha'>): d is Pick<Deployment, 'action'> & { sha: string } {
  return MIRRORED_ACTIONS.has(d.action) && d.sha !== null && /^[0-9a-f]{40}$/.test(d.sha);
}

/**
 * The GitHub environment of a Hoist environment: its name, or `app/env` when several apps
 * deploy from the same repository (two apps' `staging` would otherwise be one environment).
 */
export function githubEnvironmentName(app: string, env: string, appsOfRepo: number): string {
  return appsOfRepo > 1 ? `${app}/${env}` : env;
}

/** Hoist's own failures (not the build's, not the rollout's): reasons the deployment executor gives. */
export function isHoistsOwnFailure(reason: string | null): boolean {
  return reason !== null && (reason === 'worker lost' || reason.startsWith('internal error:'));
}

const withReason = (what: string, reason: string | null) => githubDescription(reason === null || reason === '' ? what : `${what}: ${reason}`);

/**
 * The GitHub status of a deployment-level status (`service: null`); null where GitHub hears
 * nothing (CANCELING: the CANCELED that follows says it). Waiting for approval or checks is
 * `queued`. A deployment canceled, superseded, rejected or expired before or while it ran is
 * `inactive`: it never became what the environment runs, and nothing of it failed (GitHub's
 * `failure` and `error` are red and would have people look for a broken build). `error` is
 * Hoist's own failure (worker lost, an internal error), `failure` the build's or the rollout's.
 */
export function deploymentStatusUpdate(status: DeploymentStatus, reason: string | null): GitHubStatusUpdate | null {
  switch (status) {
    case 'QUEUED':
      return { state: 'queued', description: 'Queued' };
    case 'AWAITING_APPROVAL':
      return { state: 'queued', description: 'Waiting for approval' };
    case 'AWAITING_CHECKS':
      // The reason names the checks waited for ("waiting for CI: lint, test").
      return { state: 'queued', description: reason === null || reason === '' ? 'Waiting for checks' : githubDescription(`${reason.charAt(0).toUpperCase()}${reason.slice(1)}`) };
    case 'BUILDING':
      return { state: 'in_progress', description: 'Building' };
    case 'DEPLOYING':
      return { state: 'in_progress', description: 'Rolling out' };
    case 'DEPLOYED':
      return { state: 'success', description: githubDescription(reason ?? 'Deployed') };
    case 'BUILD_ERROR':
      return isHoistsOwnFailure(reason) ? { state: 'error', description: withReason('Hoist failed', reason) } : { state: 'failure', description: withReason('Build failed', reason) };
    case 'DEPLOYMENT_ERROR':
      return isHoistsOwnFailure(reason) ? { state: 'error', description: withReason('Hoist failed', reason) } : { state: 'failure', description: withReason('Rollout failed', reason) };
    case 'CANCELED':
      return { state: 'inactive', description: reason?.startsWith('superseded ') ? githubDescription(`Superseded ${reason.slice('superseded '.length)}`) : withReason('Canceled', reason) };
    case 'REJECTED':
      return { state: 'inactive', description: withReason('Rejected', reason) };
    case 'EXPIRED':
      return { state: 'inactive', description: withReason('Approval expired', reason) };
    case 'CANCELING':
    case 'NEVER_DEPLOYED':
      return null;
    // Not actions GitHub hears of (isMirrored), but a status all the same.
    case 'STOPPING':
    case 'RESTARTING':
      return { state: 'in_progress', description: status === 'STOPPING' ? 'Stopping' : 'Restarting' };
    case 'STOPPED':
    case 'RESTARTED':
      return { state: 'success', description: status === 'STOPPED' ? 'Stopped' : 'Restarted' };
    case 'STOP_ERROR':
    case 'RESTART_ERROR':
      return { state: 'failure', description: withReason(status === 'STOP_ERROR' ? 'Stop failed' : 'Restart failed', reason) };
    case 'DESTROYING':
      return { state: 'in_progress', description: 'Destroying' };
    case 'DESTROYED':
      return { state: 'success', description: 'Destroyed' };
    case 'DESTROY_ERROR':
      return { state: 'failure', description: withReason('Destroy failed', reason) };
  }
}

/**
 * The GitHub status an entry of the log becomes, for a mirrored deployment; null for entries
 * GitHub hears nothing of. The request is `queued` (or waiting for approval); a service going
 * to work is `in_progress` ("Building api", "Rolling out api"); the deployment's own status
 * lines map as deploymentStatusUpdate says. A service's own end is not the deployment's.
 */
export function githubStatusOf(entry: LogEntry): GitHubStatusUpdate | null {
  if (entry.kind === 'requested') return deploymentStatusUpdate(entry.status ?? 'QUEUED', null);
  if (entry.kind !== 'status') return null;
  if (entry.service === null) return deploymentStatusUpdate(entry.status, entry.reason);
  if (entry.status === 'BUILDING') return { state: 'in_progress', description: githubDescription(`Building ${entry.service}`) };
  if (entry.status === 'DEPLOYING') return { state: 'in_progress', description: githubDescription(`Rolling out ${entry.service}`) };
  return null;
}

/**
 * Where the environment answers, as far as Hoist knows it: on a `docker` target whose engine
 * is local (no host, or a unix socket), the first `expose`d service's host port, which the
 * target publishes on the loopback; null otherwise (a Kubernetes target's ingress is not
 * Hoist's to know).
 */
export function environmentUrl(target: { kind: string; host?: string | undefined }, expose: Record<string, number>): string | null {
  if (target.kind !== 'docker') return null;
  if (target.host !== undefined && target.host !== '' && !target.host.startsWith('unix://')) return null;
  const port = Object.values(expose)[0];
  return port === undefined ? null : `http://127.0.0.1:${port}`;
}

/** What Hoist puts in a GitHub Deployment's `payload`: which Hoist deployment it is (and how a retry finds it again), who asked. */
export interface GitHubDeploymentPayload {
  hoist: { deploymentId: number; app: string; env: string; action: string; requestedBy: string; trigger: string };
}

export function githubPayload(d: Pick<Deployment, 'id' | 'app' | 'env' | 'action' | 'requestedBy' | 'trigger'>): GitHubDeploymentPayload {
  return { hoist: { deploymentId: d.id, app: d.app, env: d.env, action: d.action, requestedBy: d.requestedBy.name, trigger: d.trigger } };
}

/** Whether a GitHub Deployment's payload names Hoist deployment `id` (how a retry after a crash finds the one it made). */
export function payloadNames(payload: unknown, id: number): boolean {
  if (typeof payload === 'string') {
    try {
      return payloadNames(JSON.parse(payload) as unknown, id);
    } catch {
      return false;
    }
  }
  if (typeof payload !== 'object' || payload === null) return false;
  const hoist = (payload as { hoist?: unknown }).hoist;
  return typeof hoist === 'object' && hoist !== null && (hoist as { deploymentId?: unknown }).deploymentId === id;
}

/** The deployment's own description on GitHub: `deploy #12 by alice`. */
export function githubDeploymentDescription(d: Pick<Deployment, 'id' | 'action' | 'requestedBy'>): string {
  return githubDescription(`Hoist ${d.action} #${d.id} by ${d.requestedBy.name}`);
}
