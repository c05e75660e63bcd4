import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CancelListener } from '../../src/jobs/cancel-signal.ts';
import { createDeploymentWorker, type DeploymentWorker } from '../../src/jobs/deployment-worker.ts';
import { createDispatcher } from '../../src/jobs/dispatcher.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { createRedisHealth } from '../../src/jobs/redis-health.ts';
import { closeRedis, connectRedis, type RedisConnection } from '../../src/jobs/redis.ts';
import { createRunQueue, type RunQueue } from '../../src/jobs/run-queue.ts';
import { getDeployment, insertDeployment, setDeploymentStatus } from '../../src/store/deployments.ts';
import { takeLock } from '../../src/store/locks.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
import { openTestStore, uniquePrefix } from '../support/databases.ts';
import { eventually } from '../support/hoist-harness.ts';
import { newDeployment } from '../support/new-deployment.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });

/**
 * A worker whose deployment ends runs the environment's next one itself, in the same job (no
 * round through the run queue), while the job is young and the worker is not stopping; against
 * real Redis (lease, BullMQ) and Postgres, with a run that only records and finishes.
 */
describe('a worker hands its environment on to the next deployment', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let redis: RedisConnection;
  const connections: RedisConnection[] = [];
  const workers: DeploymentWorker[] = [];
  const queues: RunQueue[] = [];

  beforeAll(async () => {
    store = await openTestStore('postgres');
    redis = connectRedis(REDIS_URL, { name: 'test' });
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) await w.close();
    for (const q of queues.splice(0)) {
      await q.obliterate({ force: true });
      await q.close();
    }
    for (const c of connections.splice(0)) await closeRedis(c);
  });
  afterAll(async () => {
    await closeRedis(redis);
    await store.cleanup();
  });

  /**
   * A worker on a prefix of its own. `hold(id)` keeps that deployment's run going until released;
   * `added` lists the run jobs the dispatcher added, `ran` the deployments run, in order.
   */
  function setUp(options: { chainMs?: number } = {}) {
    const prefix = uniquePrefix();
    const queueConnection = connectRedis(REDIS_URL, { forWorker: true, name: 'test-queue' });
    const workerConnection = connectRedis(REDIS_URL, { forWorker: true, name: 'test-worker' });
    connections.push(queueConnection, workerConnection);
    const queue = createRunQueue(queueConnection, prefix);
    queues.push(queue);
    const added: number[] = [];
    const counted = Object.create(queue) as RunQueue;
    counted.add = (name, data, opts) => {
      added.push(data.deploymentId);
      return queue.add(name, data, opts);
    };
    const lease = createEnvironmentLease(redis, prefix, 60_000);
    const dispatcher = createDispatcher({ db: store.db, queue: counted, lease, logger });
    const ran: number[] = [];
    const holds = new Map<number, { started: () => void; released: Promise<void> }>();
    const hold = (id: number) => {
      let started = () => undefined as void;
      let release = () => undefined as void;
      const startedP = new Promise<void>((resolve) => (started = resolve));
      holds.set(id, { started, released: new Promise<void>((resolve) => (release = resolve)) });
      return { started: startedP, release };
    };
    // Runs are never canceled here: nothing to track.
    const cancels: CancelListener = { ready: Promise.resolve(0), track: () => () => undefined, stopAll: () => 0, close: () => undefined };
    const worker = createDeploymentWorker({
      db: store.db,
      connection: workerConnection,
      prefix,
      lease,
      dispatcher,
      cancels,
      async run(id) {
        ran.push(id);
        const held = holds.get(id);
        if (held) {
          held.started();
          await held.released;
        }
        await setDeploymentStatus(store.db, id, { status: 'DEPLOYED', finished: true });
      },
      notify: () => undefined,
      logger,
      health: createRedisHealth(logger),
      concurrency: 4,
      ...(options.chainMs === undefined ? {} : { chainMs: options.chainMs }),
      approvalHolds: async () => true,
      approvalEnvironments: [],
    });
    workers.push(worker);
    return { dispatcher, lease, added, ran, hold, worker, queue };
  }

  const queued = async (env: string, n: number) => {
    const ids: number[] = [];
    for (let i = 0; i < n; i += 1) ids.push((await insertDeployment(store.db, newDeployment({ env, ref: `v${i}` }))).id);
    return ids;
  };
  const finished = (ids: number[]) =>
    eventually(
      async () => {
        const rows = await Promise.all(ids.map((id) => getDeployment(store.db, id)));
        return rows.every((d) => d?.finishedAt) && rows;
      },
      30_000,
      `deployments ${ids.join(', ')} to finish`,
    );
  /** Offers the environment's queue with its first deployment's run held; resolves once that run started. */
  const kickHoldingFirst = async (w: ReturnType<typeof setUp>, env: string, ids: number[]) => {
    const first = w.hold(ids[0] as number);
    await w.dispatcher.kick('shop', env);
    await first.started;
    return first;
  };

  it('runs the queue behind its deployment in the same job, in order, with the lease in the running one’s name', async () => {
    const { dispatcher, lease, added, ran, hold } = setUp();
    const ids = await queued('chain', 3);
    const second = hold(ids[1] as number);
    await dispatcher.kick('shop', 'chain');
    await second.started;
    // The second runs under the lease in its own name (the first gave it up).
    expect(await lease.take('shop', 'chain', ids[2] as number)).toEqual({ holder: ids[1] });
    second.release();
    await finished(ids);
    expect(ran).toEqual(ids);
    expect(added).toEqual([ids[0]]);
    // The environment is free once its queue is empty.
    expect(await lease.take('shop', 'chain', 999_999)).toMatchObject({ fresh: true });
  });

  it('gives its slot up once the job has run for chainMs: the next deployment goes through the run queue', async () => {
    const { dispatcher, added, ran } = setUp({ chainMs: 0 });
    const ids = await queued('slots', 3);
    await dispatcher.kick('shop', 'slots');
    await finished(ids);
    expect(ran).toEqual(ids);
    expect(added).toEqual(ids);
  });

  it('takes the usual way for a next deployment that may not start as it is: someone else\'s lock taken meanwhile cancels the ones behind', async () => {
    const w = setUp();
    const { added, ran } = w;
    const ids = await queued('locked', 3);
    const first = await kickHoldingFirst(w, 'locked', ids);
    const taken = await takeLock(store.db, { app: 'shop', env: 'locked', kind: 'manual', owner: { id: 'U2', name: 'bob' }, reason: 'incident', ttlMs: null, chat: { kind: 'none' } });
    expect(taken.ok).toBe(true);
    first.release();
    const [, second, third] = await finished(ids);
    expect(ran).toEqual([ids[0]]);
    expect([second?.status, third?.status]).toEqual(['CANCELED', 'CANCELED']);
    expect(second?.reason).toContain('locked by @bob');
    // The second was taken by the first's job, then checked step by step (and the third offered to the run queue after it).
    expect(added).toEqual([ids[0], ids[2]]);
  });

  it('a stopping worker does not start the next deployment: it leaves it queued, offered to the run queue', async () => {
    const w = setUp();
    const { added, ran, worker } = w;
    const ids = await queued('stopping', 2);
    const first = await kickHoldingFirst(w, 'stopping', ids);
    const closed = worker.close();
    first.release();
    await closed;
    expect(ran).toEqual([ids[0]]);
    expect(added).toEqual(ids);
    expect((await getDeployment(store.db, ids[1] as number))?.startedAt).toBeNull();
  });

  it('a job for a deployment a live worker picked up after the job read it leaves it to that worker, and the environment in its name', async () => {
    const { lease, ran, queue } = setUp();
    const [id] = (await queued('picked', 1)) as [number];
    // Picked up by another worker that beats (its run has not said so yet: the status is still QUEUED).
    expect((await pickUp(store.db, id, { fenced: true })).outcome).toBe('picked');
    expect(await lease.claim('shop', 'picked', id)).not.toBeNull();
    await queue.add('run', { deploymentId: id, app: 'shop', env: 'picked' }, { jobId: `run-${id}`, removeOnComplete: true, removeOnFail: true });
    await eventually(async () => (await queue.getJob(`run-${id}`)) === undefined, 30_000, 'the job to be done');
    expect(ran).toEqual([]);
    expect(await lease.take('shop', 'picked', id + 1)).toEqual({ holder: id });
  });
});
