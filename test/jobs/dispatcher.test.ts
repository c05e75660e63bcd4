import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDispatcher } from '../../src/jobs/dispatcher.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { closeRedis, connectRedis, type RedisConnection } from '../../src/jobs/redis.ts';
import { createRunQueue, type RunQueue } from '../../src/jobs/run-queue.ts';
import { insertDeployment, setDeploymentStatus } from '../../src/store/deployments.ts';
import { openTestStore, uniquePrefix } from '../support/databases.ts';
import { eventually } from '../support/hoist-harness.ts';
import { newDeployment } from '../support/new-deployment.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A deployment of shop in `env`, each with a ref of its own (identical requests would not be two). */
const request = (env: string, ref: string) => newDeployment({ env, ref });

/** The dispatcher against real Redis (lease, BullMQ queue) and Postgres: who gets the environment when it is kicked. */
describe('dispatcher', () => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  let redis: RedisConnection;
  let queueConnection: RedisConnection;
  let queue: RunQueue;
  const prefix = uniquePrefix();

  beforeAll(async () => {
    store = await openTestStore('postgres');
    redis = connectRedis(REDIS_URL, { name: 'test' });
    queueConnection = connectRedis(REDIS_URL, { forWorker: true, name: 'test-queue' });
    queue = createRunQueue(queueConnection, prefix);
  });
  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await closeRedis(queueConnection);
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await closeRedis(redis);
    await store.cleanup();
  });

  const setUp = () => {
    const lease = createEnvironmentLease(redis, prefix, 60_000);
    return { lease, dispatcher: createDispatcher({ db: store.db, queue, lease, logger: pino({ level: 'silent' }) }) };
  };
  const offered = async (id: number) => (await queue.getJob(`run-${id}`)) !== undefined;

  it('offers a free environment its oldest deployment, and nothing more while that one holds it', async () => {
    const { lease, dispatcher } = setUp();
    const first = await insertDeployment(store.db, request('free', 'v1'));
    const second = await insertDeployment(store.db, request('free', 'v2'));
    await dispatcher.kick('shop', 'free');
    expect([await offered(first.id), await offered(second.id)]).toEqual([true, false]);
    // Told the queue as the caller read it, or reading it itself: the holder is in it, so it runs.
    await dispatcher.kick('shop', 'free', second.recorded?.queue);
    await dispatcher.kick('shop', 'free');
    expect(await offered(second.id)).toBe(false);
    expect(await lease.claim('shop', 'free', second.id)).toBeNull();
  });

  it('takes the environment back from a holder that is over (finished, or gone), and offers it to the next', async () => {
    const { lease, dispatcher } = setUp();
    const gone = await insertDeployment(store.db, request('over', 'v1'));
    const next = await insertDeployment(store.db, request('over', 'v2'));
    expect(await lease.claim('shop', 'over', gone.id)).not.toBeNull();
    // Canceled just before it started: it left the queue while it held the lease.
    await setDeploymentStatus(store.db, gone.id, { status: 'CANCELED', finished: true });
    await dispatcher.kick('shop', 'over');
    expect(await offered(next.id)).toBe(true);
    expect(await lease.take('shop', 'over', 999_999)).toEqual({ holder: next.id });
  });

  it('leaves the environment to a holder that is not over even when it is not in the queue (waiting for approval again)', async () => {
    const { lease, dispatcher } = setUp();
    const held = await insertDeployment(store.db, request('held', 'v1'));
    const next = await insertDeployment(store.db, request('held', 'v2'));
    expect(await lease.claim('shop', 'held', held.id)).not.toBeNull();
    await store.db.updateTable('deployments').set({ status: 'AWAITING_APPROVAL', queue_order: null }).where('id', '=', held.id).execute();
    await dispatcher.kick('shop', 'held');
    expect(await offered(next.id)).toBe(false);
    expect(await lease.take('shop', 'held', next.id)).toEqual({ holder: held.id });
  });

  it('a request told the queue as it recorded it does not hand the environment to a deployment that finished meanwhile', async () => {
    const { lease, dispatcher } = setUp();
    const running = await insertDeployment(store.db, request('race', 'v1'));
    await dispatcher.kick('shop', 'race', running.recorded?.queue);
    expect(await offered(running.id)).toBe(true);
    // Recorded while the first one ran: the queue it read has that one ahead of it.
    const next = await insertDeployment(store.db, request('race', 'v2'));
    expect(next.recorded?.queue).toEqual([running.id, next.id]);
    // Then the first one ends: finished, its job done, the environment released, and its
    // worker's look for the next one came before the request above committed (found none).
    await setDeploymentStatus(store.db, running.id, { status: 'DEPLOYED', finished: true });
    await (await queue.getJob(`run-${running.id}`))?.remove();
    await lease.release('shop', 'race', running.id);
    // The request's own kick, with the queue as it recorded it.
    await dispatcher.kick('shop', 'race', next.recorded?.queue);
    expect([await offered(running.id), await offered(next.id)]).toEqual([false, true]);
    expect(await lease.take('shop', 'race', 999_999)).toEqual({ holder: next.id });
  });

  it('with the one ahead still holding the environment, a request leaves it to that one (no read, nothing offered)', async () => {
    const { lease, dispatcher } = setUp();
    const running = await insertDeployment(store.db, request('ahead', 'v1'));
    await dispatcher.kick('shop', 'ahead', running.recorded?.queue);
    const next = await insertDeployment(store.db, request('ahead', 'v2'));
    await dispatcher.kick('shop', 'ahead', next.recorded?.queue);
    expect(await offered(next.id)).toBe(false);
    expect(await lease.take('shop', 'ahead', next.id)).toEqual({ holder: running.id });
  });

  it('hands a free environment to the worker whose deployment just ended (no job), and offers it as kick does otherwise', async () => {
    const { lease, dispatcher } = setUp();
    expect(await dispatcher.handOff('shop', 'empty')).toBeNull();
    const next = await insertDeployment(store.db, request('handoff', 'v1'));
    const behind = await insertDeployment(store.db, request('handoff', 'v2'));
    expect(await dispatcher.handOff('shop', 'handoff')).toBe(next.id);
    expect(await offered(next.id)).toBe(false);
    expect(await lease.take('shop', 'handoff', behind.id)).toEqual({ holder: next.id });
    // Held in the next one's name already (whoever took it runs it): not run by the caller, and no second job for it.
    expect(await dispatcher.handOff('shop', 'handoff')).toBeNull();
    await dispatcher.kick('shop', 'handoff');
    expect(await offered(next.id)).toBe(false);
    // Taken back from a holder that is over, for the caller.
    await setDeploymentStatus(store.db, next.id, { status: 'CANCELED', finished: true });
    expect(await dispatcher.handOff('shop', 'handoff')).toBe(behind.id);
    expect(await offered(behind.id)).toBe(false);
  });
  it('lets a lease taken for the next one by a taker gone before it ran it lapse: offers do not renew it, and the first after it lapses adds the job', async () => {
    const ttlMs = 600;
    const lease = createEnvironmentLease(redis, prefix, ttlMs);
    const dispatcher = createDispatcher({ db: store.db, queue, lease, logger: pino({ level: 'silent' }) });
    const next = await insertDeployment(store.db, request('lapse', 'v1'));
    const key = `${prefix}:lease:shop/lapse`;
    // Taken for it (as an offer or a worker's hand-on does), and then nobody ran it or added its job.
    expect(await lease.take('shop', 'lapse', next.id)).toMatchObject({ fresh: true });
    await eventually(async () => (await redis.pttl(key)) < ttlMs / 2, 5_000, 'half the lease to pass');
    // The reconciler's offers and a request's kick find it in the next one's name: no job, and the lease keeps running down.
    await dispatcher.offer('shop', 'lapse', { id: next.id });
    await dispatcher.kick('shop', 'lapse');
    expect(await offered(next.id)).toBe(false);
    expect(await redis.pttl(key)).toBeLessThan(ttlMs / 2);
    await eventually(async () => (await redis.exists(key)) === 0, 5_000, 'the lease to lapse');
    await dispatcher.offer('shop', 'lapse', { id: next.id });
    expect(await offered(next.id)).toBe(true);
  });
});
