import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getDeployment, insertDeployment, insertDeploymentUnlessLocked } from '../../src/store/deployments.ts';
import { takeLock } from '../../src/store/locks.ts';
import { putServiceState } from '../../src/store/service-state.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';
import { newDeployment } from '../support/new-deployment.ts';

/** A deploy recorded without reading its environment first: refused while a lock is in force, what runs there read by the insert. */
describe.each<StoreKind>(['postgres', 'pglite'])('a request recorded unless locked, on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  const lock = (env: string, ttlMs: number) =>
    takeLock(store.db, { app: 'shop', env, kind: 'manual', owner: { id: 'U2', name: 'bob' }, reason: 'release freeze', ttlMs, chat: { kind: 'none' } });

  it('records it with each service’s previous version as what runs there, whatever the request said', async () => {
    const before = await insertDeployment(store.db, newDeployment({ env: 'free' }));
    await putServiceState(store.db, { app: 'shop', env: 'free', service: 'api' }, { status: 'DEPLOYED', version: 'v7', deploymentId: before.id });
    const services = [
      { name: 'api', type: 'application' as const, version: 'v8', previousVersion: 'not read' },
      { name: 'worker', type: 'application' as const, version: 'v8', previousVersion: 'not read' },
    ];
    const inserted = await insertDeploymentUnlessLocked(store.db, newDeployment({ env: 'free', services }));
    expect(inserted).toMatchObject({ duplicate: false, coalesced: false, status: 'QUEUED', recorded: { queue: [before.id, inserted?.id] } });
    const recorded = await getDeployment(store.db, inserted!.id);
    expect(recorded?.services.map((s) => [s.name, s.previousVersion])).toEqual([
      ['api', 'v7'],
      ['worker', null],
    ]);
    expect(inserted?.recorded?.deployment).toEqual(recorded);
  });

  it('records nothing while a lock is in force, and leaves the environment free for the next request', async () => {
    expect((await lock('held', 3_600_000)).ok).toBe(true);
    expect(await insertDeploymentUnlessLocked(store.db, newDeployment({ env: 'held' }))).toBeNull();
    const rows = await store.db.selectFrom('deployments').select('id').where('env', '=', 'held').execute();
    expect(rows).toEqual([]);
    const events = await store.db.selectFrom('deployment_events').select('id').where('env', '=', 'held').where('kind', '=', 'requested').execute();
    expect(events).toEqual([]);
    // The arrival lock went with the refused statement: a request that reads first is recorded at once.
    const after = await insertDeployment(store.db, newDeployment({ env: 'held' }));
    expect(after.status).toBe('QUEUED');
  });

  it('records it once the lock has lapsed', async () => {
    expect((await lock('lapsed', 1)).ok).toBe(true);
    await sleep(5);
    expect(await insertDeploymentUnlessLocked(store.db, newDeployment({ env: 'lapsed' }))).toMatchObject({ status: 'QUEUED' });
  });

  it('leaves a request that records an approval step to the caller, who reads the environment first', async () => {
    const awaiting = newDeployment({ env: 'approvals', awaitsApprovalUntil: new Date(Date.now() + 3_600_000) });
    expect(await insertDeploymentUnlessLocked(store.db, awaiting)).toBeNull();
    expect(await store.db.selectFrom('deployments').select('id').where('env', '=', 'approvals').execute()).toEqual([]);
  });
});
