import {
  ApiException, AppsV1Api, BatchV1Api, CoreV1Api, KubeConfig, NetworkingV1Api, PatchStrategy, setHeaderOptions, Watch,
  type V1Deployment,
} from '@kubernetes/client-node';
import { afterEach, describe, expect, test } from 'vitest';
import { startFakeKube, type FakeKube, type FakeKubeOptions } from './kube-api/index.ts';

// The fake driven through @kubernetes/client-node itself, as Hoist's Kubernetes target drives it.

const started: FakeKube[] = [];

afterEach(async () => {
  for (const fake of started.splice(0)) {
    await fake.close();
    expect(fake.errors).toEqual([]);
  }
});

async function cluster(options: FakeKubeOptions = {}) {
  const fake = await startFakeKube({ tickMs: 5, timeScale: 20, ...options });
  started.push(fake);
  const kc = new KubeConfig();
  kc.loadFromString(fake.kubeconfig());
  return {
    fake, kc,
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    batch: kc.makeApiClient(BatchV1Api),
  };
}

const SSA = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);
const MERGE = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const STRATEGIC = setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch);
const JSON_PATCH = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

/* eslint-disable @typescript-eslint/no-explicit-any -- API objects read as JSON in assertions */
type Json = any;

function deployment(name: string, image: string, replicas = 2, extra: Json = {}): Json {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'default', labels: { 'app.kubernetes.io/name': name } },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } },
      ...extra,
    },
  };
}

async function failure(promise: Promise<unknown>): Promise<{ code: number; body: Json }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ApiException) return { code: error.code, body: error.body === undefined ? undefined : JSON.parse(error.body as string) };
    throw error;
  }
  throw new Error('the call succeeded');
}

/** kubectl rollout status's verdict for a Deployment. */
function rolloutDone(d: Json): boolean | 'timed out' {
  const s = d.status ?? {};
  if ((d.metadata.generation ?? 0) > (s.observedGeneration ?? 0)) return false;
  const progressing = (s.conditions ?? []).find((c: Json) => c.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') return 'timed out';
  const replicas = d.spec.replicas;
  return (s.updatedReplicas ?? 0) >= replicas && (s.replicas ?? 0) <= (s.updatedReplicas ?? 0)
    && (s.availableReplicas ?? 0) >= (s.updatedReplicas ?? 0);
}

const condition = (obj: Json, type: string) => (obj?.status?.conditions ?? []).find((c: Json) => c.type === type);
const containerStatus = (pod: Json) => pod?.status?.containerStatuses?.[0];

describe('server-side apply', () => {
  test('creates, updates and records the manager in managedFields; generation counts spec changes only', async () => {
    const { fake, apps } = await cluster();
    const body = deployment('web', 'nginx:1.25');
    const created = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist', force: true }, SSA);
    expect(created.metadata?.generation).toBe(1);
    const entry = created.metadata?.managedFields?.find((m) => m.manager === 'hoist');
    expect(entry?.operation).toBe('Apply');
    expect(entry?.fieldsV1).toMatchObject({
      'f:metadata': { 'f:labels': { 'f:app.kubernetes.io/name': {} } },
      'f:spec': { 'f:replicas': {}, 'f:template': { 'f:spec': { 'f:containers': { 'k:{"name":"app"}': { '.': {}, 'f:image': {}, 'f:name': {} } } } } },
    });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'PATCH', status: 201, contentType: 'application/apply-patch+yaml', query: { fieldManager: 'hoist' } });

    await fake.waitFor(() => fake.get('Deployment', 'default', 'web')?.status?.observedGeneration === 1);
    body.metadata.labels.team = 'a';
    const relabelled = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    expect(relabelled.metadata?.generation).toBe(1);
    body.spec.template.spec.containers[0].image = 'nginx:1.26';
    const updated = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    expect(updated.metadata?.generation).toBe(2);
    expect(updated.status?.observedGeneration).toBe(1);
    const observed = await fake.waitFor(() => fake.get('Deployment', 'default', 'web')?.status?.observedGeneration === 2 && fake.get('Deployment', 'default', 'web'));
    expect(observed.metadata.generation).toBe(2);
    expect(observed.metadata.managedFields.map((m: Json) => [m.manager, m.operation, m.subresource])).toEqual(expect.arrayContaining([
      ['hoist', 'Apply', undefined], ['kube-controller-manager', 'Update', 'status'],
    ]));
  });

  test('another manager\'s field is a 409 conflict naming it, unless forced; an equal value is shared', async () => {
    const { apps } = await cluster();
    const body = deployment('web', 'nginx:1.25', 2);
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await apps.patchNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { spec: { replicas: 5 } }, fieldManager: 'kubectl' }, MERGE);

    body.spec.replicas = 3;
    const refused = await failure(apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA));
    expect(refused.code).toBe(409);
    expect(refused.body).toMatchObject({
      kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Conflict', code: 409,
      message: 'Apply failed with 1 conflict: conflict with "kubectl" with subresource "scale" using apps/v1: .spec.replicas',
      details: { causes: [{ type: 'FieldManagerConflict', field: '.spec.replicas', message: 'conflict with "kubectl" with subresource "scale" using apps/v1' }] },
    });

    body.spec.replicas = 5;
    const shared = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    expect(shared.spec?.replicas).toBe(5);

    body.spec.replicas = 3;
    const forced = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist', force: true }, SSA);
    expect(forced.spec?.replicas).toBe(3);
    const kubectl = forced.metadata?.managedFields?.find((m) => m.manager === 'kubectl');
    expect(kubectl).toBeUndefined();
  });

  test('a field left out of the next apply is removed; other managers\' fields stay', async () => {
    const { apps } = await cluster();
    const body = deployment('web', 'nginx:1.25');
    body.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }, { name: 'B', value: '2' }];
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await apps.patchNamespacedDeployment({
      name: 'web', namespace: 'default', fieldManager: 'ops',
      body: { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' } } } } },
    }, STRATEGIC);

    body.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }];
    const next = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    expect(next.spec?.template.spec?.containers[0]?.env).toEqual([{ name: 'A', value: '1' }]);
    expect(next.spec?.template.metadata?.annotations).toEqual({ 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' });
  });

  test('apply needs a fieldManager; a body for another object is refused', async () => {
    const { apps } = await cluster();
    const missing = await failure(apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: deployment('web', 'x:1') }, SSA));
    expect(missing.code).toBe(422);
    expect(missing.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const mismatch = await failure(apps.patchNamespacedDeployment({ name: 'api', namespace: 'default', body: deployment('web', 'x:1'), fieldManager: 'hoist' }, SSA));
    expect(mismatch.code).toBe(400);
  });
});

