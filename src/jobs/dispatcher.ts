import type { Logger } from 'pino';
import type { Db } from '../store/database.ts';
import { getDeployment } from '../store/deployments.ts';
import { unfinishedDeployments } from '../store/waiting-deployments.ts';
import type { EnvironmentLease } from './environment-lease.ts';
import type { RunQueue } from './run-queue.ts';

/**
 * Hands each environment's oldest unfinished deployment to the run queue once it
 * holds the environment's lease. Postgres decides the order (FIFO by id); the lease
 * makes sure only one deployment per environment is ever handed out.
 */
export function createDispatcher(deps: { db: Db; queue: RunQueue; lease: EnvironmentLease; logger: Logger }) {
  return {
    async kick(app: string, env: string): Promise<void> {
      const next = (await unfinishedDeployments(deps.db, app, env))[0];
      if (next) await offer(app, env, next);
    },
    /** `kick` for an environment whose oldest unfinished deployment was just read (the reconciler reads every environment's at once). */
    offer,
  };

  async function offer(app: string, env: string, next: { id: number }): Promise<void> {
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
  }
}

export type Dispatcher = ReturnType<typeof createDispatcher>;
