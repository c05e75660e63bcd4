import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/domain/deployment-set.ts';
import { lastAppliedSpec, recordAppliedSpec, rollbackOf, successfulDeployments } from '../../src/store/deployment-sets.ts';
import { getDeployment, insertDeployment, setDeploymentStatus, setServiceStatus, type NewDeployment } from '../../src/store/deployments.ts';
import { StaleFenceError, takeFence, withFence } from '../../src/store/fence.ts';
import { openTestStore, type StoreKind } from '../support/databases.ts';

const spec = (name: string, version: string, over: Partial<ServiceSpec> = {}): ServiceSpec => ({
  name,
  type: 'application',
  version,
  image: null,
  build: { context: '.', dockerfile: 'Dockerfile' },
  port: 8080,
  expose: null,
  env: { GREETING: 'hi' },
  command: null,
  replicas: 1,
  health: { path: '/', timeoutMs: 30_000 },
  schedule: null,
  storage: null,
  ...over,
});

const request = (app: string, specs: ServiceSpec[], over: Partial<NewDeployment> = {}): NewDeployment => ({
  app,
  env: 'staging',
  action: 'deploy',
  ref: null,
  sha: null,
  scope: null,
  requestedBy: { id: 'U1', name: 'alice' },
  trigger: 'chat',
  chat: { kind: 'none' },
  requestKey: null,
  services: specs.map((s) => ({ name: s.name, type: s.type, version: s.version, previousVersion: null })),
  deploymentSet: { target: 'engine', namespace: `${app}-staging`, services: specs },
  ...over,
});