describe('errors, writes and reads', () => {
  test('Status bodies for NotFound, AlreadyExists, Invalid, a missing namespace and a stale resourceVersion', async () => {
    const { apps, core } = await cluster();
    const notFound = await failure(apps.readNamespacedDeployment({ name: 'nope', namespace: 'default' }));
    expect(notFound).toEqual({
      code: 404,
      body: {
        kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'deployments.apps "nope" not found',
        reason: 'NotFound', details: { name: 'nope', group: 'apps', kind: 'deployments' }, code: 404,
      },
    });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.25') });
    const exists = await failure(apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.25') }));
    expect(exists.body).toMatchObject({ reason: 'AlreadyExists', code: 409, message: 'deployments.apps "web" already exists' });

    const nameless = deployment('', 'nginx:1.25');
    const invalid = await failure(apps.createNamespacedDeployment({ namespace: 'default', body: nameless }));
    expect(invalid.body).toMatchObject({ reason: 'Invalid', code: 422, details: { causes: [{ field: 'metadata.name', reason: 'FieldValueRequired' }] } });
    const noImage = deployment('bad', '');
    const noImageError = await failure(apps.createNamespacedDeployment({ namespace: 'default', body: noImage }));
    expect(noImageError.body.message).toBe('Deployment.apps "bad" is invalid: spec.template.spec.containers[0].image: Required value');
    const mismatch = deployment('bad', 'x:1');
    mismatch.spec.selector.matchLabels.app = 'other';
    expect((await failure(apps.createNamespacedDeployment({ namespace: 'default', body: mismatch }))).code).toBe(422);

    const noNamespace = await failure(core.createNamespacedService({ namespace: 'ghost', body: { metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } } }));
    expect(noNamespace.body).toMatchObject({ code: 404, message: 'namespaces "ghost" not found' });

    const current = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: { metadata: { labels: { x: 'y' } } } }, MERGE);
    const stale = await failure(apps.replaceNamespacedDeployment({ name: 'web', namespace: 'default', body: current }));
    expect(stale.body).toMatchObject({
      code: 409, reason: 'Conflict',
      message: 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
    });
  });

  test('resourceVersion is one increasing counter; merge, strategic and JSON patches', async () => {
    const { apps, core } = await cluster();
    const a = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' }, data: { k: 'v' } } });
    const d = await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'nginx:1.25') });
    expect(Number(d.metadata?.resourceVersion)).toBeGreaterThan(Number(a.metadata?.resourceVersion));
    expect(d.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.metadata?.creationTimestamp).toBeInstanceOf(Date);

    const strategic = await apps.patchNamespacedDeployment({
      name: 'web', namespace: 'default',
      body: { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy:1' }] } } } },
    }, STRATEGIC);
    expect(strategic.spec?.template.spec?.containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    const merged = await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: { spec: { replicas: 4 } } }, MERGE);
    expect(merged.spec?.replicas).toBe(4);
    const patched = await apps.patchNamespacedDeployment({
      name: 'web', namespace: 'default', body: [{ op: 'test', path: '/spec/replicas', value: 4 }, { op: 'replace', path: '/spec/replicas', value: 1 }],
    }, JSON_PATCH);
    expect(patched.spec?.replicas).toBe(1);
    const failedTest = await failure(apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body: [{ op: 'test', path: '/spec/replicas', value: 9 }] }, JSON_PATCH));
    expect(failedTest.code).toBe(422);
  });

  test('dryRun=All stores nothing; a write that changes nothing keeps the resourceVersion; a Service keeps its clusterIP', async () => {
    const { fake, core } = await cluster();
    const dry = await core.createNamespacedConfigMap({ namespace: 'default', dryRun: 'All', body: { metadata: { name: 'a' }, data: { k: 'v' } } });
    expect(dry.metadata?.name).toBe('a');
    expect(fake.get('ConfigMap', 'default', 'a')).toBeUndefined();
    const cm = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' }, data: { k: 'v' } } });
    const same = await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { data: { k: 'v' } } }, MERGE);
    expect(same.metadata?.resourceVersion).toBe(cm.metadata?.resourceVersion);

    const svc = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } } });
    const replaced = await core.replaceNamespacedService({
      name: 'web', namespace: 'default',
      body: { metadata: { name: 'web', resourceVersion: svc.metadata?.resourceVersion }, spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 8080 }] } },
    });
    expect(replaced.spec?.clusterIP).toBe(svc.spec?.clusterIP);
    expect(replaced.spec?.ports?.[0]).toMatchObject({ targetPort: 8080, nodePort: svc.spec?.ports?.[0]?.nodePort });
    const moved = await failure(core.patchNamespacedService({ name: 'web', namespace: 'default', body: { spec: { clusterIP: '10.96.9.9' } } }, MERGE));
    expect(moved.body.message).toContain('may not change once set');
  });

  test('label and field selectors', async () => {
    const { core } = await cluster();
    const cm = (name: string, labels: Record<string, string>) => core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name, labels } } });
    await cm('a', { tier: 'web', env: 'prod' });
    await cm('b', { tier: 'db', env: 'prod' });
    await cm('c', { tier: 'web' });
    const names = async (labelSelector?: string, fieldSelector?: string) =>
      (await core.listNamespacedConfigMap({ namespace: 'default', labelSelector, fieldSelector })).items.map((i) => i.metadata?.name);
    expect(await names('tier=web')).toEqual(['a', 'c']);
    expect(await names('tier!=web')).toEqual(['b']);
    expect(await names('tier in (db,cache)')).toEqual(['b']);
    expect(await names('tier notin (db),env')).toEqual(['a']);
    expect(await names('!env')).toEqual(['c']);
    expect(await names(undefined, 'metadata.name=b')).toEqual(['b']);
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    expect(list.metadata?.resourceVersion).toMatch(/^\d+$/);
    expect((await failure(core.listNamespacedConfigMap({ namespace: 'default', fieldSelector: 'data.k=v' }))).code).toBe(400);
  });

  test('a Service gets a cluster IP; a PVC is bound', async () => {
    const { fake, core } = await cluster();
    const svc = await core.createNamespacedService({ namespace: 'default', body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } } });
    expect(svc.spec?.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(svc.spec?.ports?.[0]).toMatchObject({ port: 80, protocol: 'TCP', targetPort: 80 });
    await core.createNamespacedPersistentVolumeClaim({
      namespace: 'default', body: { metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    const bound = await fake.waitFor(() => fake.get('PersistentVolumeClaim', 'default', 'data')?.status?.phase === 'Bound' && fake.get('PersistentVolumeClaim', 'default', 'data'));
    expect(bound.status.capacity).toEqual({ storage: '1Gi' });
  });
});

