import { Queue } from 'bullmq';
import type { RedisConnection } from './redis.ts';

/** The BullMQ queue that carries deployments to run, whatever their environment. */
export const RUN_QUEUE_NAME = 'deployments';

/**
 * A job carries the deployment's id, and its environment (which never changes) so that the
 * worker can confirm the lease before it reads anything: the deployment itself lives in Postgres.
 * Jobs queued by an earlier version have no environment.
 */
export interface RunJob {
  deploymentId: number;
  app?: string;
  env?: string;
}

export type RunQueue = Queue<RunJob>;

export function createRunQueue(connection: RedisConnection, prefix: string): RunQueue {
  return new Queue<RunJob>(RUN_QUEUE_NAME, { connection, prefix });
}
