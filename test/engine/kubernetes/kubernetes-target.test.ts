import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseHoistConfig, type EnvironmentConfig } from '../../../src/config/hoist-config.ts';
import type { Outcome, Target } from '../../../src/engine/ports.ts';
import { placementOf } from '../../../src/engine/service-spec.ts';
import { createKubernetesTarget, type KubernetesTargetOptions } from '../../../src/engine/targets/kubernetes/index.ts';
import { deploymentStatus, statefulSetStatus } from '../../../src/engine/targets/kubernetes/rollout-status.ts';
import { startFakeKube, type FakeKube } from '../../fakes/kube-api/index.ts';
import { serviceSpec } from '../target-spec.ts';

/*
 * The Kubernetes target against the fake API server (test/fakes/kube-api): real HTTP, real
 * client-node, the fake's deployment controller and kubelet. The fake's clock runs ten times
 * faster than real time, so a 10 s progress deadline passes in about a second.
 */

const TIME_SCALE = 10;
const config = parseHoistConfig(
  `
targets:
  k8s: { kind: kubernetes, context: fake }
apps:
  shop:
    repo: https://git.example.com/shop.git
    services:
      api: { type: application, build: { context: . }, port: 8080, replicas: 2, health: { path: /healthz } }
      worker: { type: container, image: reg.test/shop-worker:1 }
      db: { type: database, image: reg.test/postgres:16, port: 5432, storage: 2Gi }
      migrate: { type: lifecycle-job, image: reg.test/shop-migrate:1, command: [migrate] }
      report: { type: cronjob, image: reg.test/shop-report:1, schedule: "0 3 * * *" }
    environments:
      base: { target: k8s }
`,
  '/virtual/hoist.yaml',
);
const base = config.apps.get('shop')?.environments.get('base') as EnvironmentConfig;

/** An environment of its own per test: its own namespace (shop-<name>), its own instance label. */
const envNamed = (name: string): EnvironmentConfig => ({ ...base, name, namespace: `shop-${name}` });

let fake: FakeKube;
let target: Target;
let nextId = 100;
const timings: Record<string, number> = {};
let workdir: string;

const timing: KubernetesTargetOptions['timing'] = {
  progressDeadlineSeconds: 10,
  rolloutTimeoutMs: 20_000,
  undoTimeoutMs: 20_000,
  stopTimeoutMs: 20_000,
  retry: { tries: 6, budgetMs: 8_000, baseDelayMs: 20 },
  // Watches the server ends every 2 s: the longer tests see them re-opened.
  watch: { reopenDelayMs: 20, maxReopenDelayMs: 200, maxFailures: 20, watchTimeoutSeconds: 2 },
};

beforeAll(async () => {
  fake = await startFakeKube({ timeScale: TIME_SCALE, tickMs: 10, podReadySeconds: 1 });
  workdir = mkdtempSync(join(tmpdir(), 'hoist-kube-'));
  // Through a kubeconfig file and a named context, as the wiring does with KUBECONFIG.
  const path = join(workdir, 'kubeconfig');
  writeFileSync(path, fake.kubeconfig({ context: 'fake' }));
  target = createKubernetesTarget({ kubeconfigPath: path, context: 'fake', timing });
});

afterAll(async () => {
  expect(fake?.errors ?? []).toEqual([]);
  await fake?.close();
  if (workdir) rmSync(workdir, { recursive: true, force: true });
  console.log('kubernetes target timings (ms):', JSON.stringify(timings));
});

interface Rolled {
  outcome: Outcome;
  lines: string[];
  ms: number;
  image: string;
  deploymentId: number;
}

async function roll(
  env: EnvironmentConfig,
  name: string,
  tag: string,
  options: { signal?: AbortSignal; onLog?: (line: string) => void } = {},
): Promise<Rolled> {
  const image = `reg.test/shop-${name}:${tag}`;
  const lines: string[] = [];
  const deploymentId = nextId++;
  const started = Date.now();
  const outcome = await target.rollout({
    deploymentId,
    placement: placementOf(env),
    service: serviceSpec(env, name, { version: tag, image }),
    image,
    version: tag,
    signal: options.signal ?? new AbortController().signal,
    log: (line) => {
      lines.push(line);
      options.onLog?.(line);
    },
  });
  return { outcome, lines, ms: Date.now() - started, image, deploymentId };
}

