import { Queue } from 'bullmq';
import type { RedisConnection } from './redis.ts';

/** The BullMQ queue that carries deployments to run, whatever their environment. */
export const RUN_QUEUE_NAME = 'deployments';

/** A job carries the id only: the deployment itself lives in Postgres. */
export interface RunJob {
  deploymentId: number;
}

export type RunQueue = Queue<RunJob>;

export function createRunQueue(connection: RedisConnection, prefix: string): RunQueue {
  return new Queue<RunJob>(RUN_QUEUE_NAME, { connection, prefix });
}
