import { Queue, Worker } from 'bullmq';
import { connectRedis } from '../src/jobs/redis.ts';
import { uniquePrefix } from '../test/support/databases.ts';
import { deleteKeys } from './bench-hoist.ts';
import { epochMs } from './open-loop.ts';

export interface BullmqBaseline {
  /** Enqueue → processor start, one job at a time on an idle worker (ms). */
  idle: number[];
  /** A job added at the end of the previous job's processor → its processor start (ms): a hand-off with nothing else. */
  chained: number[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The floor of Hoist's hand-off: a bare BullMQ queue and worker (the same Redis, the
 * same connection settings and worker options as Hoist's) whose processor does nothing.
 */
export async function measureBullmq(options: { jobs: number; warmup: number; concurrency: number; gapMs: number }): Promise<BullmqBaseline> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = uniquePrefix().replace('hoist-test-', 'hoist-bench-bullmq-');
  const queueConnection = connectRedis(redisUrl, { forWorker: true, name: 'bench-bullmq-queue' });
  const workerConnection = connectRedis(redisUrl, { forWorker: true, name: 'bench-bullmq-worker' });
  const queue = new Queue<{ sentAt: number; chain: number }>('baseline', { connection: queueConnection, prefix });
  const started = new Map<string, number>();
  const waiters = new Map<string, () => void>();
  let chainLeft = 0;
  let chainEnd: (() => void) | null = null;
  const chainStarts: number[] = [];
  const chainAdds: number[] = [];
  const worker = new Worker<{ sentAt: number; chain: number }>(
    'baseline',
    async (job) => {
      const at = epochMs();
      started.set(job.id ?? '', at);
      waiters.get(job.id ?? '')?.();
      if (job.data.chain > 0) {
        chainStarts.push(at);
        if (chainLeft > 0) {
          chainLeft -= 1;
          chainAdds.push(epochMs());
          await queue.add('run', { sentAt: epochMs(), chain: job.data.chain + 1 }, { removeOnComplete: true, removeOnFail: true });
        } else {
          chainEnd?.();
        }
      }
    },
    // Hoist's worker options (src/jobs/deployment-worker.ts).
    { connection: workerConnection, prefix, concurrency: options.concurrency, lockDuration: 5_000, stalledInterval: 2_000, maxStalledCount: 1 },
  );
  try {
    await worker.waitUntilReady();
    const idle: number[] = [];
    for (let i = 0; i < options.warmup + options.jobs; i += 1) {
      await sleep(options.gapMs); // the worker is idle, blocked waiting for a job
      const sentAt = epochMs();
      const job = await queue.add('run', { sentAt, chain: 0 }, { removeOnComplete: true, removeOnFail: true });
      const id = job.id ?? '';
      if (!started.has(id)) await new Promise<void>((resolve) => waiters.set(id, resolve));
      waiters.delete(id);
      if (i >= options.warmup) idle.push((started.get(id) ?? sentAt) - sentAt);
    }
    await sleep(options.gapMs);
    // The processor of each job adds the next one, like Hoist's kick when a deployment ends.
    chainLeft = options.warmup + options.jobs;
    await new Promise<void>((resolve) => {
      chainEnd = resolve;
      void queue.add('run', { sentAt: epochMs(), chain: 1 }, { removeOnComplete: true, removeOnFail: true });
    });
    // chainAdds[k] is the add made by job k's processor; chainStarts[k + 1] the start of the job it added.
    const chained = chainAdds.map((added, k) => (chainStarts[k + 1] ?? added) - added).slice(options.warmup);
    return { idle, chained };
  } finally {
    await worker.close();
    await queue.close();
    await deleteKeys(redisUrl, `${prefix}:*`).catch(() => undefined);
    for (const c of [queueConnection, workerConnection]) c.disconnect();
  }
}
