import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEnv } from '../../src/config/env.ts';
import { createEnvironmentLease } from '../../src/jobs/environment-lease.ts';
import { closeRedis, connectRedis, type RedisConnection } from '../../src/jobs/redis.ts';
import { createRunQueue, type RunQueue } from '../../src/jobs/run-queue.ts';
import { startHoist, type RunningHoist } from '../../src/main.ts';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.ts';
import { getDeployment, insertDeployment } from '../../src/store/deployments.ts';
import { createNoopTarget } from '../fakes/noop-target.ts';
import { createTestDatabase } from '../support/databases.ts';
import { BASE_IMAGE, eventually, hoistVars, randomName } from '../support/hoist-harness.ts';
import { pushImageTags } from '../support/image-tags.ts';
import { newDeployment } from '../support/new-deployment.ts';

const ENV = 'e1';

/**
 * A worker given a job for a deployment that is over already (a second job for it, or one
 * offered from a queue read before it finished): the environment must not stay held in that
 * deployment's name until something else notices, and the next deployment goes on at once.
 */
describe('a run job for a finished deployment', () => {
  const app = randomName('wf');
  let dir: string;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let hoist: RunningHoist;
  let store: DatabaseHandle;
  let redis: RedisConnection;
  let queueConnection: RedisConnection;
  let queue: RunQueue;
  let vars: Record<string, string>;
  let tags: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hoist-worker-finished-'));
    database = await createTestDatabase();
    vars = hoistVars(dir, database.url);
    writeFileSync(
      join(dir, 'hoist.yaml'),
      `targets:
  engine: { kind: docker }
apps:
  ${app}:
    repo: .
    services:
      box: { type: container, image: ${BASE_IMAGE} }
    environments:
      ${ENV}: { target: engine }
`,
    );
    tags = await pushImageTags(BASE_IMAGE, 4);
    const noop = createNoopTarget();
    hoist = await startHoist({ env: parseEnv(vars), mode: 'start', shell: null, logger: pino({ level: 'silent' }), targetFor: () => noop.target });
    store = await openDatabase({ url: database.url, dataDir: dir });
    redis = connectRedis(vars.REDIS_URL as string, { name: 'test' });
    queueConnection = connectRedis(vars.REDIS_URL as string, { forWorker: true, name: 'test-queue' });
    queue = createRunQueue(queueConnection, vars.HOIST_REDIS_PREFIX as string);
  });
  afterAll(async () => {
    await hoist?.stop();
    await queue?.close();
    if (queueConnection) await closeRedis(queueConnection);
    if (redis) {
      const keys = await redis.keys(`${vars.HOIST_REDIS_PREFIX}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await closeRedis(redis);
    }
    await store?.close();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([
    ['with its environment (as jobs are offered)', true, 0],
    ['with its id only (as an earlier version offered them)', false, 2],
  ])('gives the environment up and offers it to the next deployment: a job %s', async (_what, withEnvironment, tag) => {
    const first = await hoist.api.request(
      { verb: 'deploy', scope: { app, services: ['box'] }, env: ENV, ref: tags[tag] as string },
      { requester: { id: 'U0TEST', name: 'test' }, origin: { kind: 'none' }, trigger: 'api' },
    );
    if (!first.ok) throw new Error(`deploy refused: ${first.reason}`);
    const done = first.deployment.id;
    await eventually(async () => (await getDeployment(store.db, done))?.finishedAt, 30_000, 'the first deployment to finish');
    // Its own job outlives the finish by a moment (it gives the environment up, then ends): a job
    // added under the same id meanwhile would be that one (BullMQ keeps one job per id), never run.
    await eventually(async () => (await queue.getJob(`run-${done}`)) === undefined, 30_000, 'the first deployment’s own job to be done');
    // Left as a request raced with the end of the first one: the environment in the finished
    // deployment's name, and the next deployment queued without anyone offering it.
    const lease = createEnvironmentLease(redis, vars.HOIST_REDIS_PREFIX as string, 60_000);
    expect(await lease.claim(app, ENV, done)).not.toBeNull();
    const version = tags[tag + 1] as string;
    const next = await insertDeployment(
      store.db,
      newDeployment({ app, env: ENV, ref: version, services: [{ name: 'box', type: 'container', version, previousVersion: tags[tag] as string }] }),
    );
    await queue.add('run', withEnvironment ? { deploymentId: done, app, env: ENV } : { deploymentId: done }, { jobId: `run-${done}`, removeOnComplete: true, removeOnFail: true });
    await eventually(async () => (await queue.getJob(`run-${done}`)) === undefined, 30_000, 'the job of the finished deployment to be done');
    // By the time that job is done, the next deployment was offered (or already taken up).
    const offered = (await queue.getJob(`run-${next.id}`)) !== undefined || (await getDeployment(store.db, next.id))?.startedAt != null;
    expect(offered).toBe(true);
    await eventually(async () => (await getDeployment(store.db, next.id))?.finishedAt, 30_000, 'the next deployment to finish');
  });
});
