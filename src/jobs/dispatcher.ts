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
    /** `known`: the environment's queue as its caller has just read it (not read again). */
    async kick(app: string, env: string, known?: readonly number[]): Promise<void> {
      const queue = known ?? (await queueIds(deps.db, app, env));
      if (queue[0] !== undefined) await offer(app, env, { id: queue[0] }, new Set(queue));
    },
    /** `kick` for an environment whose oldest unfinished deployment was just read (the reconciler reads every environment's at once). */
    offer,
  };

  /** `queued`: the environment's queue as just read (a holder in it is not over, without asking). */
  async function offer(app: string, env: string, next: { id: number }, queued?: ReadonlySet<number>): Promise<void> {
    const taken = await deps.lease.take(app, env, next.id);
    if ('holder' in taken) {
      // A deployment removed from the queue while it held the lease (canceled just before it started) gives it up here.
      const { holder } = taken;
      if (queued?.has(holder) || !(await isOver(deps.db, holder))) return; // another deployment runs; it kicks when it ends
      await deps.lease.release(app, env, holder);
      if (!(await deps.lease.claim(app, env, next.id))) return;
    }
    await deps.queue.add('run', { deploymentId: next.id }, { jobId: `run-${next.id}`, removeOnComplete: true, removeOnFail: true });
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