describe('Deployments', () => {
  test('a rolling update moves replicas within maxSurge/maxUnavailable and ends NewReplicaSetAvailable', async () => {
    const { fake, apps, core } = await cluster();
    const body = deployment('web', 'web:1', 4);
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await fake.waitFor(() => rolloutDone(fake.get('Deployment', 'default', 'web')) === true);

    fake.imageBehaviour('web:2', { kind: 'slow', readySeconds: 3 });
    body.spec.template.spec.containers[0].image = 'web:2';
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    const reasons: string[] = [];
    const seen: Json[] = [];
    const done = await fake.waitFor(() => {
      const d = fake.get('Deployment', 'default', 'web');
      const reason = condition(d, 'Progressing')?.reason;
      if (reasons.at(-1) !== reason) reasons.push(reason);
      seen.push(d.status);
      return d.metadata.generation === 2 && rolloutDone(d) === true && d;
    }, 10_000);
    const created = reasons.indexOf('NewReplicaSetCreated');
    expect(created).toBeGreaterThanOrEqual(0);
    expect(reasons.indexOf('ReplicaSetUpdated')).toBeGreaterThan(created);
    expect(reasons.at(-1)).toBe('NewReplicaSetAvailable');
    for (const s of seen) {
      expect(s.replicas ?? 0).toBeLessThanOrEqual(5);
      expect(s.availableReplicas ?? 0).toBeGreaterThanOrEqual(3);
    }
    expect(done.status).toMatchObject({ replicas: 4, updatedReplicas: 4, readyReplicas: 4, availableReplicas: 4, observedGeneration: 2 });
    expect(done.status.unavailableReplicas).toBeUndefined();
    expect(condition(done, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });

    const sets = (await apps.listNamespacedReplicaSet({ namespace: 'default' })).items;
    const byRevision = Object.fromEntries(sets.map((rs) => [rs.metadata?.annotations?.['deployment.kubernetes.io/revision'], rs]));
    expect(byRevision['1']?.spec?.replicas).toBe(0);
    const newRS = byRevision['2'];
    const hash = newRS?.metadata?.labels?.['pod-template-hash'];
    expect(newRS?.metadata?.name).toBe(`web-${hash}`);
    expect(newRS?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true, blockOwnerDeletion: true });
    const pods = (await core.listNamespacedPod({ namespace: 'default', labelSelector: `pod-template-hash=${hash}` })).items;
    expect(pods).toHaveLength(4);
    expect(pods[0]?.metadata?.name).toMatch(new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    const events = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.kind=Deployment,involvedObject.name=web' })).items;
    expect(events.map((e) => e.message)).toContain(`Scaled up replica set web-${hash} to 1`);
    expect(events.every((e) => e.reason === 'ScalingReplicaSet' && e.source?.component === 'deployment-controller')).toBe(true);
  });

  test('re-applying an older template re-uses its ReplicaSet with the next revision (rollback)', async () => {
    const { fake, apps } = await cluster();
    const body = deployment('web', 'web:1', 2);
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await fake.waitFor(() => rolloutDone(fake.get('Deployment', 'default', 'web')) === true);
    body.spec.template.spec.containers[0].image = 'web:2';
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await fake.waitFor(() => { const d = fake.get('Deployment', 'default', 'web'); return d.status.observedGeneration === 2 && rolloutDone(d) === true; });
    const first = fake.list('ReplicaSet', 'default').find((rs) => rs.metadata.annotations['deployment.kubernetes.io/revision'] === '1');

    const old: Json = (await apps.readNamespacedReplicaSet({ name: first.metadata.name, namespace: 'default' })).spec?.template;
    delete old.metadata.labels['pod-template-hash'];
    body.spec.template = JSON.parse(JSON.stringify(old));
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    const d = await fake.waitFor(() => { const x = fake.get('Deployment', 'default', 'web'); return x.status.observedGeneration === 3 && rolloutDone(x) === true && x; });
    expect(fake.list('ReplicaSet', 'default')).toHaveLength(2);
    const reused = fake.get('ReplicaSet', 'default', first.metadata.name);
    expect(reused.metadata.annotations).toMatchObject({ 'deployment.kubernetes.io/revision': '3', 'deployment.kubernetes.io/revision-history': '1' });
    expect(reused.spec.replicas).toBe(2);
    expect(d.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  });

  test('ProgressDeadlineExceeded after progressDeadlineSeconds without progress', async () => {
    const { fake, apps } = await cluster({ timeScale: 100 });
    fake.imageBehaviour('stuck', { kind: 'never-ready' });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'stuck:1', 1, { progressDeadlineSeconds: 30 }) });
    const d = await fake.waitFor(() => { const x = fake.get('Deployment', 'default', 'web'); return rolloutDone(x) === 'timed out' && x; });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'False', reason: 'ProgressDeadlineExceeded' });
    expect(condition(d, 'Progressing').message).toMatch(/^ReplicaSet "web-\w+" has timed out progressing\.$/);
    expect(condition(d, 'Available')).toMatchObject({ status: 'False', reason: 'MinimumReplicasUnavailable' });
    const pod = fake.list('Pod', 'default')[0];
    expect(pod.status.phase).toBe('Running');
    expect(condition(pod, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainersNotReady' });
    const unhealthy = fake.list('Event', 'default').find((e) => e.involvedObject.name === pod.metadata.name && e.reason === 'Unhealthy');
    expect(unhealthy).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod', fieldPath: 'spec.containers{app}' }, source: { component: 'kubelet' } });
    expect(unhealthy.message).toMatch(/^Readiness probe failed/);
  });

  test('Recreate stops every old pod before the first new one starts', async () => {
    const { fake, apps } = await cluster();
    const body = deployment('web', 'web:1', 3, { strategy: { type: 'Recreate' } });
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await fake.waitFor(() => rolloutDone(fake.get('Deployment', 'default', 'web')) === true);
    body.spec.template.spec.containers[0].image = 'web:2';
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    let overlap = false;
    await fake.waitFor(() => {
      const images = new Set(fake.list('Pod', 'default').map((p) => p.spec.containers[0].image));
      if (images.size > 1) overlap = true;
      const d = fake.get('Deployment', 'default', 'web');
      return d.status.observedGeneration === 2 && rolloutDone(d) === true;
    });
    expect(overlap).toBe(false);
    expect(fake.list('Pod', 'default').map((p) => p.spec.containers[0].image)).toEqual(['web:2', 'web:2', 'web:2']);
  });

  test('paused: a template change waits; scale to 0 through /scale empties it', async () => {
    const { fake, apps } = await cluster();
    const body = deployment('web', 'web:1', 2);
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    await fake.waitFor(() => rolloutDone(fake.get('Deployment', 'default', 'web')) === true);
    body.spec.paused = true;
    body.spec.template.spec.containers[0].image = 'web:2';
    await apps.patchNamespacedDeployment({ name: 'web', namespace: 'default', body, fieldManager: 'hoist' }, SSA);
    const paused = await fake.waitFor(() => { const d = fake.get('Deployment', 'default', 'web'); return condition(d, 'Progressing')?.reason === 'DeploymentPaused' && d; });
    expect(condition(paused, 'Progressing').status).toBe('Unknown');
    expect(fake.list('ReplicaSet', 'default')).toHaveLength(1);

    const scale = await apps.replaceNamespacedDeploymentScale({ name: 'web', namespace: 'default', body: { metadata: { name: 'web' }, spec: { replicas: 0 } } });
    expect(scale.spec?.replicas).toBe(0);
    const empty = await fake.waitFor(() => fake.list('Pod', 'default').length === 0 && fake.get('Deployment', 'default', 'web'));
    await fake.waitFor(() => fake.get('Deployment', 'default', 'web').status.replicas === undefined);
    expect(empty.spec.replicas).toBe(0);
    expect((await apps.readNamespacedDeploymentScale({ name: 'web', namespace: 'default' })).status).toMatchObject({ replicas: 0, selector: 'app=web' });
  });
});

