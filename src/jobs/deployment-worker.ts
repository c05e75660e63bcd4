import { Worker, type Job } from 'bullmq';
import type { RedisConnection } from './redis.ts';
import type { Deployment } from '../domain/deployment.ts';
import { lockPhrase, lockStops, type EnvironmentLock } from '../domain/lock.ts';
import { deploymentToRun, pickUpToRun } from '../store/environment-now.ts';
import { heartbeatAge } from '../store/fence.ts';
import { cancelWaiting, pickUp } from '../store/waiting-deployments.ts';
import { createDeploymentExecutor, type ExecutorDeps } from './deployment-executor.ts';
import type { Dispatcher } from './dispatcher.ts';
import { RUN_QUEUE_NAME, type RunJob } from './run-queue.ts';

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface WorkerDeps extends ExecutorDeps {
  connection: RedisConnection;
  prefix: string;
  dispatcher: Dispatcher;
  concurrency: number;
  /** How long a stopping worker lets its runs finish before it cancels them (HOIST_WORKER_DRAIN_SECONDS). */
  drainMs?: number;
  /** A job runs its environment's next deployments itself while it has run for less than this (default CHAIN_MS; 0: never). */
  chainMs?: number;
  /** Whether an approved deployment still applies what was approved; false: approval was asked again, and it must not start. */
  approvalHolds(deployment: Deployment): Promise<boolean>;
  /** `app/env` of the environments whose configuration asks for approval of some action (their deployments are checked step by step). */
  approvalEnvironments: readonly string[];
}

/**
 * Runs deployments from the run queue: a job runs only while its deployment holds the
 * environment's lease, and gives the lease up (offering the environment to the next) when
 * it ends. A deployment found started before is either still beating elsewhere (left alone)
 * or lost (taken over).
 */
export interface DeploymentWorker {
  worker: Worker<RunJob>;
  /**
   * Takes no new job and waits for the runs in progress (SIGTERM finishes what runs).
   * BullMQ's own close then waits on Redis; with Redis away, the runs (which need only
   * Postgres) are awaited here and the worker's connections are cut after a short grace.
   */
  close(): Promise<void>;
}

