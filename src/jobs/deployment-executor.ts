import type { Logger } from 'pino';
import type { Deployment } from '../domain/deployment.ts';
import { isInProgress } from '../domain/status.ts';
import type { Db } from '../store/database.ts';
import { isDatabaseGone } from '../store/database-errors.ts';
import { getDeployment, setDeploymentStatus, setServiceStatus } from '../store/deployments.ts';
import { heartbeat, StaleFenceError, takeFence, withFence } from '../store/fence.ts';
import type { ServiceStateRow } from '../store/service-state.ts';
import type { CancelListener } from './cancel-signal.ts';
import type { EnvironmentLease } from './environment-lease.ts';
import type { RedisHealth } from './redis-health.ts';

export interface ExecutorDeps {
  db: Db;
  lease: EnvironmentLease;
  cancels: CancelListener;
  /** Runs the deployment (`read`: as the worker just read it, and `states`: its environment's services then, so neither is read again). */
  run(deploymentId: number, signal: AbortSignal, read?: Deployment, states?: readonly ServiceStateRow[]): Promise<void>;
  notify(): void;
  logger: Logger;
  health: RedisHealth;
  /** How often the executor proves it is alive; a deployment silent for `lease.ttlMs` is taken over. */
  heartbeatMs?: number;
}

type Running = { id: number; app: string; env: string };

/** How long a run that failed on an unanswering database waits for it to answer again, to end the run itself. */
export const DATABASE_PATIENCE_MS = 120_000;

/**
 * Executes one deployment under its fence: the executor holds a fencing token in
 * Postgres and beats every second; one that stops beating (killed, frozen, cut off)
 * is taken over by another worker, and its late writes are refused.
 */
export function createDeploymentExecutor(deps: ExecutorDeps) {
  const { db, lease, logger } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 1_000;

  /** Runs `d` under `fence` (the token its pick-up took), or under a token taken now (null); `states`: its environment's services as read with it. */
  async function execute(d: Deployment, fence: number | null = null, states?: readonly ServiceStateRow[]): Promise<void> {
    const token = fence ?? (await takeFence(db, d.id));
    const controller = new AbortController();
    const untrack = deps.cancels.track(d.id, controller);
    const run = { over: false };
    const beat = setInterval(() => {
      void keepAlive(d, token, controller, run);
    }, heartbeatMs);
    try {
      await withFence(d.id, token, () => deps.run(d.id, controller.signal, d, states));
    } catch (error) {
      // Refused by the fence, or cut off while frozen (Postgres ended the session it held a
      // transaction open on): either way another worker may own the deployment now. A
      // database that does not answer cannot say: this worker asks until it answers (its
      // heartbeat goes on meanwhile, so nobody takes over a run that is still here).
      const holds = error instanceof StaleFenceError ? false : await holdsOnceAnswered(d.id, token);
      if (holds === null) {
        logger.error({ deploymentId: d.id, err: error }, 'the database did not answer again; the deployment is ended by whichever worker reaches it first');
        return;
      }
      if (!holds) {
        logger.warn({ deploymentId: d.id, err: error }, 'taken over by another worker; this worker stops here');
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      const reason = isDatabaseGone(error) ? `internal error: the database stopped answering while it ran (${message})` : `internal error: ${message}`;
      logger.error({ deploymentId: d.id, err: error }, 'deployment crashed');
      await withFence(d.id, token, () => endFailed(d.id, reason)).catch((cause: unknown) => logger.error({ deploymentId: d.id, err: cause }, 'could not record the end of a crashed deployment'));
    } finally {
      run.over = true;
      clearInterval(beat);
      untrack();
    }
  }

  /**
   * Whether this worker's token is still the deployment's, asked until the database answers
   * (for up to DATABASE_PATIENCE_MS); null: it never answered.
   */
  async function holdsOnceAnswered(deploymentId: number, token: number): Promise<boolean | null> {
    const until = Date.now() + DATABASE_PATIENCE_MS;
    for (;;) {
      try {
        return (await heartbeat(db, deploymentId, token)).alive;
      } catch (error) {
        if (!isDatabaseGone(error) || Date.now() >= until) return isDatabaseGone(error) ? null : false;
        await new Promise((resolve) => setTimeout(resolve, heartbeatMs));
      }
    }
  }

  async function keepAlive(d: Running, token: number, controller: AbortController, run: { over: boolean }): Promise<void> {
    try {
      const beat = await heartbeat(db, d.id, token);
      // A beat still in flight when the run ended must not take the environment back.
      if (run.over) return;
      if (!beat.alive) {
        if (!controller.signal.aborted) {
          logger.error({ deploymentId: d.id }, 'fence lost: another worker took this deployment over');
          controller.abort(new Error('taken over by another worker'));
        }
        return;
      }
      if (beat.cancelRequested && !controller.signal.aborted) controller.abort(new Error('canceled'));
      // Re-taken if Redis lost it; refused only if another deployment got the environment.
      if (!(await lease.claim(d.app, d.env, d.id)) && !controller.signal.aborted) {
        logger.error({ deploymentId: d.id }, 'environment lease held by another deployment; stopping');
        controller.abort(new Error('environment lease lost'));
      }
    } catch (error) {
      if (!deps.health.absorbs(error, 'heartbeat')) logger.warn({ deploymentId: d.id, err: error }, 'heartbeat failed');
    }
  }

  /** Ends a deployment that cannot go on: its running services failed for `reason`, the ones not reached are canceled. */
  async function endFailed(deploymentId: number, reason: string): Promise<void> {
    const d = await getDeployment(db, deploymentId);
    if (!d || d.finishedAt) return;
    for (const s of d.services) {
      if (isInProgress(s.status)) {
        const running = s.status !== 'QUEUED';
        await setServiceStatus(db, d.id, s.name, {
          status: running ? 'DEPLOYMENT_ERROR' : 'CANCELED',
          reason: running ? reason : 'earlier step failed',
        });
      }
    }
    await setDeploymentStatus(db, d.id, { status: 'DEPLOYMENT_ERROR', reason, finished: true, announce: true });
    deps.notify();
  }

  return {
    execute,
    /** Takes the fence from a lost executor (its late writes are refused from now on) and ends the deployment. */
    async takeOver(deploymentId: number): Promise<void> {
      const token = await takeFence(db, deploymentId);
      await withFence(deploymentId, token, () => endFailed(deploymentId, 'worker lost'));
    },
  };
}

export type DeploymentExecutor = ReturnType<typeof createDeploymentExecutor>;