describe('pods by image behaviour', () => {
  test('pull-error alternates ErrImagePull and ImagePullBackOff with the kubelet\'s events', async () => {
    const { fake, core } = await cluster();
    fake.imageBehaviour('ghcr.io/acme/missing', { kind: 'pull-error' });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'ghcr.io/acme/missing:1' }] } } });
    const states = new Set<string>();
    await fake.waitFor(() => {
      const reason = containerStatus(fake.get('Pod', 'default', 'p'))?.state?.waiting?.reason;
      if (reason) states.add(reason);
      return states.has('ErrImagePull') && states.has('ImagePullBackOff');
    });
    const pod = fake.get('Pod', 'default', 'p');
    expect(pod.status.phase).toBe('Pending');
    const events = (await core.listNamespacedEvent({ namespace: 'default', fieldSelector: 'involvedObject.name=p' })).items;
    expect(events.map((e) => `${e.type} ${e.reason} ${e.message}`)).toEqual(expect.arrayContaining([
      'Normal Scheduled Successfully assigned default/p to fake-node',
      'Normal Pulling Pulling image "ghcr.io/acme/missing:1"',
      'Warning Failed Error: ErrImagePull',
      'Normal BackOff Back-off pulling image "ghcr.io/acme/missing:1"',
      'Warning Failed Error: ImagePullBackOff',
    ]));
    expect(events.find((e) => e.reason === 'Failed' && e.message?.startsWith('Failed to pull image'))?.message)
      .toContain('ghcr.io/acme/missing:1');
  });

  test('crash-loop restarts under CrashLoopBackOff; logs of the current and the previous instance', async () => {
    const { fake, core } = await cluster({ timeScale: 50 });
    fake.imageBehaviour('crasher', { kind: 'crash-loop', logs: ['starting', 'panic: boom'], exitCode: 2 });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'crasher:1' }] } } });
    const pod = await fake.waitFor(() => {
      const p = fake.get('Pod', 'default', 'p');
      return containerStatus(p)?.restartCount >= 1 && containerStatus(p)?.state?.waiting?.reason === 'CrashLoopBackOff' && p;
    }, 10_000);
    const cs = containerStatus(pod);
    expect(cs.state.waiting.message).toMatch(/^back-off \d+s restarting failed container=app pod=p_default\(/);
    expect(cs.lastState.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
    expect(cs.ready).toBe(false);
    expect(pod.status.phase).toBe('Running');
    const previous = await core.readNamespacedPodLog({ name: 'p', namespace: 'default', previous: true });
    expect(previous).toBe('starting\npanic: boom\n');
    const tail = await core.readNamespacedPodLog({ name: 'p', namespace: 'default', previous: true, tailLines: 1 });
    expect(tail).toBe('panic: boom\n');
    const current = await failure(core.readNamespacedPodLog({ name: 'p', namespace: 'default' }));
    expect(current.code).toBe(400);
    const events = fake.list('Event', 'default').filter((e) => e.involvedObject.name === 'p');
    expect(events.find((e) => e.reason === 'BackOff')?.message).toMatch(/^Back-off restarting failed container app in pod p_default\(/);
  });

  test('oom: OOMKilled with 137, then CrashLoopBackOff remembering it', async () => {
    const { fake, core } = await cluster({ timeScale: 50 });
    fake.imageBehaviour(/hungry/, { kind: 'oom' });
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'app', image: 'hungry:1' }] } } });
    const terminated = await fake.waitFor(() => containerStatus(fake.get('Pod', 'default', 'p'))?.state?.terminated);
    expect(terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
    const waiting = await fake.waitFor(() => {
      const cs = containerStatus(fake.get('Pod', 'default', 'p'));
      return cs?.state?.waiting?.reason === 'CrashLoopBackOff' && cs;
    });
    expect(waiting.lastState.terminated).toMatchObject({ reason: 'OOMKilled', exitCode: 137 });
  });

  test('config-error waits in CreateContainerConfigError; slow and ready become Ready with logs', async () => {
    const { fake, core } = await cluster();
    fake.imageBehaviour('misconfigured', { kind: 'config-error', message: 'secret "db" not found' });
    fake.imageBehaviour('slowpoke', { kind: 'slow', readySeconds: 5 });
    fake.imageBehaviour('chatty', { kind: 'ready', logs: ['listening on :8080'] });
    const pod = (name: string, image: string) => core.createNamespacedPod({ namespace: 'default', body: { metadata: { name }, spec: { containers: [{ name: 'app', image }] } } });
    await pod('bad', 'misconfigured:1');
    await pod('slow', 'slowpoke:1');
    await pod('fast', 'chatty:1');

    const bad = await fake.waitFor(() => containerStatus(fake.get('Pod', 'default', 'bad'))?.state?.waiting?.reason === 'CreateContainerConfigError' && fake.get('Pod', 'default', 'bad'));
    expect(containerStatus(bad).state.waiting.message).toBe('secret "db" not found');
    expect(bad.status.phase).toBe('Pending');
    const fast = await fake.waitFor(() => condition(fake.get('Pod', 'default', 'fast'), 'Ready')?.status === 'True' && fake.get('Pod', 'default', 'fast'));
    expect(condition(fake.get('Pod', 'default', 'slow'), 'Ready')?.status).toBe('False');
    expect(containerStatus(fast)).toMatchObject({ ready: true, started: true, restartCount: 0, image: 'chatty:1', imageID: expect.stringMatching(/^docker\.io\/library\/chatty@sha256:[0-9a-f]{64}$/) });
    expect(fast.status.conditions.map((c: Json) => c.type)).toEqual(['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled']);
    expect(await core.readNamespacedPodLog({ name: 'fast', namespace: 'default' })).toBe('listening on :8080\n');
    const slowReady = await fake.waitFor(() => {
      const ready = condition(fake.get('Pod', 'default', 'slow'), 'Ready');
      return ready?.status === 'True' && ready;
    });
    const started = Date.parse(containerStatus(fake.get('Pod', 'default', 'slow')).state.running.startedAt);
    expect(Date.parse(slowReady.lastTransitionTime) - started).toBeGreaterThanOrEqual(4000);
    const events = fake.list('Event', 'default').filter((e) => e.involvedObject.name === 'bad');
    expect(events.map((e) => e.message)).toContain('Error: secret "db" not found');
  });

  test('a pod of two containers needs ?container= for its logs', async () => {
    const { fake, core } = await cluster();
    await core.createNamespacedPod({ namespace: 'default', body: { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x:1' }, { name: 'b', image: 'y:1' }] } } });
    await fake.waitFor(() => fake.get('Pod', 'default', 'p')?.status?.phase === 'Running');
    const missing = await failure(core.readNamespacedPodLog({ name: 'p', namespace: 'default' }));
    expect(missing.body.message).toBe('a container name must be specified for pod p, choose one of: [a b]');
    expect(await core.readNamespacedPodLog({ name: 'p', namespace: 'default', container: 'b' })).toBe('');
    const noPrevious = await failure(core.readNamespacedPodLog({ name: 'p', namespace: 'default', container: 'a', previous: true }));
    expect(noPrevious.body.message).toBe('previous terminated container "a" in pod "p" not found');
  });
});

describe('Jobs, CronJobs, StatefulSets', () => {
  const job = (name: string, image: string, backoffLimit?: number): Json => ({
    metadata: { name },
    spec: { ...(backoffLimit === undefined ? {} : { backoffLimit }), template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image }] } } },
  });

  test('a Job completes; another fails with BackoffLimitExceeded after its retries', async () => {
    const { fake, batch } = await cluster({ timeScale: 50 });
    fake.imageBehaviour('migrate-bad', { kind: 'fail', exitCode: 3, logs: ['relation missing'] });
    await batch.createNamespacedJob({ namespace: 'default', body: job('ok', 'migrate:1') });
    await batch.createNamespacedJob({ namespace: 'default', body: job('bad', 'migrate-bad:1', 1) });

    const ok = await fake.waitFor(() => condition(fake.get('Job', 'default', 'ok'), 'Complete')?.status === 'True' && fake.get('Job', 'default', 'ok'));
    expect(ok.status).toMatchObject({ succeeded: 1, ready: 0, startTime: expect.any(String), completionTime: expect.any(String) });
    expect(ok.spec.selector.matchLabels['batch.kubernetes.io/controller-uid']).toBe(ok.metadata.uid);
    expect(fake.list('Event', 'default').some((e) => e.involvedObject.name === 'ok' && e.reason === 'Completed')).toBe(true);

    const bad = await fake.waitFor(() => condition(fake.get('Job', 'default', 'bad'), 'Failed')?.status === 'True' && fake.get('Job', 'default', 'bad'), 10_000);
    expect(condition(bad, 'Failed')).toMatchObject({ reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' });
    expect(bad.status.failed).toBe(2);
    const pods = fake.list('Pod', 'default').filter((p) => p.metadata.labels['job-name'] === 'bad');
    expect(pods).toHaveLength(2);
    expect(containerStatus(pods[0]).state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    const events = fake.list('Event', 'default').filter((e) => e.involvedObject.name === 'bad').map((e) => `${e.type} ${e.reason}`);
    expect(events).toEqual(expect.arrayContaining(['Normal SuccessfulCreate', 'Warning BackoffLimitExceeded']));
  });

  test('a CronJob needs a schedule; triggerCronJob makes an owned Job unless suspended', async () => {
    const { fake, batch } = await cluster();
    const cron = (name: string, schedule?: string, suspend = false): Json => ({
      metadata: { name },
      spec: { ...(schedule ? { schedule } : {}), suspend, jobTemplate: job('x', 'report:1') },
    });
    const invalid = await failure(batch.createNamespacedCronJob({ namespace: 'default', body: cron('nightly') }));
    expect(invalid.body.message).toBe('CronJob.batch "nightly" is invalid: spec.schedule: Required value');
    await batch.createNamespacedCronJob({ namespace: 'default', body: cron('nightly', '0 3 * * *') });
    await batch.createNamespacedCronJob({ namespace: 'default', body: cron('paused', '0 3 * * *', true) });
    expect(fake.triggerCronJob('default', 'paused')).toBeNull();
    const created = fake.triggerCronJob('default', 'nightly');
    expect(created.metadata.ownerReferences[0]).toMatchObject({ kind: 'CronJob', name: 'nightly', controller: true });
    await fake.waitFor(() => condition(fake.get('Job', 'default', created.metadata.name), 'Complete'));
    const cj = await fake.waitFor(() => fake.get('CronJob', 'default', 'nightly')?.status?.lastSuccessfulTime && fake.get('CronJob', 'default', 'nightly'));
    expect(cj.status.active).toBeUndefined();
  });

  test('a StatefulSet makes ordered pods and PVCs, keeps PVCs on scale-down and delete, and rolls from the top', async () => {
    const { fake, apps } = await cluster();
    const sts: Json = {
      apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'default' },
      spec: {
        replicas: 3, serviceName: 'db', selector: { matchLabels: { app: 'db' } },
        template: { metadata: { labels: { app: 'db' } }, spec: { containers: [{ name: 'pg', image: 'postgres:16' }] } },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      },
    };
    await apps.patchNamespacedStatefulSet({ name: 'db', namespace: 'default', body: sts, fieldManager: 'hoist' }, SSA);
    const order: string[] = [];
    await fake.waitFor(() => {
      for (const p of fake.list('Pod', 'default')) if (!order.includes(p.metadata.name)) order.push(p.metadata.name);
      return fake.get('StatefulSet', 'default', 'db')?.status?.readyReplicas === 3;
    });
    expect(order).toEqual(['db-0', 'db-1', 'db-2']);
    expect(fake.list('PersistentVolumeClaim', 'default').map((p) => p.metadata.name)).toEqual(['data-db-0', 'data-db-1', 'data-db-2']);
    expect(fake.get('Pod', 'default', 'db-1').spec.volumes).toContainEqual({ name: 'data', persistentVolumeClaim: { claimName: 'data-db-1' } });

    sts.spec.template.spec.containers[0].image = 'postgres:17';
    await apps.patchNamespacedStatefulSet({ name: 'db', namespace: 'default', body: sts, fieldManager: 'hoist' }, SSA);
    const replaced: string[] = [];
    const rolled = await fake.waitFor(() => {
      for (const p of fake.list('Pod', 'default')) {
        if (p.spec.containers[0].image === 'postgres:17' && !replaced.includes(p.metadata.name)) replaced.push(p.metadata.name);
      }
      const s = fake.get('StatefulSet', 'default', 'db');
      return s.status.observedGeneration === 2 && s.status.currentRevision === s.status.updateRevision && s.status.readyReplicas === 3 && s;
    }, 10_000);
    expect(replaced).toEqual(['db-2', 'db-1', 'db-0']);
    expect(rolled.status).toMatchObject({ replicas: 3, currentReplicas: 3, updatedReplicas: 3, availableReplicas: 3 });

    await apps.patchNamespacedStatefulSetScale({ name: 'db', namespace: 'default', body: { spec: { replicas: 1 } } }, MERGE);
    await fake.waitFor(() => fake.list('Pod', 'default').length === 1);
    expect(fake.list('PersistentVolumeClaim', 'default')).toHaveLength(3);
    await apps.deleteNamespacedStatefulSet({ name: 'db', namespace: 'default' });
    await fake.waitFor(() => fake.list('Pod', 'default').length === 0);
    expect(fake.list('PersistentVolumeClaim', 'default')).toHaveLength(3);
  });
});

