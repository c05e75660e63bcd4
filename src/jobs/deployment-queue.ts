import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { getDeployment, setDeploymentStatus, setServiceStatus } from '../store/deployments.ts';
import { unfinishedDeployments } from '../store/waiting-deployments.ts';
import { heartbeat, heartbeatAge, StaleFenceError, takeFence, withFence } from '../store/fence.ts';
import { lockPhrase, lockStops } from '../domain/lock.ts';
import { isInProgress } from '../domain/status.ts';
import { currentLock } from '../store/locks.ts';
import { cancelWaiting, pickUp } from '../store/waiting-deployments.ts';
import type { CancelListener } from './cancel-signal.ts';
import type { EnvironmentLease } from './environment-lease.ts';

export const QUEUE_NAME = 'deployments';

export interface RunJob {
  deploymentId: number;
}

/**
 * Hands each environment's oldest unfinished deployment to the BullMQ queue once it
 * holds the environment's lease. Postgres decides the order (FIFO by id); the lease
 * makes sure only one deployment per environment is ever handed out.
 */
export function createDispatcher(deps: { db: Db; queue: Queue<RunJob>; lease: EnvironmentLease; logger: Logger }) {
  return {
    async kick(app: string, env: string): Promise<void> {
      const active = await unfinishedDeployments(deps.db, app, env);
      const next = active[0];
      if (!next) return;
      let handle = await deps.lease.claim(app, env, next.id);
      if (!handle) {
        // A deployment removed from the queue while it held the lease (canceled just before it started) gives it up here.
        const holder = await deps.lease.holder(app, env);
        const held = holder === null ? null : await getDeployment(deps.db, holder);
        if (holder === null || (held !== null && held.finishedAt === null)) return; // another deployment runs; it kicks when it ends
        await deps.lease.release(app, env, holder);
        handle = await deps.lease.claim(app, env, next.id);
        if (!handle) return;
      }
      await deps.queue.add('run', { deploymentId: next.id }, { jobId: `run-${next.id}`, removeOnComplete: true, removeOnFail: true });
    },
  };
}

export type Dispatcher = ReturnType<typeof createDispatcher>;

export function createDeploymentQueue(connection: Redis, prefix: string): Queue<RunJob> {
  return new Queue<RunJob>(QUEUE_NAME, { connection, prefix });
}

export interface WorkerDeps {
  db: Db;
  connection: Redis;
  prefix: string;
  lease: EnvironmentLease;
  dispatcher: Dispatcher;
  cancels: CancelListener;
  run(deploymentId: number, signal: AbortSignal): Promise<void>;
  notify(): void;
  logger: Logger;
  concurrency: number;
  /** How often the executor proves it is alive; a deployment silent for `lease.ttlMs` is taken over. */
  heartbeatMs?: number;
}

/**
 * Runs deployments from the queue. The executor of a deployment holds a fencing token
 * in Postgres and beats every second; one that stops beating (killed, frozen, cut off)
 * is taken over by another worker, and its late writes are refused.
 */
export function createDeploymentWorker(deps: WorkerDeps): Worker<RunJob> {
  const { db, lease, logger } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 1_000;

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

  async function execute(d: { id: number; app: string; env: string }): Promise<void> {
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

  async function keepAlive(
    d: { id: number; app: string; env: string },
    token: number,
    controller: AbortController,
    run: { over: boolean },
  ): Promise<void> {
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
      logger.warn({ deploymentId: d.id, err: error }, 'heartbeat failed');
    }
  }

  /**
   * Rules are re-checked when an action starts: someone else's lock taken while
   * this one waited holds it back for good (CANCELED with who, why and since).
   */
  async function heldBackByLock(d: { id: number; app: string; env: string; action: string; requestedBy: { id: string }; startedAt: Date | null }): Promise<boolean> {
    if (d.startedAt !== null) return false; // resumed after a lost worker: it had started already
    const lock = await currentLock(db, d.app, d.env);
    if (lock === null || !lockStops(lock, { userId: d.requestedBy.id, action: d.action })) return false;
    if (!(await cancelWaiting(db, d.id, `${d.app} in ${d.env} is ${lockPhrase(lock)}`))) return false;
    deps.notify();
    return true;
  }

  async function processJob(job: Job<RunJob>, _token: string | undefined, _signal?: AbortSignal): Promise<void> {
    const { deploymentId } = job.data;
    const d = await getDeployment(db, deploymentId);
    if (!d || d.finishedAt) return;
    if (!(await lease.claim(d.app, d.env, d.id))) {
      logger.warn({ deploymentId }, 'environment lease held by another deployment; leaving this one queued');
      return;
    }
    let handedBack = false;
    try {
      if (d.status === 'QUEUED') {
        if (await heldBackByLock(d)) return;
        // It leaves the waiting queue (the ones behind move up), unless it was removed from it meanwhile.
        if ((await pickUp(db, d.id)) === 'gone') return;
        await execute(d);
        return;
      }
      // Started before: its executor is either alive (a duplicate job) or gone.
      const age = await heartbeatAge(db, d.id);
      if (age !== null && age < lease.ttlMs) {
        handedBack = true; // the live executor keeps the lease and kicks when it ends
        return;
      }
      const token = await takeFence(db, d.id);
      await withFence(d.id, token, () => failLost(d.id));
    } finally {
      if (!handedBack) {
        await lease.release(d.app, d.env, d.id);
        await deps.dispatcher.kick(d.app, d.env);
      }
    }
  }

  return new Worker<RunJob>(QUEUE_NAME, processJob, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    // A dead worker's job is noticed within seconds, not BullMQ's default 30 s.
    lockDuration: 5_000,
    stalledInterval: 2_000,
    maxStalledCount: 1,
    autorun: true,
  });
}
