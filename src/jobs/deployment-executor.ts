import type { Logger } from 'pino';
import { isInProgress } from '../domain/status.ts';
import type { Db } from '../store/database.ts';
import { getDeployment, setDeploymentStatus, setServiceStatus } from '../store/deployments.ts';
import { heartbeat, StaleFenceError, takeFence, withFence } from '../store/fence.ts';
import type { CancelListener } from './cancel-signal.ts';
import type { EnvironmentLease } from './environment-lease.ts';
import type { RedisHealth } from './redis-health.ts';

export interface ExecutorDeps {
  db: Db;
  lease: EnvironmentLease;
  cancels: CancelListener;
  run(deploymentId: number, signal: AbortSignal): Promise<void>;
  notify(): void;
  logger: Logger;
  health: RedisHealth;
  /** How often the executor proves it is alive; a deployment silent for `lease.ttlMs` is taken over. */
  heartbeatMs?: number;
}

type Running = { id: number; app: string; env: string };

/**
 * Executes one deployment under its fence: the executor holds a fencing token in
 * Postgres and beats every second; one that stops beating (killed, frozen, cut off)
 * is taken over by another worker, and its late writes are refused.
 */
export function createDeploymentExecutor(deps: ExecutorDeps) {
  const { db, lease, logger } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 1_000;

  async function execute(d: Running): Promise<void> {
    const token = await takeFence(db, d.id);
    const controller = new AbortController();
    const untrack = deps.cancels.track(d.id, controller);
    const run = { over: false };
    const beat = setInterval(() => {
      void keepAlive(d, token, controller, run);
    }, heartbeatMs);
    try {
      await withFence(d.id, token, () => deps.run(d.id, controller.signal));
    } catch (error) {
      // Refused by the fence, or cut off while frozen (Postgres ended the session it held a
      // transaction open on): either way another worker may own the deployment now.
      if (error instanceof StaleFenceError || !(await stillHolds(d.id, token))) {
        logger.warn({ deploymentId: d.id, err: error }, 'taken over by another worker; this worker stops here');
        return;
      }
      logger.error({ deploymentId: d.id, err: error }, 'deployment crashed');
      await withFence(d.id, token, () =>
        setDeploymentStatus(db, d.id, {
          status: 'DEPLOYMENT_ERROR',
          reason: `internal error: ${error instanceof Error ? error.message : String(error)}`,
          finished: true,
          announce: true,
        }),
      ).catch(() => undefined);
      deps.notify();
    } finally {
      run.over = true;
      clearInterval(beat);
      untrack();
    }
  }

  /** Whether this worker's token is still the deployment's (false when another took it over, or when that can't be told). */
  async function stillHolds(deploymentId: number, token: number): Promise<boolean> {
    try {
      return (await heartbeat(db, deploymentId, token)).alive;
    } catch {
      return false;
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

  /** Ends a deployment whose executor stopped beating: its running services failed, the ones not reached are canceled. */
  async function failLost(deploymentId: number): Promise<void> {
    const d = await getDeployment(db, deploymentId);
    if (!d || d.finishedAt) return;
    for (const s of d.services) {
      if (isInProgress(s.status)) {
        const running = s.status !== 'QUEUED';
        await setServiceStatus(db, d.id, s.name, {
          status: running ? 'DEPLOYMENT_ERROR' : 'CANCELED',
          reason: running ? 'worker lost' : 'earlier step failed',
        });
      }
    }
    await setDeploymentStatus(db, d.id, { status: 'DEPLOYMENT_ERROR', reason: 'worker lost', finished: true, announce: true });
    deps.notify();
  }

  return {
    execute,
    /** Takes the fence from a lost executor (its late writes are refused from now on) and ends the deployment. */
    async takeOver(deploymentId: number): Promise<void> {
      const token = await takeFence(db, deploymentId);
      await withFence(deploymentId, token, () => failLost(deploymentId));
    },
  };
}

export type DeploymentExecutor = ReturnType<typeof createDeploymentExecutor>;