describe('deletion', () => {
  test('background deletion collects ReplicaSets and pods; Orphan keeps them; a Job keeps its pods by default with a warning', async () => {
    const { fake, apps, batch } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('gone', 'x:1', 2) });
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('kept', 'x:1', 1) });
    await fake.waitFor(() => fake.list('Pod', 'default').filter((p) => p.status.phase === 'Running').length === 3);
    const status = await apps.deleteNamespacedDeployment({ name: 'gone', namespace: 'default' });
    expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'gone', group: 'apps', kind: 'deployments' } });
    await apps.deleteNamespacedDeployment({ name: 'kept', namespace: 'default', propagationPolicy: 'Orphan' });
    await fake.waitFor(() => fake.list('Pod', 'default').length === 1);
    const orphan = fake.list('ReplicaSet', 'default');
    expect(orphan).toHaveLength(1);
    expect(orphan[0].metadata.ownerReferences).toBeUndefined();

    await batch.createNamespacedJob({ namespace: 'default', body: { metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'x:1' }] } } } } });
    await fake.waitFor(() => fake.list('Pod', 'default').some((p) => p.metadata.labels['job-name'] === 'j'));
    await batch.deleteNamespacedJob({ name: 'j', namespace: 'default' });
    const response = fake.requests.at(-1);
    expect(response).toMatchObject({ method: 'DELETE', status: 200 });
    expect(fake.list('Pod', 'default').some((p) => p.metadata.labels['job-name'] === 'j')).toBe(true);
    const res = await fetch(`${fake.url}/apis/batch/v1/namespaces/default/jobs`, { method: 'POST', headers: { authorization: kcToken(fake), 'content-type': 'application/json' }, body: JSON.stringify({ metadata: { name: 'k' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'm', image: 'x:1' }] } } } }) });
    expect(res.status).toBe(201);
    const del = await fetch(`${fake.url}/apis/batch/v1/namespaces/default/jobs/k`, { method: 'DELETE', headers: { authorization: kcToken(fake) } });
    expect(del.headers.get('warning')).toContain('child pods are preserved by default when jobs are deleted');
  });

  test('Foreground deletion waits for dependents; a finalizer holds an object until removed', async () => {
    const { fake, apps, core } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'x:1', 2) });
    await fake.waitFor(() => fake.list('Pod', 'default').length === 2);
    await apps.deleteNamespacedDeployment({ name: 'web', namespace: 'default', propagationPolicy: 'Foreground' });
    const deleting = fake.get('Deployment', 'default', 'web');
    expect(deleting.metadata.deletionTimestamp).toBeDefined();
    expect(deleting.metadata.finalizers).toEqual(['foregroundDeletion']);
    await fake.waitFor(() => !fake.get('Deployment', 'default', 'web'));
    expect(fake.list('Pod', 'default')).toEqual([]);
    expect(fake.list('ReplicaSet', 'default')).toEqual([]);

    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await core.deleteNamespacedConfigMap({ name: 'held', namespace: 'default' });
    expect(fake.get('ConfigMap', 'default', 'held')?.metadata.deletionTimestamp).toBeDefined();
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'default', body: { metadata: { finalizers: null } } }, MERGE);
    expect(fake.get('ConfigMap', 'default', 'held')).toBeUndefined();
  });

  test('a namespace terminates, empties, then goes', async () => {
    // Real-time clock: its pods take a second to go, so the namespace stays Terminating meanwhile.
    const { fake, core, apps } = await cluster({ timeScale: 1 });
    await core.createNamespace({ body: { metadata: { name: 'tmp' } } });
    await apps.createNamespacedDeployment({ namespace: 'tmp', body: { ...deployment('web', 'x:1'), metadata: { name: 'web' } } });
    await fake.waitFor(() => fake.list('Pod', 'tmp').length === 2);
    // An object with a finalizer holds the namespace in Terminating until it is released.
    await core.createNamespacedConfigMap({ namespace: 'tmp', body: { metadata: { name: 'held', finalizers: ['example.com/hold'] } } });
    await core.deleteNamespace({ name: 'tmp' });
    expect(fake.get('Namespace', null, 'tmp')?.status.phase).toBe('Terminating');
    const refused = await failure(core.createNamespacedConfigMap({ namespace: 'tmp', body: { metadata: { name: 'late' } } }));
    expect(refused.code).toBe(403);
    await fake.waitFor(() => fake.list('Pod', 'tmp').length === 0 && fake.list('Deployment', 'tmp').length === 0);
    expect(fake.get('Namespace', null, 'tmp')?.status.phase).toBe('Terminating');
    await core.patchNamespacedConfigMap({ name: 'held', namespace: 'tmp', body: { metadata: { finalizers: null } } }, MERGE);
    await fake.waitFor(() => !fake.get('Namespace', null, 'tmp'));
    expect(fake.list('Deployment', 'tmp')).toEqual([]);
  });
});

