import type { EnvironmentConfig } from '../config/hoist-config.ts';
import type { Trigger } from '../domain/command.ts';
import { getDeployment } from '../store/deployments.ts';
import { awaitingApproval, cancelWaiting, markCanceling, recordSupersedes, unfinishedDeployments, waitingDeployments } from '../store/waiting-deployments.ts';
import type { Actor, CancelResult, CancelTarget } from './contract.ts';
import { checkChannel, findEnvironment, refuse } from './lookup.ts';
import type { LockDeps } from './locks.ts';
import { handOver } from './outage.ts';
import { createPermissions } from './permissions.ts';
import type { QueueEntry } from './views.ts';

export interface EnvironmentQueueDeps extends LockDeps {
  /** Hands the environment's next deployment to a worker when the environment is free (`queue`: its queue as just read, oldest first). */
  kick(app: string, env: string, queue?: readonly number[]): Promise<void>;
  /** Tells the worker running a deployment to stop (after it was marked CANCELING); without it, only waiting deployments can be canceled. */
  signalCancel?: (deploymentId: number) => Promise<void>;
  /** The clock approval deadlines are counted by (tests move it). */
  now?: () => Date;
}

const sameScope = (a: string[] | null, b: string[] | null): boolean =>
  a === null || b === null ? a === b : [...a].sort().join(',') === [...b].sort().join(',');

/** The queue of each environment: positions, cancel, and supersede (SPEC §4). */
export function createEnvironmentQueue(deps: EnvironmentQueueDeps) {
  const { db, config } = deps;
  const permissions = createPermissions(deps.groupsOf);

  /** Unfinished deployments of an environment, oldest first: the running one (no position), then the waiting ones 1, 2, … */
  async function queueOf(app: string, env: string): Promise<QueueEntry[]> {
    const rows = await unfinishedDeployments(db, app, env);
    let waiting = 0;
    return rows.map((r) => ({
      id: r.id,
      action: r.action,
      status: r.status,
      position: r.startedAt === null ? ++waiting : null,
      requestedBy: r.requestedBy,
    }));
  }

  /**
   * With `queue.supersede`, a newer deploy of the same services replaces the
   * older ones still waiting: they end CANCELED "superseded by #N", and the
   * newer one's thread says which it replaced. Older ones waiting for approval are
   * replaced too; a newer one itself waiting for approval replaces only those, not
   * one already approved. An automatic deploy (a push) always replaces the older
   * automatic ones: only the newest push of a burst is worth running.
   */
  async function supersede(env: EnvironmentConfig, newer: { id: number; action: string; scope: string[] | null; awaitingApproval: boolean; trigger: Trigger }): Promise<number[]> {
    const automaticOnly = !env.supersede && newer.trigger === 'webhook';
    if ((!env.supersede && !automaticOnly) || newer.action !== 'deploy') return [];
    const replaced: number[] = [];
    const awaiting = await awaitingApproval(db, env.app, env.name);
    const olderOnes = newer.awaitingApproval ? awaiting : [...(await waitingDeployments(db, env.app, env.name)), ...awaiting];
    for (const older of olderOnes) {
      if (older.id >= newer.id || older.action !== 'deploy' || !sameScope(older.scope, newer.scope)) continue;
      if (automaticOnly && older.trigger !== 'webhook') continue;
      if (await cancelWaiting(db, older.id, `superseded by #${newer.id}`)) {
        await recordSupersedes(db, newer.id, older.id);
        replaced.push(older.id);
      }
    }
    if (replaced.length > 0) deps.notify();
    return replaced;
  }

  async function cancel(target: CancelTarget, actor: Actor): Promise<CancelResult> {
    let id: number;
    if (target.kind === 'deployment') {
      id = target.id;
    } else {
      const found = findEnvironment(config, target.app, target.env);
      if ('ok' in found) return found;
      const queue = await queueOf(target.app, target.env);
      // What runs now; when nothing runs, the newest waiting one (most likely the one just asked for by mistake),
      // and when nothing waits in the queue either, the newest waiting for approval.
      const chosen = queue.find((q) => q.position === null) ?? queue.at(-1) ?? (await awaitingApproval(db, target.app, target.env)).at(-1);
      if (chosen === undefined) return refuse('NOT_FOUND', `nothing runs or waits in ${target.app} in ${target.env}; there is nothing to cancel`);
      id = chosen.id;
    }
    const deployment = await getDeployment(db, id);
    if (deployment === null) return refuse('NOT_FOUND', `there is no deployment #${id}`);
    const app = config.apps.get(deployment.app);
    if (app) {
      const channel = checkChannel(app, actor.origin);
      if (channel) return channel;
      // Whoever asked for it may call it off; anyone else must be one of the environment's deployers.
      const env = app.environments.get(deployment.env);
      if (env && actor.requester.id !== deployment.requestedBy.id && !(await permissions.mayDeploy(env, actor.requester.id))) {
        return refuse(
          'FORBIDDEN',
          `only whoever requested #${id} (${deployment.requestedBy.name}) or ${env.name}'s deployers may cancel it: ${permissions.deployersText(env)}`,
        );
      }
    }
    if (deployment.finishedAt !== null) {
      return refuse('NOT_ALLOWED', `#${id} already ended ${deployment.status}; there is nothing to cancel`);
    }
    const reason = `canceled by @${actor.requester.name}`;
    if (deployment.startedAt === null && (await cancelWaiting(db, id, reason))) {
      deps.notify();
      // It may have been about to start: let the next one have the environment (now, or once the queue service is back).
      await handOver(deps.kick, deployment.app, deployment.env);
      return { ok: true, deployment: (await getDeployment(db, id)) ?? deployment, outcome: 'removed' };
    }
    // It runs (or started just now).
    if (deps.signalCancel === undefined) {
      return refuse('NOT_SUPPORTED', `#${id} is running; stopping a running deployment is not available in this version of Hoist yet`);
    }
    if (await markCanceling(db, id, reason)) deps.notify();
    await deps.signalCancel(id);
    const now = await getDeployment(db, id);
    return { ok: true, deployment: now ?? deployment, outcome: 'canceling' };
  }

  return { queueOf, supersede, cancel };
}

export type EnvironmentQueue = ReturnType<typeof createEnvironmentQueue>;
