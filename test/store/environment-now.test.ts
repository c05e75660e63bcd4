import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeployment, insertDeployment } from '../../src/store/deployments.ts';
import { deploymentToRun, environmentNow } from '../../src/store/environment-now.ts';
import { currentLock, takeLock } from '../../src/store/locks.ts';
import { putServiceState, serviceStates } from '../../src/store/service-state.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

/** One read gives what currentLock and serviceStates give, for a request and for a worker picking a deployment up. */
describe.each<StoreKind>(['postgres', 'pglite'])('an environment read at once, on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  it('is empty for an environment with no lock and nothing running', async () => {
    expect(await environmentNow(store.db, 'shop', 'nowhere')).toEqual({ lock: null, states: [] });
  });

  it('gives the lock in force and every service state, as the reads of each give them', async () => {
    const where = { app: 'shop', env: 'now-locked' };
    const { id } = await insertDeployment(store.db, newDeployment({ env: where.env }));
    await putServiceState(store.db, { ...where, service: 'web' }, { status: 'DEPLOYED', version: 'v2', image: 'r/web:v2', url: 'https://web.example', deploymentId: id });
    await putServiceState(store.db, { ...where, service: 'api' }, { status: 'DEPLOYING', version: 'v1', deploymentId: id });
    const taken = await takeLock(store.db, { ...where, kind: 'manual', owner: { id: 'U2', name: 'bob' }, reason: 'release freeze', ttlMs: 3_600_000, chat: { kind: 'none' } });
    expect(taken.ok).toBe(true);

    const now = await environmentNow(store.db, where.app, where.env);
    expect(now.lock).toEqual(await currentLock(store.db, where.app, where.env));
    expect(now.lock).toMatchObject({ owner: { name: 'bob' }, reason: 'release freeze' });
    expect(now.states).toEqual(await serviceStates(store.db, where.app, where.env));
    expect(now.states.map((s) => s.service)).toEqual(['api', 'web']);

    const run = await deploymentToRun(store.db, id);
    expect(run?.deployment).toEqual(await getDeployment(store.db, id));
    expect(run?.environment).toEqual(now);
  });

  it('leaves out a lock that has lapsed, and says null for a deployment that does not exist', async () => {
    const where = { app: 'shop', env: 'now-lapsed' };
    await takeLock(store.db, { ...where, kind: 'manual', owner: { id: 'U2', name: 'bob' }, reason: null, ttlMs: 1, chat: { kind: 'none' } });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await environmentNow(store.db, where.app, where.env)).lock).toBeNull();
    expect(await deploymentToRun(store.db, 987_654)).toBeNull();
  });
});
