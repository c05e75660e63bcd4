import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { isOver, queueIds } from '../store/waiting-deployments.ts';
import type { EnvironmentLease } from './environment-lease.ts';
import type { RunQueue } from './run-queue.ts';

/** What became of an offer: a job was added (or none was due), the queue must be read again, or the caller took the lease for it and runs it itself. */
type Placed = 'placed' | 'read-again' | 'run-here';

/**
 * Hands each environment's oldest unfinished deployment to the run queue once it
 * holds the environment's lease. Postgres decides the order (FIFO by id); the lease
 * makes sure only one deployment per environment is ever handed out.
 */
export function createDispatcher(deps: { db: Db; queue: RunQueue; lease: EnvironmentLease; logger: Logger }) {
  return {
    /**
     * `known`: the environment's queue as a request just recorded it, itself last (not read
     * again). That queue was read before the request committed: a deployment ahead of it may
     * have finished since, and its worker, looking for the next one before this request
     * committed, found none. So when the environment was free for a deployment ahead of the
     * request, the queue is read again rather than that deployment offered.
     */
    async kick(app: string, env: string, known?: readonly number[]): Promise<void> {
      const queue = known ?? (await queueIds(deps.db, app, env));
      const head = queue[0];
      if (head === undefined) return;
      const ahead = known !== undefined && head !== known[known.length - 1];
      if ((await place(app, env, head, new Set(queue), ahead, false)) !== 'read-again') return;
      const now = await queueIds(deps.db, app, env);
      if (now[0] !== undefined) await place(app, env, now[0], new Set(now), false, false);
    },
    /**
     * `kick` by a worker whose deployment in the environment just ended and gave the lease up:
     * when the lease is free for the environment's next deployment, the worker takes it and runs
     * that deployment itself (its id); otherwise as `kick` (null).
     */
    async handOff(app: string, env: string): Promise<number | null> {
      const queue = await queueIds(deps.db, app, env);
      const head = queue[0];
      if (head === undefined) return null;
      return (await place(app, env, head, new Set(queue), false, true)) === 'run-here' ? head : null;
    },
    /** `kick` for an environment whose oldest unfinished deployment was just read (the reconciler reads every environment's at once). */
    async offer(app: string, env: string, next: { id: number }): Promise<void> {
      await place(app, env, next.id, undefined, false, false);
    },
  };

  /**
   * `queued`: the environment's queue as just read (a holder in it is not over, without asking).
   * `unsure`: `next` may have finished since the queue was read; when the environment was free
   * for it, it is given back instead of offered ('read-again'). `runHere`: when the lease was
   * free and taken for `next` just now, no job is added: the caller runs it ('run-here').
   */
  async function place(app: string, env: string, next: number, queued: ReadonlySet<number> | undefined, unsure: boolean, runHere: boolean): Promise<Placed> {
    const taken = await deps.lease.take(app, env, next, false);
    let fresh: boolean;
    if ('holder' in taken) {
      // A deployment removed from the queue while it held the lease (canceled just before it started) gives it up here.
      const { holder } = taken;
      if (queued?.has(holder) || !(await isOver(deps.db, holder))) return 'placed'; // another deployment runs; it kicks when it ends
      await deps.lease.release(app, env, holder);
      const retaken = await deps.lease.take(app, env, next, false);
      if (!('handle' in retaken)) return 'placed';
      fresh = retaken.fresh;
    } else if (unsure && taken.fresh) {
      // Holding the lease, it would have run or kicked; free, it may be over (it released it).
      await deps.lease.release(app, env, next);
      return 'read-again';
    } else {
      fresh = taken.fresh;
    }
    // Held already in its name: whoever took it for it runs it or adds its job (or, gone, the
    // lease lapses within its ttl, which this offer did not renew, and the next offer finds it
    // free). A second job would race with a run that has none (a worker's next deployment, run
    // in its job).
    if (!fresh) return 'placed';
    if (runHere) return 'run-here';
    await deps.queue.add('run', { deploymentId: next, app, env }, { jobId: `run-${next}`, removeOnComplete: true, removeOnFail: true });
    return 'placed';
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