const request = (env: EnvironmentConfig, name: string, signal = new AbortController().signal) => ({
  deploymentId: nextId++,
  placement: placementOf(env),
  service: serviceSpec(env, name),
  signal,
  log: () => undefined,
});

function expectOk(rolled: Rolled): void {
  expect(rolled.outcome, rolled.lines.join('\n')).toMatchObject({ ok: true });
}

function failed(rolled: Rolled): { reason: string; logTail: string[] } {
  expect(rolled.outcome.ok, rolled.lines.join('\n')).toBe(false);
  return rolled.outcome as { reason: string; logTail: string[] };
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the fake's objects are plain JSON */
const live = (pods: any[]) => pods.filter((p) => !p.metadata.deletionTimestamp);
const podsOf = (ns: string, name: string): any[] => live(fake.list('Pod', ns).filter((p: any) => p.metadata.labels?.['app.kubernetes.io/name'] === name));
const imageOf = (object: any): string | undefined => object?.spec?.template?.spec?.containers?.[0]?.image;

/** The Deployment's template runs `image`, its rollout is complete, and every pod left runs that image. */
function expectRunning(ns: string, name: string, image: string): void {
  const d = fake.get('Deployment', ns, name);
  expect(imageOf(d)).toBe(image);
  expect(deploymentStatus(d).state).toBe('done');
  const pods = podsOf(ns, name);
  expect(pods.length).toBe(d.spec.replicas);
  for (const pod of pods) expect(pod.spec.containers[0].image).toBe(image);
}

describe('kubernetes target: rollouts', () => {
  it('an application: namespace, Service and Deployment applied server-side by hoist, labelled, and waited for', async () => {
    const env = envNamed('app');
    const rolled = await roll(env, 'api', 'v1');
    expectOk(rolled);
    timings.applicationRollout = rolled.ms;
    const ns = env.namespace;
    expect(fake.get('Namespace', null, ns)).toBeDefined();

    const d = fake.get('Deployment', ns, 'api');
    const labels = {
      'app.kubernetes.io/name': 'api',
      'app.kubernetes.io/instance': 'shop-app',
      'app.kubernetes.io/part-of': 'shop',
      'app.kubernetes.io/version': 'v1',
      'app.kubernetes.io/managed-by': 'hoist',
    };
    const annotations = { 'hoist.dev/deployment-id': String(rolled.deploymentId), 'hoist.dev/version': 'v1' };
    expect(d.metadata.labels).toEqual(labels);
    expect(d.metadata.annotations).toMatchObject(annotations);
    expect(d.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'api', 'app.kubernetes.io/instance': 'shop-app' });
    expect(d.spec.template.metadata.labels).toMatchObject(labels);
    expect(d.spec.template.metadata.annotations).toMatchObject(annotations);
    expect(d.spec.template.spec.containers[0].readinessProbe.httpGet).toMatchObject({ path: '/healthz', port: 8080 });
    expect(d.metadata.managedFields.some((m: any) => m.manager === 'hoist' && m.operation === 'Apply')).toBe(true);
    expectRunning(ns, 'api', rolled.image);

    const svc = fake.get('Service', ns, 'api');
    expect(svc.metadata.labels).toEqual(labels);
    expect(svc.spec.ports[0]).toMatchObject({ port: 8080, targetPort: 8080 });

    // Every write is a server-side apply with field manager hoist (a namespace is created outright).
    const writes = fake.requests.filter((r) => r.method === 'PATCH' && r.path.includes(`/namespaces/${ns}/`));
    expect(writes.length).toBeGreaterThanOrEqual(2);
    for (const w of writes) {
      expect(w.contentType).toBe('application/apply-patch+yaml');
      expect(w.query).toMatchObject({ fieldManager: 'hoist', force: 'true' });
    }
    // The rollout waited on watches, not by polling.
    expect(fake.requests.some((r) => r.method === 'GET' && r.path === `/apis/apps/v1/namespaces/${ns}/deployments` && r.query.watch === 'true')).toBe(true);
    expect(rolled.lines).toContain('deployment "api" successfully rolled out');

    expect(await target.inspect(placementOf(env))).toEqual([
      {
        service: 'api',
        version: 'v1',
        image: rolled.image,
        deploymentId: rolled.deploymentId,
        endpoint: `http://api.${ns}.svc.cluster.local:8080`,
        healthy: true,
        ready: 2,
        desired: 2,
      },
    ]);

    // The next version replaces it.
    const next = await roll(env, 'api', 'v2');
    expectOk(next);
    expectRunning(ns, 'api', next.image);
    expect(fake.get('Deployment', ns, 'api').metadata.labels['app.kubernetes.io/version']).toBe('v2');
  });

  it('a container without a port: a Deployment and no Service', async () => {
    const env = envNamed('container');
    expectOk(await roll(env, 'worker', '1'));
    expect(fake.get('Deployment', env.namespace, 'worker')).toBeDefined();
    expect(fake.get('Service', env.namespace, 'worker')).toBeUndefined();
  });

  it('a database: a StatefulSet with its volume claim and a headless Service', async () => {
    const env = envNamed('db');
    const rolled = await roll(env, 'db', '16');
    expectOk(rolled);
    timings.databaseRollout = rolled.ms;
    const sts = fake.get('StatefulSet', env.namespace, 'db');
    expect(sts.metadata.labels['app.kubernetes.io/managed-by']).toBe('hoist');
    expect(sts.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe('2Gi');
    expect(statefulSetStatus(sts).state).toBe('done');
    expect(fake.get('Service', env.namespace, 'db').spec.clusterIP).toBe('None');
    expect(fake.list('PersistentVolumeClaim', env.namespace).length).toBe(1);
    const [running] = await target.inspect(placementOf(env));
    expect(running).toMatchObject({ service: 'db', version: '16', healthy: true, endpoint: `tcp://db.${env.namespace}.svc.cluster.local:5432` });
  });

  it('a lifecycle job: a Job per deployment, done when Complete', async () => {
    const env = envNamed('job');
    fake.imageBehaviour('shop-migrate:ok', { kind: 'succeed', seconds: 2, logs: ['migrated 3 tables'] });
    const rolled = await roll(env, 'migrate', 'ok');
    expectOk(rolled);
    timings.jobRollout = rolled.ms;
    const job = fake.get('Job', env.namespace, `migrate-${rolled.deploymentId}`);
    expect(job.spec.backoffLimit).toBe(0);
    expect(job.spec.ttlSecondsAfterFinished).toBeGreaterThan(0);
    expect(job.metadata.labels['app.kubernetes.io/name']).toBe('migrate');
    expect(job.status.conditions.some((c: any) => c.type === 'Complete' && c.status === 'True')).toBe(true);
  });

  it('a cronjob: applied with its schedule', async () => {
    const env = envNamed('cron');
    expectOk(await roll(env, 'report', '1'));
    const cron = fake.get('CronJob', env.namespace, 'report');
    expect(cron.spec.schedule).toBe('0 3 * * *');
    expect(cron.spec.suspend).toBe(false);
    expect(cron.metadata.labels['app.kubernetes.io/name']).toBe('report');
  });
});

describe('kubernetes target: failures end early and the previous version keeps running', () => {
  /** v1 runs; `tag` behaves as told; the rollout of `tag` fails and v1 is back. */
  async function failAfterGood(envName: string, tag: string, behaviour: Parameters<FakeKube['imageBehaviour']>[1]) {
    const env = envNamed(envName);
    const good = await roll(env, 'api', 'good');
    expectOk(good);
    fake.imageBehaviour(`shop-api:${tag}`, behaviour);
    const bad = await roll(env, 'api', tag);
    const failure = failed(bad);
    timings[envName] = bad.ms;
    expectRunning(env.namespace, 'api', good.image);
    const d = fake.get('Deployment', env.namespace, 'api');
    expect(d.metadata.annotations['hoist.dev/deployment-id']).toBe(String(good.deploymentId));
    expect(d.metadata.labels['app.kubernetes.io/version']).toBe('good');
    expect((await target.inspect(placementOf(env)))[0]).toMatchObject({ version: 'good', image: good.image, healthy: true });
    return { env, failure, bad };
  }

  it('an image that cannot be pulled', async () => {
    const { failure, bad } = await failAfterGood('pull', 'missing', { kind: 'pull-error' });
    expect(failure.reason).toMatch(/^(ImagePullBackOff|ErrImagePull) — .*\(pod api-[a-z0-9-]+, container api\)$/);
    // Nothing ran, so no logs: the events say it.
    expect(failure.logTail[0]).toBe('--- events ---');
    expect(failure.logTail.some((l) => /Pod\/api-.*(Failed|BackOff)/.test(l))).toBe(true);
    expect(bad.ms).toBeLessThan(8_000);
  });

  it('a crash loop: the previous instance\'s logs', async () => {
    const { failure, env } = await failAfterGood('crash', 'crashing', { kind: 'crash-loop', logs: ['starting', 'panic: no DATABASE_URL'], exitCode: 2 });
    expect(failure.reason).toMatch(/^CrashLoopBackOff — /);
    expect(failure.logTail.some((l) => l.includes('(previous instance)'))).toBe(true);
    expect(failure.logTail).toContain('panic: no DATABASE_URL');
    expect(fake.requests.some((r) => r.path.startsWith(`/api/v1/namespaces/${env.namespace}/pods/`) && r.path.endsWith('/log') && r.query.previous === 'true')).toBe(true);
  });

  it('a config error', async () => {
    const { failure } = await failAfterGood('config', 'noconfig', { kind: 'config-error', message: 'secret "shop-db" not found' });
    expect(failure.reason).toMatch(/^CreateContainerConfigError — secret "shop-db" not found — the Secret shop-db does not exist in the namespace: create it .*; Hoist does not create or read Secrets \(pod api-/);
  });

  it('a container killed for memory', async () => {
    const { failure } = await failAfterGood('oom', 'hungry', { kind: 'oom' });
    expect(failure.reason).toMatch(/^OOMKilled — /);
  });

  it('never ready: the progress deadline', async () => {
    const { failure, bad } = await failAfterGood('deadline', 'stuck', { kind: 'never-ready', logs: ['waiting for the cache'] });
    expect(failure.reason).toBe('deployment "api" exceeded its progress deadline');
    expect(failure.logTail).toContain('waiting for the cache');
    // 10 fake seconds at ten times real speed, plus the controller's steps.
    expect(bad.ms).toBeLessThan(8_000);
  });

  it('a failed lifecycle job: its logs', async () => {
    const env = envNamed('jobfail');
    fake.imageBehaviour('shop-migrate:broken', { kind: 'fail', logs: ['ERROR: relation "users" already exists'], exitCode: 3 });
    const rolled = await roll(env, 'migrate', 'broken');
    const failure = failed(rolled);
    timings.jobFailure = rolled.ms;
    expect(failure.reason).toMatch(new RegExp(`^job "migrate-${rolled.deploymentId}" failed: BackoffLimitExceeded`));
    expect(failure.logTail).toContain('ERROR: relation "users" already exists');
  });

  it('a first rollout that fails leaves nothing behind (there is nothing to go back to)', async () => {
    const env = envNamed('first');
    fake.imageBehaviour('shop-api:firstbad', { kind: 'pull-error' });
    const failure = failed(await roll(env, 'api', 'firstbad'));
    expect(failure.reason).toMatch(/ImagePullBackOff|ErrImagePull/);
    expect(fake.get('Deployment', env.namespace, 'api')).toBeUndefined();
    expect(fake.get('Service', env.namespace, 'api')).toBeUndefined();
    expect(await target.inspect(placementOf(env))).toEqual([]);
  });

  it('a database whose new version crashes gets its earlier template back', async () => {
    const env = envNamed('dbfail');
    const good = await roll(env, 'db', 'good');
    expectOk(good);
    fake.imageBehaviour('shop-db:crashing', { kind: 'crash-loop', logs: ['FATAL: database files are incompatible'] });
    const failure = failed(await roll(env, 'db', 'crashing'));
    expect(failure.reason).toMatch(/^CrashLoopBackOff — /);
    const sts = fake.get('StatefulSet', env.namespace, 'db');
    expect(imageOf(sts)).toBe(good.image);
    expect(statefulSetStatus(sts).state).toBe('done');
    for (const pod of podsOf(env.namespace, 'db')) expect(pod.spec.containers[0].image).toBe(good.image);
  });
});

describe('kubernetes target: cancel', () => {
  it('a cancel mid-rollout restores the previous template and waits for it', async () => {
    const env = envNamed('cancel');
    const good = await roll(env, 'api', 'good');
    expectOk(good);
    fake.imageBehaviour('shop-api:slow', { kind: 'slow', readySeconds: 600 });
    const controller = new AbortController();
    const started = Date.now();
    const rolled = await roll(env, 'api', 'slow', {
      signal: controller.signal,
      // Cancel once a new pod exists (it never gets ready).
      onLog: (line) => {
        if (/[1-9]\d* out of \d+ new replicas have been updated/.test(line)) controller.abort();
      },
    });
    expect(rolled.outcome).toEqual({ ok: false, reason: 'rollout canceled', logTail: [] });
    timings.cancel = Date.now() - started;
    // The new version had started: a ReplicaSet of its own (now scaled to zero).
    const slowSet = fake.list('ReplicaSet', env.namespace).find((rs: any) => imageOf(rs) === 'reg.test/shop-api:slow');
    expect(slowSet?.spec.replicas).toBe(0);
    expectRunning(env.namespace, 'api', good.image);
    expect(fake.get('Deployment', env.namespace, 'api').spec.template.metadata.labels['pod-template-hash']).toBeUndefined();
  });

  it('a canceled lifecycle job is deleted', async () => {
    const env = envNamed('canceljob');
    fake.imageBehaviour('shop-migrate:long', { kind: 'succeed', seconds: 600 });
    const controller = new AbortController();
    const rolled = await roll(env, 'migrate', 'long', {
      signal: controller.signal,
      onLog: (line) => {
        if (line.startsWith('applied job')) controller.abort();
      },
    });
    expect(rolled.outcome).toEqual({ ok: false, reason: 'rollout canceled', logTail: [] });
    expect(fake.get('Job', env.namespace, `migrate-${rolled.deploymentId}`)).toBeUndefined();
  });

  it('an already canceled rollout touches nothing', async () => {
    const env = envNamed('precancel');
    const controller = new AbortController();
    controller.abort();
    expect((await roll(env, 'api', 'x', { signal: controller.signal })).outcome).toMatchObject({ ok: false, reason: 'rollout canceled' });
    expect(fake.get('Deployment', env.namespace, 'api')).toBeUndefined();
  });
});

describe('kubernetes target: stop, restart, remove', () => {
  it('stop scales to zero and waits for the pods to go; a deploy brings it back', async () => {
    const env = envNamed('stop');
    expectOk(await roll(env, 'api', 'v1'));
    expect(podsOf(env.namespace, 'api')).toHaveLength(2);
    const stopped = await target.stop(request(env, 'api'));
    expect(stopped).toEqual({ ok: true, stopped: 2 });
    expect(fake.get('Deployment', env.namespace, 'api').spec.replicas).toBe(0);
    expect(podsOf(env.namespace, 'api')).toHaveLength(0);
    expect((await target.inspect(placementOf(env)))[0]).toMatchObject({ service: 'api', healthy: false });
    // Stopping a stopped service stops nothing.
    expect(await target.stop(request(env, 'api'))).toEqual({ ok: true, stopped: 0 });
    const again = await roll(env, 'api', 'v2');
    expectOk(again);
    expectRunning(env.namespace, 'api', again.image);
    expect(fake.get('Deployment', env.namespace, 'api').spec.replicas).toBe(2);
  });

  it('stop keeps a database\'s volume claim and suspends a cronjob', async () => {
    const env = envNamed('stopdb');
    expectOk(await roll(env, 'db', '16'));
    expectOk(await roll(env, 'report', '1'));
    expect(await target.stop(request(env, 'db'))).toEqual({ ok: true, stopped: 1 });
    expect(podsOf(env.namespace, 'db')).toHaveLength(0);
    expect(fake.list('PersistentVolumeClaim', env.namespace)).toHaveLength(1);
    expect(await target.stop(request(env, 'report'))).toEqual({ ok: true, stopped: 1 });
    expect(fake.get('CronJob', env.namespace, 'report').spec.suspend).toBe(true);
  });

  it('restart sets restartedAt and waits for new pods', async () => {
    const env = envNamed('restart');
    expectOk(await roll(env, 'api', 'v1'));
    const before = podsOf(env.namespace, 'api').map((p) => p.metadata.name);
    const started = Date.now();
    const restarted = await target.restart(request(env, 'api'));
    timings.restart = Date.now() - started;
    expect(restarted).toEqual({ ok: true });
    const d = fake.get('Deployment', env.namespace, 'api');
    expect(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(deploymentStatus(d).state).toBe('done');
    const after = podsOf(env.namespace, 'api').map((p) => p.metadata.name);
    expect(after).toHaveLength(2);
    expect(after.filter((name) => before.includes(name))).toEqual([]);
  });

  it('a restart whose new pods crash says so, with their logs', async () => {
    const env = envNamed('restartfail');
    const rolled = await roll(env, 'api', 'flaky');
    expectOk(rolled);
    // What the image does has changed since (say, a secret it reads at start).
    fake.imageBehaviour('shop-api:flaky', { kind: 'crash-loop', logs: ['cannot read /etc/secret/token'] });
    const restarted = await target.restart(request(env, 'api'));
    expect(restarted.ok).toBe(false);
    const failure = restarted as { reason: string; logTail: string[] };
    expect(failure.reason).toMatch(/^CrashLoopBackOff — /);
    expect(failure.logTail).toContain('cannot read /etc/secret/token');
  });

  it('restart refuses what has nothing to restart', async () => {
    const env = envNamed('restartnone');
    expect(await target.restart(request(env, 'api'))).toMatchObject({ ok: false, reason: 'no deployment api in namespace shop-restartnone' });
    expect(await target.restart(request(env, 'report'))).toMatchObject({ ok: false, reason: expect.stringContaining('no long-running pods') });
    expectOk(await roll(env, 'api', 'v1'));
    await target.stop(request(env, 'api'));
    expect(await target.restart(request(env, 'api'))).toMatchObject({ ok: false, reason: 'api is stopped (0 replicas): deploy it first' });
  });

  it('remove deletes the service\'s objects but keeps volume claims', async () => {
    const env = envNamed('remove');
    expectOk(await roll(env, 'api', 'v1'));
    expectOk(await roll(env, 'db', '16'));
    const removed = await target.remove(request(env, 'api'));
    expect(removed).toEqual({ ok: true, removed: 2 });
    expect(fake.get('Deployment', env.namespace, 'api')).toBeUndefined();
    expect(fake.get('Service', env.namespace, 'api')).toBeUndefined();
    expect(await target.remove(request(env, 'db'))).toEqual({ ok: true, removed: 2 });
    expect(fake.get('StatefulSet', env.namespace, 'db')).toBeUndefined();
    expect(fake.list('PersistentVolumeClaim', env.namespace)).toHaveLength(1);
    expect(await target.inspect(placementOf(env))).toEqual([]);
  });
});

describe('kubernetes target: destroy', () => {
  /** Resolves once `done()` holds; the fake's controllers offer no event a test can await. */
  async function settled(done: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  it('deletes the StatefulSet, its Service and its volume claims (by its labels and its templates\' names), and nothing else', async () => {
    const env = envNamed('destroy');
    expectOk(await roll(env, 'db', '16'));
    expectOk(await roll(env, 'api', 'v1'));
    expect(fake.get('PersistentVolumeClaim', env.namespace, 'data-db-0')).toBeDefined();
    // A claim someone made by hand with the same labels but not named after the StatefulSet's templates stays.
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig());
    const labels = fake.get('PersistentVolumeClaim', env.namespace, 'data-db-0').metadata.labels;
    await kc.makeApiClient(CoreV1Api).createNamespacedPersistentVolumeClaim({
      namespace: env.namespace,
      body: { metadata: { name: 'backup-of-db', labels }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } },
    });
    const lines: string[] = [];
    const destroyed = await target.destroy({ ...request(env, 'db'), log: (line) => lines.push(line) });
    expect(destroyed).toEqual({ ok: true, removed: ['statefulset db', 'service db', 'persistentvolumeclaim data-db-0'] });
    expect(lines).toContain(`deleted persistentvolumeclaim ${env.namespace}/data-db-0`);
    expect(fake.get('StatefulSet', env.namespace, 'db')).toBeUndefined();
    expect(fake.get('Service', env.namespace, 'db')).toBeUndefined();
    expect(podsOf(env.namespace, 'db')).toHaveLength(0);
    // Its pods are gone, so the claim's protection lets it go.
    await settled(() => fake.get('PersistentVolumeClaim', env.namespace, 'data-db-0') === undefined, 'the claim to go');
    expect(fake.get('PersistentVolumeClaim', env.namespace, 'backup-of-db')).toBeDefined();
    expectRunning(env.namespace, 'api', 'reg.test/shop-api:v1');
    // What the Role grants on claims is what was used: list and delete.
    const claimCalls = fake.requests.filter((r) => r.path.includes('/persistentvolumeclaims') && r.path.includes(env.namespace) && r.query.watch === undefined);
    expect(new Set(claimCalls.map((r) => r.method))).toEqual(new Set(['GET', 'POST', 'DELETE']));
    expect(claimCalls.filter((r) => r.method === 'GET').every((r) => r.path.endsWith('/persistentvolumeclaims'))).toBe(true);

    // Nothing left: a second destroy removes nothing and succeeds; a deploy starts with a new, empty claim.
    expect(await target.destroy(request(env, 'db'))).toEqual({ ok: true, removed: [] });
    expectOk(await roll(env, 'db', '16'));
    const fresh = fake.get('PersistentVolumeClaim', env.namespace, 'data-db-0');
    expect(fresh).toBeDefined();
    expect(fresh.metadata.deletionTimestamp).toBeUndefined();
  });

  it('a Deployment goes with its Service and pods; a cronjob with its object', async () => {
    const env = envNamed('destroyapp');
    expectOk(await roll(env, 'api', 'v1'));
    expectOk(await roll(env, 'report', '1'));
    expect(await target.destroy(request(env, 'api'))).toEqual({ ok: true, removed: ['deployment api', 'service api'] });
    expect(podsOf(env.namespace, 'api')).toHaveLength(0);
    expect(await target.destroy(request(env, 'report'))).toEqual({ ok: true, removed: ['cronjob report'] });
    expect(await target.inspect(placementOf(env))).toEqual([]);
  });
});

describe('kubernetes target: an unreliable API server', () => {
  it('dropped watches, 429s, 500s, a conflict and latency do not change the outcome', async () => {
    const env = envNamed('faults');
    expectOk(await roll(env, 'api', 'v1'));
    fake.imageBehaviour('shop-api:v2', { kind: 'slow', readySeconds: 3 });
    fake.faults.latency(20);
    fake.faults.failNext(2, 429, { method: 'PATCH' });
    fake.faults.failNext(1, 409, { method: 'PATCH' });
    fake.faults.failNext(2, 500, { method: 'GET', path: /\/replicasets$/ });
    let drops = 0;
    const rolled = await roll(env, 'api', 'v2', {
      onLog: (line) => {
        // Drop every watch at the first two rollout status changes.
        if (line.startsWith('Waiting for deployment') && drops < 2) {
          drops++;
          fake.faults.dropWatches();
        }
      },
    });
    fake.faults.latency(0);
    expectOk(rolled);
    timings.faults = rolled.ms;
    expectRunning(env.namespace, 'api', rolled.image);
    // How many status lines a rollout logs depends on how fast the fake moves (a busy machine
    // may show one): at least one drop happened, and each re-opened the watches.
    expect(drops).toBeGreaterThanOrEqual(1);
    // Each drop re-opened the watches (from where they were): one watch per rollout, and one more per drop.
    const watchesOf = (path: string) => fake.requests.filter((r) => r.path === path && r.query.watch === 'true');
    expect(watchesOf(`/apis/apps/v1/namespaces/${env.namespace}/deployments`).length).toBeGreaterThanOrEqual(2 + drops);
    expect(watchesOf(`/apis/apps/v1/namespaces/${env.namespace}/deployments`).every((r) => r.query.allowWatchBookmarks === 'true')).toBe(true);
    const statuses = fake.requests.map((r) => r.status);
    expect(statuses).toContain(429);
    expect(statuses).toContain(409);
    expect(statuses).toContain(500);
  });

  it('a failure is still found early through dropped watches', async () => {
    const env = envNamed('faultfail');
    expectOk(await roll(env, 'api', 'good'));
    fake.imageBehaviour('shop-api:bad', { kind: 'crash-loop', logs: ['bye'] });
    const rolled = await roll(env, 'api', 'bad', { onLog: () => fake.faults.dropWatches() });
    expect(failed(rolled).reason).toMatch(/^CrashLoopBackOff/);
    expectRunning(env.namespace, 'api', 'reg.test/shop-api:good');
  });
});

describe('kubernetes target: a watch cache that starts over', () => {
  it('watches that come back too late (410 Gone) list again, and the rollout still ends right', async () => {
    const small = await startFakeKube({ timeScale: TIME_SCALE, tickMs: 10, historyLimit: 3, bookmarkIntervalMs: 50 });
    try {
      const kc = new KubeConfig();
      kc.loadFromString(small.kubeconfig());
      const t = createKubernetesTarget({ kubeConfig: kc, timing });
      const env = envNamed('gone');
      const placement = placementOf(env);
      const service = serviceSpec(env, 'api');
      const run = (tag: string, onLog: (line: string) => void = () => undefined) =>
        t.rollout({ deploymentId: nextId++, placement, service, image: `reg.test/shop-api:${tag}`, version: tag, signal: new AbortController().signal, log: onLog });
      expect(await run('v1')).toMatchObject({ ok: true });
      const listsBefore = small.requests.filter((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${env.namespace}/pods` && r.query.watch !== 'true').length;
      // In the middle of the rollout the API server's watch cache starts over: every watch is
      // dropped, and resuming from the version it had is answered 410 Expired.
      let restarts = 0;
      const outcome = await run('v2', () => {
        if (restarts++ < 2) small.faults.restartWatchCache();
      });
      expect(outcome).toMatchObject({ ok: true });
      const d = small.get('Deployment', env.namespace, 'api');
      expect(imageOf(d)).toBe('reg.test/shop-api:v2');
      expect(deploymentStatus(d).state).toBe('done');
      const lists = small.requests.filter((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/${env.namespace}/pods` && r.query.watch !== 'true');
      // The rollout's own list, and more after the 410s.
      expect(lists.length - listsBefore).toBeGreaterThan(1);
      expect(small.errors).toEqual([]);
    } finally {
      await small.close();
    }
  });
});

describe('kubernetes target: configuration', () => {
  it('an in-memory KubeConfig works as well as a file', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(fake.kubeconfig({ context: 'other' }));
    const other = createKubernetesTarget({ kubeConfig: kc, timing });
    expect(await other.inspect(placementOf(envNamed('nothing-here')))).toEqual([]);
  });
});