function kcToken(fake: FakeKube): string {
  const token = /token: (\S+)/.exec(fake.kubeconfig())?.[1];
  return `Bearer ${token}`;
}

describe('watches', () => {
  function collect(kc: KubeConfig, path: string, query: Record<string, string | number | boolean>) {
    const events: Array<{ type: string; object: Json }> = [];
    let ended: unknown = 'open';
    const controller = new Watch(kc).watch(path, query, (type, object) => events.push({ type, object }), (err) => {
      ended = err;
    });
    return { events, controller, ended: () => ended };
  }

  test('resumes from a resourceVersion, translates selector changes, and sends bookmarks', async () => {
    const { fake, kc, core } = await cluster({ bookmarkIntervalMs: 50 });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a', labels: { watched: 'yes' } } } });
    const list = await core.listNamespacedConfigMap({ namespace: 'default' });
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { data: { k: '1' } } }, MERGE);
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'b' } } });

    const w = collect(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: list.metadata?.resourceVersion as string, labelSelector: 'watched=yes', allowWatchBookmarks: true });
    await fake.waitFor(() => w.events.some((e) => e.type === 'BOOKMARK'));
    expect(w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a']);
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { metadata: { labels: { watched: 'no' } } } }, MERGE);
    await core.patchNamespacedConfigMap({ name: 'b', namespace: 'default', body: { metadata: { labels: { watched: 'yes' } } } }, MERGE);
    await fake.waitFor(() => w.events.filter((e) => e.type !== 'BOOKMARK').length === 3);
    expect(w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a', 'DELETED a', 'ADDED b']);
    const bookmark = w.events.find((e) => e.type === 'BOOKMARK');
    expect(bookmark?.object).toMatchObject({ kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: expect.stringMatching(/^\d+$/) } });
    (await w.controller).abort();
  });

  test('without a resourceVersion: current objects as ADDED; timeoutSeconds ends the stream', async () => {
    const { fake, kc, apps } = await cluster();
    await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'x:1') });
    const w = collect(kc, '/apis/apps/v1/namespaces/default/deployments', { timeoutSeconds: 1, fieldSelector: 'metadata.name=web' });
    await fake.waitFor(() => w.events.length > 0);
    expect(w.events[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web' } } });
    await fake.waitFor(() => w.ended() !== 'open', 3000);
    expect(w.ended()).toBeNull();
  });

  test('a watch of one object, through the legacy /watch/ path', async () => {
    const { fake, kc, core } = await cluster();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' } } });
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'b' } } });
    const w = collect(kc, '/api/v1/watch/namespaces/default/configmaps/a', {});
    await fake.waitFor(() => w.events.length === 1);
    await core.patchNamespacedConfigMap({ name: 'b', namespace: 'default', body: { data: { x: '1' } } }, MERGE);
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { data: { x: '1' } } }, MERGE);
    await fake.waitFor(() => w.events.length === 2);
    expect(w.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['ADDED a', 'MODIFIED a']);
    (await w.controller).abort();
  });

  test('a resourceVersion older than the history answers ERROR 410 Expired', async () => {
    const { fake, kc, core } = await cluster({ historyLimit: 5 });
    const first = await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' } } });
    for (let i = 0; i < 6; i++) await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { data: { i: String(i) } } }, MERGE);
    const w = collect(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: first.metadata?.resourceVersion as string });
    await fake.waitFor(() => w.events.length > 0);
    expect(w.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', status: 'Failure', reason: 'Expired', code: 410 } });
    expect(w.events[0]?.object.message).toMatch(/^too old resource version: \d+ \(\d+\)$/);
  });

  test('a watch cache that starts over drops the watches; resuming from a version given before answers 410, from a new list it is served', async () => {
    const { fake, kc, core } = await cluster();
    await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'a' } } });
    const before = await core.listNamespacedConfigMap({ namespace: 'default' });
    const open = collect(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: before.metadata?.resourceVersion as string });
    fake.faults.restartWatchCache();
    await fake.waitFor(() => open.ended() !== 'open');
    const resumed = collect(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: before.metadata?.resourceVersion as string });
    await fake.waitFor(() => resumed.events.length > 0);
    expect(resumed.events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', reason: 'Expired', code: 410 } });
    const again = await core.listNamespacedConfigMap({ namespace: 'default' });
    const fresh = collect(kc, '/api/v1/namespaces/default/configmaps', { resourceVersion: again.metadata?.resourceVersion as string });
    await core.patchNamespacedConfigMap({ name: 'a', namespace: 'default', body: { data: { k: '1' } } }, MERGE);
    await fake.waitFor(() => fresh.events.length > 0);
    expect(fresh.events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(['MODIFIED a']);
    (await fresh.controller).abort();
  });
});

