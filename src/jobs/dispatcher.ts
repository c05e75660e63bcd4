import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { isOver, queueIds } from '../store/waiting-deployments.ts';
import type { EnvironmentLease } from './environment-lease.ts';
import type { RunQueue } from './run-queue.ts';

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
      if (await offer(app, env, { id: head }, new Set(queue), ahead)) return;
      const now = await queueIds(deps.db, app, env);
      if (now[0] !== undefined) await offer(app, env, { id: now[0] }, new Set(now));
    },
    /** `kick` for an environment whose oldest unfinished deployment was just read (the reconciler reads every environment's at once). */
    offer,
  };

  /**
   * `queued`: the environment's queue as just read (a holder in it is not over, without asking).
   * `unsure`: `next` may have finished since the queue was read; when the environment was free
   * for it, it is given back instead of offered. False then (read the queue again); true otherwise.
   */
  async function offer(app: string, env: string, next: { id: number }, queued?: ReadonlySet<number>, unsure = false): Promise<boolean> {
    const taken = await deps.lease.take(app, env, next.id);
    if ('holder' in taken) {
      // A deployment removed from the queue while it held the lease (canceled just before it started) gives it up here.
      const { holder } = taken;
      if (queued?.has(holder) || !(await isOver(deps.db, holder))) return true; // another deployment runs; it kicks when it ends
      await deps.lease.release(app, env, holder);
      if (!(await deps.lease.claim(app, env, next.id))) return true;
    } else if (unsure && taken.fresh) {
      // Holding the lease, it would have run or kicked; free, it may be over (it released it).
      await deps.lease.release(app, env, next.id);
      return false;
    }
    await deps.queue.add('run', { deploymentId: next.id, app, env }, { jobId: `run-${next.id}`, removeOnComplete: true, removeOnFail: true });
    return true;
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