describe.each<StoreKind>(['postgres', 'pglite'])('deployment sets on %s', (kind) => {
  let store: Awaited<ReturnType<typeof openTestStore>>;
  beforeAll(async () => {
    store = await openTestStore(kind);
  });
  afterAll(async () => {
    await store.cleanup();
  });

  /** A deployment whose services all got applied, as the runner records it. */
  async function applied(app: string, specs: ServiceSpec[], status: 'DEPLOYED' | 'DEPLOYMENT_ERROR' = 'DEPLOYED', over: Partial<NewDeployment> = {}) {
    const { id } = await insertDeployment(store.db, request(app, specs.map((s) => ({ ...s, image: null })), over));
    for (const s of specs) {
      await recordAppliedSpec(store.db, id, s);
      await setServiceStatus(store.db, id, s.name, { status: 'DEPLOYED', version: s.version, image: s.image });
    }
    await setDeploymentStatus(store.db, id, { status, finished: true });
    return id;
  }

  it('keeps what was applied per service in the deployment set, and reads it back with the deployment', async () => {
    const planned = spec('api', 'a1');
    const { id } = await insertDeployment(store.db, request('sets1', [planned]));
    await recordAppliedSpec(store.db, id, { ...planned, image: 'reg/sets1-api:a1' });
    const d = await getDeployment(store.db, id);
    expect(d?.deploymentSet).toEqual({ target: 'engine', namespace: 'sets1-staging', services: [{ ...planned, image: 'reg/sets1-api:a1' }] });
  });

  it('replaces only the applied service in a set of several, in place, and appends one the set did not name', async () => {
    const [web, api, worker] = [spec('web', 'w1'), spec('api', 'a1'), spec('worker', 'k1')];
    const { id } = await insertDeployment(store.db, request('sets5', [web, api]));
    await recordAppliedSpec(store.db, id, { ...api, image: 'reg/sets5-api:a1' });
    await recordAppliedSpec(store.db, id, { ...worker, image: 'reg/sets5-worker:k1' });
    expect((await getDeployment(store.db, id))?.deploymentSet?.services).toEqual([web, { ...api, image: 'reg/sets5-api:a1' }, { ...worker, image: 'reg/sets5-worker:k1' }]);
  });

  it('replaces a set it cannot read (none, or service names of an older version) by a set of the applied spec alone', async () => {
    const api = spec('api', 'a1', { image: 'reg/sets6-api:a1' });
    const { id: none } = await insertDeployment(store.db, request('sets6', [api], { deploymentSet: null }));
    const { id: names } = await insertDeployment(store.db, request('sets6', [api], { deploymentSet: { services: ['api'] } }));
    for (const id of [none, names]) {
      await recordAppliedSpec(store.db, id, api);
      expect((await getDeployment(store.db, id))?.deploymentSet).toEqual({ target: '', namespace: '', services: [api] });
    }
  });

  it('refuses the applied spec of an executor whose fence was taken over, and keeps the set as it was', async () => {
    const api = spec('api', 'a1');
    const { id } = await insertDeployment(store.db, request('sets7', [api]));
    const stale = await takeFence(store.db, id);
    await takeFence(store.db, id);
    await expect(withFence(id, stale, () => recordAppliedSpec(store.db, id, { ...api, image: 'reg/sets7-api:a1' }))).rejects.toBeInstanceOf(StaleFenceError);
    expect((await getDeployment(store.db, id))?.deploymentSet?.services).toEqual([api]);
  });

  it('records a step of a run in one statement: the service, the deployment\'s status and start, and the applied spec; none of it under a stale fence', async () => {
    const api = spec('api', 'a1');
    const { id } = await insertDeployment(store.db, request('sets8', [api]));
    const token = await takeFence(store.db, id);
    await withFence(id, token, () => setServiceStatus(store.db, id, 'api', { status: 'DEPLOYING' }, { deployment: { status: 'DEPLOYING' } }));
    const deploying = await getDeployment(store.db, id);
    expect([deploying?.status, deploying?.startedAt instanceof Date, deploying?.services[0]?.status]).toEqual(['DEPLOYING', true, 'DEPLOYING']);
    const applied = { ...api, image: 'reg/sets8-api:a1' };
    await takeFence(store.db, id);
    await expect(
      withFence(id, token, () => setServiceStatus(store.db, id, 'api', { status: 'DEPLOYED' }, { deployment: { status: 'DEPLOYED', appliedSpec: applied } })),
    ).rejects.toBeInstanceOf(StaleFenceError);
    const unchanged = await getDeployment(store.db, id);
    expect([unchanged?.status, unchanged?.services[0]?.status, unchanged?.deploymentSet?.services]).toEqual(['DEPLOYING', 'DEPLOYING', [api]]);
    await setServiceStatus(store.db, id, 'api', { status: 'DEPLOYED' }, { deployment: { appliedSpec: applied } });
    const deployed = await getDeployment(store.db, id);
    expect([deployed?.status, deployed?.services[0]?.status, deployed?.deploymentSet?.services]).toEqual(['DEPLOYING', 'DEPLOYED', [applied]]);
  });

  it('finds the last deployment that applied a service, before a given one when asked', async () => {
    const v1 = spec('api', 'a1', { image: 'reg/api:a1' });
    const v2 = spec('api', 'a2', { image: 'reg/api:a2' });
    const first = await applied('sets2', [v1]);
    const second = await applied('sets2', [v2]);
    const { id: failed } = await insertDeployment(store.db, request('sets2', [spec('api', 'a3')]));
    await setServiceStatus(store.db, failed, 'api', { status: 'DEPLOYMENT_ERROR' });
    expect(await lastAppliedSpec(store.db, { app: 'sets2', env: 'staging', service: 'api' })).toEqual({ deploymentId: second, spec: v2 });
    expect(await lastAppliedSpec(store.db, { app: 'sets2', env: 'staging', service: 'api', beforeId: second })).toEqual({ deploymentId: first, spec: v1 });
    expect(await lastAppliedSpec(store.db, { app: 'sets2', env: 'staging', service: 'api', beforeId: first })).toBeNull();
    expect(await lastAppliedSpec(store.db, { app: 'sets2', env: 'staging', service: 'web' })).toBeNull();
  });

  it('lists successful deployments newest first with what they applied, and a rollback knows its ends', async () => {
    const first = await applied('sets3', [spec('api', 'a1', { image: 'i1' }), spec('web', 'w1', { image: 'j1' })]);
    await applied('sets3', [spec('api', 'a2', { image: 'i2' })], 'DEPLOYMENT_ERROR');
    const third = await applied('sets3', [spec('web', 'w2', { image: 'j2' })], 'DEPLOYED', { rollback: { to: first, from: first } });
    const list = await successfulDeployments(store.db, 'sets3', 'staging');
    expect(list.map((d) => [d.id, d.applied.sort()])).toEqual([
      [third, ['web']],
      [first, ['api', 'web']],
    ]);
    expect(list[1]?.set?.services.map((s) => s.version)).toEqual(['a1', 'w1']);
    expect(await rollbackOf(store.db, third)).toEqual({ to: first, from: first });
    expect(await rollbackOf(store.db, first)).toEqual({ to: null, from: null });
  });

  it('reads a set recorded before sets carried versions as no set', async () => {
    const { id } = await insertDeployment(store.db, request('sets4', [], { deploymentSet: { target: 'engine', namespace: 'x', services: [{ name: 'api', type: 'application' }] } }));
    expect((await getDeployment(store.db, id))?.deploymentSet).toBeNull();
  });
});