describe('Ingress status', () => {
  test('a served class writes an address; moved to a class nobody serves, the old address stays; moved to another served class, that class writes its own', async () => {
    const { fake, kc } = await cluster({ ingress: { classes: ['nginx', 'haproxy'], addressSeconds: 1 } });
    const networking = kc.makeApiClient(NetworkingV1Api);
    const body = (className: string): Json => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'web', namespace: 'default' },
      spec: { ingressClassName: className, rules: [{ host: 'web.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] },
    });
    const address = () => (fake.get('Ingress', 'default', 'web')?.status?.loadBalancer?.ingress ?? [])[0]?.ip as string | undefined;
    await networking.patchNamespacedIngress({ name: 'web', namespace: 'default', body: body('nginx'), fieldManager: 'hoist', force: true }, SSA);
    const first = await fake.waitFor(() => address());
    expect(first).toMatch(/^203\.0\.113\.\d+$/);

    await networking.patchNamespacedIngress({ name: 'web', namespace: 'default', body: body('traefik'), fieldManager: 'hoist', force: true }, SSA);
    // Nobody serves traefik: the status is nobody's to write, and nginx's address stays in it.
    let ticks = 0;
    await fake.waitFor(() => ++ticks >= 20);
    expect(fake.get('Ingress', 'default', 'web').spec.ingressClassName).toBe('traefik');
    expect(address()).toBe(first);

    await networking.patchNamespacedIngress({ name: 'web', namespace: 'default', body: body('haproxy'), fieldManager: 'hoist', force: true }, SSA);
    const second = await fake.waitFor(() => (address() !== first ? address() : undefined));
    expect(second).toMatch(/^203\.0\.113\.\d+$/);
  });
});