export function createDeploymentWorker(deps: WorkerDeps): DeploymentWorker {
  const { db, lease, logger } = deps;
  const executor = createDeploymentExecutor(deps);
  const chainMs = deps.chainMs ?? CHAIN_MS;
  const running = new Set<Promise<void>>();
  /** Set once close() begins: a job ends with its deployment, handing the next to the run queue. */
  let closing = false;

  /**
   * Rules are re-checked when an action starts: someone else's lock taken while
   * this one waited holds it back for good (CANCELED with who, why and since).
   */
  async function heldBackByLock(
    d: { id: number; app: string; env: string; action: string; requestedBy: { id: string }; startedAt: Date | null },
    lock: EnvironmentLock | null,
  ): Promise<boolean> {
    if (d.startedAt !== null) return false; // resumed after a lost worker: it had started already
    if (lock === null || !lockStops(lock, { userId: d.requestedBy.id, action: d.action })) return false;
    if (!(await cancelWaiting(db, d.id, `${d.app} in ${d.env} is ${lockPhrase(lock)}`))) return false;
    deps.notify();
    return true;
  }

  async function beatsNow(deploymentId: number): Promise<boolean> {
    const age = await heartbeatAge(db, deploymentId);
    return age !== null && age < lease.ttlMs;
  }

  /**
   * Whether the started deployment's executor is alive. A heartbeat that is old only because
   * nobody could reach the database (which just answered again) is fresh a beat later: it is
   * read twice, two beats apart, before the executor is taken for gone.
   */
  async function beatsElsewhere(deploymentId: number): Promise<boolean> {
    return (await beatsNow(deploymentId)) || (await pause(2 * (deps.heartbeatMs ?? 1_000)), await beatsNow(deploymentId));
  }

  async function processJob(job: Job<RunJob>, _token: string | undefined, _signal?: AbortSignal): Promise<void> {
    const run = processJobData(job.data);
    running.add(run);
    try {
      await run;
    } finally {
      running.delete(run);
    }
  }

  /**
   * The usual deployment, offered with its environment: the lease confirmed, then picked up with
   * everything its run starts from in one statement. Anything that could hold it back (a lock, an
   * approval to check, a run started before) takes the way through processDeployment. When it
   * ends, the environment's next deployment may run in the same job (see handOn).
   */
  async function processJobData(job: RunJob): Promise<void> {
    const { deploymentId, app, env } = job;
    if (app === undefined || env === undefined) return processDeployment(deploymentId);
    const taken = await lease.take(app, env, deploymentId);
    if (!('handle' in taken)) return processDeployment(deploymentId);
    const since = Date.now();
    let id = deploymentId;
    let fresh = taken.fresh;
    for (;;) {
      const picked = await pickUpToRun(db, id, deps.approvalEnvironments);
      if (picked === null) {
        // Not free to start: as if this worker had not asked for the lease (it was free, or already this deployment's).
        if (fresh) await lease.release(app, env, id);
        return processDeployment(id);
      }
      let next: number | null;
      let ended = false;
      try {
        // It runs now and the ones behind moved up: said at once, not at its first step.
        deps.notify();
        await executor.execute(picked.deployment, picked.fence, picked.states);
        ended = true;
      } finally {
        // A run that threw ends the job: the next one is offered to the run queue, not taken here.
        next = await handOn(app, env, id, ended && Date.now() - since < chainMs);
      }
      if (next === null) return;
      // Taken for it just now by this worker, as a job's first take would have.
      id = next;
      fresh = true;
    }
  }

  /**
   * The environment is no longer held in this deployment's name: offered to the next one. With
   * `runsNext` (the job has run for less than chainMs) and the worker not stopping, a next
   * deployment that the lease is free for is taken by this worker and its id returned: the job
   * runs it without a round through the run queue. A job running longer gives its slot up, so
   * that jobs of other environments waiting for one are not held back by a long queue.
   */
  async function handOn(app: string, env: string, deploymentId: number, runsNext = false): Promise<number | null> {
    await lease.release(app, env, deploymentId);
    if (runsNext && !closing) return deps.dispatcher.handOff(app, env);
    await deps.dispatcher.kick(app, env);
    return null;
  }

  async function processDeployment(deploymentId: number): Promise<void> {
    // The deployment, and its environment's lock and services, in one read.
    const read = await deploymentToRun(db, deploymentId);
    if (!read) return;
    const { deployment: d, environment } = read;
    if (d.finishedAt) {
      // Over already (a second job for it): its environment must not stay held in its name.
      await handOn(d.app, d.env, d.id);
      return;
    }
    // Waiting for approval (asked again since it was queued), it is not in the queue.
    if (d.status === 'AWAITING_APPROVAL') return;
    if (!(await lease.claim(d.app, d.env, d.id))) {
      logger.warn({ deploymentId }, 'environment lease held by another deployment; leaving this one queued');
      return;
    }
    let handedBack = false;
    try {
      if (d.status === 'QUEUED') {
        if (await heldBackByLock(d, environment.lock)) return;
        if (!(await deps.approvalHolds(d))) return;
        // It leaves the waiting queue (the ones behind move up) and this worker becomes its
        // executor, in one statement, unless it was removed from the queue meanwhile.
        const picked = await pickUp(db, d.id, { fenced: true });
        if (picked.outcome === 'gone') return;
        // Picked up since it was read (its run has not said so yet): by a live worker, it is that one's.
        if (picked.outcome === 'resumed' && (await beatsElsewhere(d.id))) {
          handedBack = true;
          return;
        }
        // It runs now and the ones behind moved up: said at once, not at its first step.
        deps.notify();
        await executor.execute(d, picked.fence, environment.states);
        return;
      }
      // Started before: its executor is either alive (a duplicate job) or gone.
      if (await beatsElsewhere(d.id)) {
        handedBack = true; // the live executor keeps the lease and kicks when it ends
        return;
      }
      await executor.takeOver(d.id);
    } finally {
      if (!handedBack) await handOn(d.app, d.env, d.id);
    }
  }

  const worker = new Worker<RunJob>(RUN_QUEUE_NAME, processJob, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: deps.concurrency,
    // A dead worker's job is noticed within seconds, not BullMQ's default 30 s.
    lockDuration: 5_000,
    stalledInterval: 2_000,
    maxStalledCount: 1,
    autorun: true,
  });

  return {
    worker,
    async close() {
      closing = true;
      const closed = worker.close();
      const drainMs = deps.drainMs ?? DEFAULT_DRAIN_MS;
      if (!(await settlesWithin(Promise.allSettled([...running]), drainMs))) {
        // Stopped for good past its drain time (a pod's grace period ends in SIGKILL): the runs
        // end CANCELED with why, their in-flight service reverted, rather than "worker lost" later.
        const stopped = deps.cancels.stopAll(`the worker running it was stopped and its drain time (${Math.round(drainMs / 1000)} s) ran out`);
        logger.warn({ stopped, drainMs }, 'drain time ran out: canceling the runs still in progress');
        await Promise.allSettled([...running]);
      }
      // What is left of the close is Redis housekeeping: quick when Redis answers, endless
      // when it does not (whether it is away shows only by waiting: a status read before
      // may not know yet). Past the grace, the connections are cut instead.
      if (await settlesWithin(closed, REDIS_CLOSE_GRACE_MS)) return;
      logger.warn('Redis does not answer: closing the worker without it');
      await settlesWithin(worker.disconnect(), REDIS_CLOSE_GRACE_MS);
      deps.connection.disconnect();
      await settlesWithin(closed, REDIS_CLOSE_GRACE_MS);
    },
  };
}

/**
 * A job runs its environment's next deployment itself (no round through the run queue) only
 * while it has run for less than this: quick deployments follow each other at once, and a slot
 * is not kept from other environments' jobs for longer than this and one deployment.
 */
export const CHAIN_MS = 1_000;

/** A stopping worker's runs may take this long to finish by default (deploy/kubernetes gives pods more). */
export const DEFAULT_DRAIN_MS = 600_000;

/** How long the Redis part of a worker's close may take before its connections are cut. */
const REDIS_CLOSE_GRACE_MS = 2_000;

/** Whether `promise` settled (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const outcome = await Promise.race([settled, new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return outcome;
}
