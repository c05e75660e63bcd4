import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeployment, insertDeployment } from '../../src/store/deployments.ts';
import { deploymentToRun, environmentNow, pickUpToRun } from '../../src/store/environment-now.ts';
import { currentLock, takeLock } from '../../src/store/locks.ts';
import { putServiceState, serviceStates } from '../../src/store/service-state.ts';
import { pickUp } from '../../src/store/waiting-deployments.ts';
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

  it('picks a free deployment up in one statement: started, fenced, the ones behind told, with what runs there', async () => {
    const where = { app: 'shop', env: 'pick-free' };
    const first = await insertDeployment(store.db, newDeployment({ env: where.env, ref: 'v1' }));
    const behind = await insertDeployment(store.db, newDeployment({ env: where.env, ref: 'v2' }));
    await putServiceState(store.db, { ...where, service: 'api' }, { status: 'DEPLOYED', version: 'v0', deploymentId: first.id });
    const picked = await pickUpToRun(store.db, first.id, []);
    expect(picked).not.toBeNull();
    const now = await getDeployment(store.db, first.id);
    expect(picked?.deployment).toEqual(now);
    expect(now?.startedAt).not.toBeNull();
    expect(picked?.fence).toBeGreaterThan(0);
    expect(picked?.states).toEqual(await serviceStates(store.db, where.app, where.env));
    const events = await store.db.selectFrom('deployment_events').select(['deployment_id', 'kind']).where('env', '=', where.env).where('kind', '=', 'queue').execute();
    expect(events).toEqual([{ deployment_id: behind.id, kind: 'queue' }]);
    // Picked once only: the second try finds it started.
    expect(await pickUpToRun(store.db, first.id, [])).toBeNull();
    expect((await pickUp(store.db, first.id, { fenced: true })).outcome).toBe('resumed');
  });

  it('leaves to the step-by-step way a deployment a lock, an approval or its state could hold back', async () => {
    const locked = { app: 'shop', env: 'pick-locked' };
    const held = await insertDeployment(store.db, newDeployment({ env: locked.env }));
    await takeLock(store.db, { ...locked, kind: 'manual', owner: { id: 'U2', name: 'bob' }, reason: null, ttlMs: 3_600_000, chat: { kind: 'none' } });
    expect(await pickUpToRun(store.db, held.id, [])).toBeNull();

    const approved = await insertDeployment(store.db, newDeployment({ env: 'pick-approval' }));
    expect(await pickUpToRun(store.db, approved.id, ['shop/pick-approval'])).toBeNull();
    expect(await pickUpToRun(store.db, approved.id, ['shop/elsewhere'])).not.toBeNull();

    expect(await pickUpToRun(store.db, 987_654, [])).toBeNull();
    // None of them was touched.
    expect((await getDeployment(store.db, held.id))?.startedAt).toBeNull();
  });
});