describe('faults', () => {
  test('failNext answers real Status bodies: 429 with Retry-After, 500, 503, 409 on a matching path', async () => {
    const { fake, core } = await cluster();
    fake.faults.failNext(1, 429);
    const limited = await failure(core.listNamespacedPod({ namespace: 'default' }));
    expect(limited.code).toBe(429);
    expect(limited.body).toMatchObject({ reason: 'TooManyRequests', details: { retryAfterSeconds: 1 } });
    const res = await fetch(`${fake.url}/version`);
    expect(res.status).toBe(200);
    fake.faults.failNext(1, 429, { path: /\/version$/ });
    expect((await fetch(`${fake.url}/version`)).headers.get('retry-after')).toBe('1');

    fake.faults.failNext(2, 503, { method: 'POST', path: /configmaps/ });
    fake.faults.failNext(1, 500);
    expect((await failure(core.listNamespacedPod({ namespace: 'default' }))).body.reason).toBe('InternalError');
    const body = { metadata: { name: 'c' } };
    expect((await failure(core.createNamespacedConfigMap({ namespace: 'default', body }))).code).toBe(503);
    expect((await failure(core.createNamespacedConfigMap({ namespace: 'default', body }))).code).toBe(503);
    await core.createNamespacedConfigMap({ namespace: 'default', body });
    fake.faults.failNext(1, 409, { method: 'PATCH' });
    expect((await failure(core.patchNamespacedConfigMap({ name: 'c', namespace: 'default', body: {} }, MERGE))).body.reason).toBe('Conflict');
    expect(fake.requests.filter((r) => r.status >= 400).map((r) => r.status)).toEqual([429, 429, 500, 503, 503, 409]);
  });

  test('latency delays every request; dropWatches cuts open watches', async () => {
    const { fake, kc, core } = await cluster();
    fake.faults.latency(150);
    const started = Date.now();
    await core.listNamespacedPod({ namespace: 'default' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    fake.faults.latency(0);

    let ended: unknown = 'open';
    const controller = await new Watch(kc).watch('/api/v1/namespaces/default/pods', {}, () => undefined, (err) => {
      ended = err;
    });
    await fake.waitFor(() => fake.requests.some((r) => r.query.watch === 'true' && r.status === 200));
    fake.faults.dropWatches();
    await fake.waitFor(() => ended !== 'open');
    controller.abort();
  });

  test('a wrong token is 401 Unauthorized', async () => {
    const { fake } = await cluster();
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig().replace(/token: \S+/, 'token: wrong'));
    const denied = await failure(kc.makeApiClient(CoreV1Api).listNamespace());
    expect(denied.code).toBe(401);
  });
});

// A typed read still works: the shapes parse as client-node's models.
test('client-node models parse the fake\'s objects', async () => {
  const { fake, apps } = await cluster();
  await apps.createNamespacedDeployment({ namespace: 'default', body: deployment('web', 'x:1') });
  await fake.waitFor(() => rolloutDone(fake.get('Deployment', 'default', 'web')) === true);
  const d: V1Deployment = await apps.readNamespacedDeployment({ name: 'web', namespace: 'default' });
  expect(d.status?.conditions?.[0]?.lastUpdateTime).toBeInstanceOf(Date);
  expect(d.spec?.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
});
