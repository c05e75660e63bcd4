import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentReading } from '../../src/domain/running-status.ts';
import { claimRunningWatch, recordReading, runningStatuses } from '../../src/store/running-status.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

const workloads = (ready: number): EnvironmentReading => ({ ok: true, workloads: [{ service: 'api', desired: 2, ready, restarts: 3, failing: null }] });

describe.each<StoreKind>(['postgres', 'pglite'])('recorded running status (%s)', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  const scope = { target: 'edge', holder: 'p1', app: 'shop', env: 'prod', services: [{ name: 'api', type: 'application' }, { name: 'migrate', type: 'lifecycle-job' }], channel: 'C0SHOP' };

  beforeAll(async () => {
    store = await openTestStore(kind);
    await store.db.insertInto('service_state').values({ app: 'shop', env: 'prod', service: 'api', status: 'DEPLOYED', version: 'v1', image: 'img:v1', deployment_id: null }).execute();
  });
  afterAll(() => store?.cleanup());

  it('counts only the holder’s readings, and logs a change of state once, the fall and the recovery announced', async () => {
    expect(await recordReading(store.db, scope, workloads(2))).toBeNull();
    expect(await claimRunningWatch(store.db, 'edge', 'p1', 5_000)).toBe(true);
    expect((await recordReading(store.db, scope, workloads(2)))?.map((c) => [c.running.state, c.announce])).toEqual([['RUNNING', null]]);
    expect(await recordReading(store.db, scope, workloads(2))).toEqual([]);
    expect((await recordReading(store.db, scope, workloads(0)))?.map((c) => [c.running.state, c.announce, c.channel])).toEqual([['DOWN', 'down', 'C0SHOP']]);
    expect(await recordReading(store.db, scope, workloads(0))).toEqual([]);
    expect((await recordReading(store.db, scope, { ok: false, reason: 'the engine did not answer' }))?.map((c) => [c.running.state, c.announce])).toEqual([['UNKNOWN', null]]);
    expect((await recordReading(store.db, scope, workloads(1)))?.map((c) => [c.running.state, c.announce])).toEqual([['DEGRADED', null]]);
    expect((await recordReading(store.db, scope, workloads(2)))?.map((c) => [c.running.state, c.announce])).toEqual([['RUNNING', 'recovered']]);
    expect(await recordReading(store.db, { ...scope, holder: 'p2' }, workloads(0))).toBeNull();
    expect(await runningStatuses(store.db, { app: 'shop' })).toMatchObject([{ service: 'api', state: 'RUNNING', ready: 2, desired: 2, restarts: 3 }]);
  });
});
