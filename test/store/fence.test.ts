import { tmpdir } from 'node:os';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, IDLE_IN_TRANSACTION_MS, type DatabaseHandle } from '../../src/store/database.ts';
import { getDeployment, insertDeployment, setDeploymentStatus, setServiceStatus } from '../../src/store/deployments.ts';
import { serviceStates } from '../../src/store/service-state.ts';
import { assertFence, executorName, heartbeat, StaleFenceError, takeFence, withFence } from '../../src/store/fence.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
import { migrateToLatest } from '../../src/store/migrator.ts';
import { createTestDatabase } from '../support/databases.ts';

/** Two workers' views of one Postgres database: each its own pool, as two processes would have. */
describe('fencing on Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let first: DatabaseHandle;
  let second: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    first = await openDatabase({ url: database.url, dataDir: tmpdir() });
    second = await openDatabase({ url: database.url, dataDir: tmpdir() });
    await migrateToLatest(first.db);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await database.drop();
  });

  const newDeployment = async () =>
    (
      await insertDeployment(first.db, {
        app: 'shop',
        env: 'staging',
        action: 'deploy',
        ref: 'main',
        sha: 'a'.repeat(40),
        scope: null,
        requestedBy: { id: 'U1', name: 'alice' },
        trigger: 'chat',
        chat: { kind: 'none' },
        requestKey: null,
        services: [{ name: 'api', type: 'application', version: 'a'.repeat(40), previousVersion: null }],
        deploymentSet: { services: ['api'] },
      })
    ).id;

  it('refuses the writes and the heartbeat of a holder whose token was taken over', async () => {
    const id = await newDeployment();
    const stale = await takeFence(first.db, id);
    const fresh = await takeFence(second.db, id);
    expect(fresh).toBeGreaterThan(stale);
    await expect(withFence(id, stale, () => setDeploymentStatus(first.db, id, { status: 'DEPLOYED' }))).rejects.toBeInstanceOf(StaleFenceError);
    expect(await heartbeat(first.db, id, stale)).toEqual({ alive: false });
    await withFence(id, fresh, () => setDeploymentStatus(second.db, id, { status: 'BUILDING' }));
    expect((await getDeployment(second.db, id))?.status).toBe('BUILDING');
  });

  it('a fenced pick-up makes the worker the executor in the same statement: its token is the fence, a takeover\'s is newer', async () => {
    const id = await newDeployment();
    const picked = await pickUp(first.db, id, { fenced: true });
    expect(picked.outcome).toBe('picked');
    const token = picked.fence!;
    const row = await first.db.selectFrom('deployments').select(['fence', 'executor', 'heartbeat_at', 'started_at']).where('id', '=', id).executeTakeFirstOrThrow();
    expect(Number(row.fence)).toBe(token);
    expect(row.executor).toBe(executorName());
    expect(row.heartbeat_at).not.toBeNull();
    expect(row.started_at).not.toBeNull();
    await withFence(id, token, () => setDeploymentStatus(first.db, id, { status: 'BUILDING' }));
    // Picked up again (a duplicate job): it had started, so no token is taken and the first stands.
    expect(await pickUp(second.db, id, { fenced: true })).toEqual({ outcome: 'resumed', fence: null });
    await withFence(id, token, () => setDeploymentStatus(first.db, id, { status: 'DEPLOYING' }));
    const fresh = await takeFence(second.db, id);
    expect(fresh).toBeGreaterThan(token);
    await expect(withFence(id, token, () => setDeploymentStatus(first.db, id, { status: 'DEPLOYED' }))).rejects.toBeInstanceOf(StaleFenceError);
  });

  it('refuses a taken-over holder\'s service status and the state it would leave in the environment, both in one statement', async () => {
    const id = await newDeployment();
    const stale = await takeFence(first.db, id);
    const fresh = await takeFence(second.db, id);
    const state = (status: 'DEPLOYING' | 'DEPLOYED') => ({ state: { key: { app: 'shop', env: 'fenced', service: 'api' }, state: { status, deploymentId: id, version: 'v1' } } });
    await expect(withFence(id, stale, () => setServiceStatus(first.db, id, 'api', { status: 'DEPLOYED' }, state('DEPLOYED')))).rejects.toBeInstanceOf(StaleFenceError);
    expect(await serviceStates(first.db, 'shop', 'fenced')).toEqual([]);
    expect((await getDeployment(first.db, id))?.services[0]?.status).toBe('QUEUED');
    await withFence(id, fresh, () => setServiceStatus(second.db, id, 'api', { status: 'DEPLOYING' }, state('DEPLOYING')));
    expect((await serviceStates(second.db, 'shop', 'fenced')).map((s) => [s.service, s.status, s.version, s.deploymentId])).toEqual([['api', 'DEPLOYING', 'v1', id]]);
    expect((await getDeployment(second.db, id))?.services[0]?.status).toBe('DEPLOYING');
  });

  it('a holder frozen inside a fenced transaction holds the takeover back at most briefly, and its write is lost', async () => {
    const id = await newDeployment();
    const stale = await takeFence(first.db, id);
    let thaw!: () => void;
    const frozen = new Promise<void>((resolve) => (thaw = resolve));
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => (locked = resolve));
    // The row lock is taken, then the "process" stops between two statements of its transaction.
    const write = withFence(id, stale, () =>
      first.db.transaction().execute(async (trx) => {
        await assertFence(trx, id);
        locked();
        await frozen;
        await trx.updateTable('deployments').set({ reason: 'late write' }).where('id', '=', id).execute();
      }),
    );
    const outcome = write.then(
      () => 'committed',
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    await holding;

    const started = Date.now();
    const fresh = await takeFence(second.db, id);
    const waited = Date.now() - started;
    expect(fresh).toBeGreaterThan(stale);
    expect(waited).toBeLessThan(IDLE_IN_TRANSACTION_MS + 3_000);

    thaw();
    expect(await outcome).toMatch(/terminat|idle-in-transaction|Connection/i);
    const row = await second.db.selectFrom('deployments').select(['reason', sql<string>`fence::text`.as('fence')]).where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.reason).not.toBe('late write');
    expect(Number(row.fence)).toBe(fresh);
  });
});
