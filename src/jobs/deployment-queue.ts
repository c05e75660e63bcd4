import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { activeDeployments, getDeployment, setDeploymentStatus, setServiceStatus } from '../store/deployments.ts';
import { isInProgress } from '../domain/status.ts';
import type { EnvironmentLease, LeaseHandle } from './environment-lease.ts';

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
      const active = await activeDeployments(deps.db, app, env);
      const next = active[0];
      if (!next) return;
      const handle = await deps.lease.claim(app, env, next.id);
      if (!handle) return; // another deployment of this environment runs; it kicks when it ends
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
  run(deploymentId: number, signal: AbortSignal): Promise<void>;
  notify(): void;
  logger: Logger;
  concurrency: number;
}

/** Runs deployments from the queue while holding, and renewing, their environment's lease. */
export function createDeploymentWorker(deps: WorkerDeps): Worker<RunJob> {
  const { db, lease, logger } = deps;

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

  async function processJob(job: Job<RunJob>, _token: string | undefined, signal?: AbortSignal): Promise<void> {
    const { deploymentId } = job.data;
    const d = await getDeployment(db, deploymentId);
    if (!d || d.finishedAt) return;
    const handle = await lease.claim(d.app, d.env, d.id);
    if (!handle) {
      logger.warn({ deploymentId }, 'environment lease held by another deployment; leaving this one queued');
      return;
    }
    const controller = new AbortController();
    signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
    const renewal = keepLease(d.app, d.env, handle, controller);
    try {
      if (d.status !== 'QUEUED') {
        // It was running on a worker that is gone.
        await failLost(d.id);
        return;
      }
      await deps.run(d.id, controller.signal);
    } catch (error) {
      logger.error({ deploymentId, err: error }, 'deployment crashed');
      await setDeploymentStatus(db, d.id, {
        status: 'DEPLOYMENT_ERROR',
        reason: `internal error: ${error instanceof Error ? error.message : String(error)}`,
        finished: true,
        announce: true,
      }).catch(() => undefined);
      deps.notify();
    } finally {
      clearInterval(renewal);
      await lease.release(d.app, d.env, handle);
      await deps.dispatcher.kick(d.app, d.env);
    }
  }

  function keepLease(app: string, env: string, handle: LeaseHandle, controller: AbortController): NodeJS.Timeout {
    return setInterval(() => {
      lease.renew(app, env, handle).then(
        (held) => {
          if (!held && !controller.signal.aborted) {
            logger.error({ app, env }, 'environment lease lost; stopping the deployment');
            controller.abort(new Error('environment lease lost'));
          }
        },
        (error: unknown) => logger.warn({ err: error }, 'lease renewal failed'),
      );
    }, Math.max(200, Math.floor(lease.ttlMs / 3)));
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
