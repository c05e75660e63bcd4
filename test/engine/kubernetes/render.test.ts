import { describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../../src/domain/deployment-set.ts';
import { labelValue, versionLabel } from '../../../src/engine/targets/kubernetes/labels.ts';
import { manifestsOf, renderService, type RenderContext } from '../../../src/engine/targets/kubernetes/render.ts';

const service = (over: Partial<ServiceSpec> & Pick<ServiceSpec, 'name' | 'type'>): ServiceSpec => ({
  build: null,
  version: null,
  image: null,
  port: null,
  expose: null,
  replicas: 1,
  health: null,
  command: null,
  env: {},
  schedule: null,
  storage: null,
  resources: null,
  ...over,
});

const sha = '0123456789abcdef0123456789abcdef01234567';
const ctx: RenderContext = {
  app: 'shop',
  env: 'staging',
  namespace: 'shop-staging',
  image: `registry.example.com/acme/shop-api:${sha}`,
  version: sha,
  deploymentId: 1042,
};

const expectedLabels = (name: string, version = '0123456789ab') => ({
  'app.kubernetes.io/name': name,
  'app.kubernetes.io/instance': 'shop-staging',
  'app.kubernetes.io/part-of': 'shop',
  'app.kubernetes.io/version': version,
  'app.kubernetes.io/managed-by': 'hoist',
});
const expectedAnnotations = { 'hoist.dev/deployment-id': '1042', 'hoist.dev/version': sha };
const selector = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/instance': 'shop-staging' });

type Obj = { kind: string; metadata: { labels: object; annotations: object; namespace: string }; spec: Record<string, unknown> };

describe('rendering a service to Kubernetes objects', () => {
  const api = service({
    name: 'api',
    type: 'application',
    build: { context: '.', dockerfile: 'Dockerfile' },
    port: 8080,
    replicas: 2,
    health: { path: '/healthz', timeoutMs: 30_000 },
    command: ['npm', 'start'],
    env: { ZED: '1', ALPHA: 'a' },
  });

  it('an application: a Deployment and a ClusterIP Service, labelled and annotated', () => {
    const rendered = renderService(api, { ...ctx, progressDeadlineSeconds: 120 });
    expect(rendered.workload.kind).toBe('Deployment');
    const d = rendered.workload.manifest as unknown as Obj;
    expect(d.metadata).toEqual({ name: 'api', namespace: 'shop-staging', labels: expectedLabels('api'), annotations: expectedAnnotations });
    expect(d.spec).toEqual({
      replicas: 2,
      progressDeadlineSeconds: 120,
      selector: { matchLabels: selector('api') },
      template: {
        metadata: { labels: expectedLabels('api'), annotations: expectedAnnotations },
        spec: {
          containers: [
            {
              name: 'api',
              image: ctx.image,
              args: ['npm', 'start'],
              env: [
                { name: 'ALPHA', value: 'a' },
                { name: 'ZED', value: '1' },
              ],
              ports: [{ containerPort: 8080, protocol: 'TCP' }],
              readinessProbe: { httpGet: { path: '/healthz', port: 8080 }, periodSeconds: 5 },
            },
          ],
        },
      },
    });
    expect(rendered.service).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'shop-staging', labels: expectedLabels('api'), annotations: expectedAnnotations },
      spec: { type: 'ClusterIP', selector: selector('api'), ports: [{ name: 'main', port: 8080, targetPort: 8080, protocol: 'TCP' }] },
    });
  });

  it('a container without a port: a Deployment only; the image tag is its version label', () => {
    const worker = service({ name: 'worker', type: 'container', image: 'ghcr.io/acme/worker:v1.4.2' });
    const rendered = renderService(worker, { ...ctx, image: 'ghcr.io/acme/worker:v1.4.2', version: 'ghcr.io/acme/worker:v1.4.2' });
    expect(rendered.service).toBeNull();
    const d = rendered.workload.manifest as unknown as Obj;
    expect(d.metadata.labels).toEqual(expectedLabels('worker', 'v1.4.2'));
    expect(d.metadata.annotations).toEqual({ 'hoist.dev/deployment-id': '1042', 'hoist.dev/version': 'ghcr.io/acme/worker:v1.4.2' });
    expect(d.spec.progressDeadlineSeconds).toBe(600);
  });

  it('a database: a StatefulSet with a volume claim and a headless Service', () => {
    const db = service({ name: 'db', type: 'database', image: 'postgres:16', port: 5432, storage: '10Gi' });
    const rendered = renderService(db, { ...ctx, image: 'postgres:16', version: 'postgres:16' });
    expect(rendered.workload.kind).toBe('StatefulSet');
    const s = rendered.workload.manifest as unknown as Obj;
    expect(s.spec).toMatchObject({
      replicas: 1,
      serviceName: 'db',
      selector: { matchLabels: selector('db') },
      updateStrategy: { type: 'RollingUpdate' },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '10Gi' } } } }],
    });
    const template = s.spec.template as { metadata: { labels: object }; spec: { containers: { volumeMounts: unknown }[] } };
    expect(template.metadata.labels).toEqual(expectedLabels('db', '16'));
    expect(template.spec.containers[0]?.volumeMounts).toEqual([{ name: 'data', mountPath: '/var/lib/postgresql/data', subPath: 'db' }]);
    expect(rendered.service?.spec).toEqual({ clusterIP: 'None', selector: selector('db'), ports: [{ name: 'main', port: 5432, targetPort: 5432, protocol: 'TCP' }] });
  });

  it("a lifecycle job's timeout is its Job's deadline, and a database's path is where its claim mounts", () => {
    const migrate = service({ name: 'migrate', type: 'lifecycle-job', image: 'shop:1', timeoutMs: 90_000 });
    const job = renderService(migrate, ctx).workload.manifest as unknown as Obj;
    expect(job.spec).toMatchObject({ activeDeadlineSeconds: 90 });
    const store = service({ name: 'store', type: 'database', image: 'reg.test/team/store:3', path: '/var/lib/store' });
    const set = renderService(store, { ...ctx, image: 'reg.test/team/store:3', version: '3' }).workload.manifest as unknown as Obj;
    const template = set.spec.template as { spec: { containers: { volumeMounts: unknown }[] } };
    expect(template.spec.containers[0]?.volumeMounts).toEqual([{ name: 'data', mountPath: '/var/lib/store', subPath: 'store' }]);
  });

  it('a database without storage gets 1Gi', () => {
    const rendered = renderService(service({ name: 'cache', type: 'database', image: 'redis:7' }), { ...ctx, image: 'redis:7', version: 'redis:7' });
    const s = rendered.workload.manifest as unknown as { spec: { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] } };
    expect(s.spec.volumeClaimTemplates[0]?.spec.resources.requests.storage).toBe('1Gi');
  });

  it('a lifecycle job: a Job named per deployment, not retried, cleaned up later', () => {
    const migrate = service({ name: 'migrate', type: 'lifecycle-job', build: { context: '.', dockerfile: 'Dockerfile' }, command: ['npm', 'run', 'migrate'] });
    const rendered = renderService(migrate, ctx);
    expect(rendered.workload).toMatchObject({ kind: 'Job', name: 'migrate-1042' });
    const j = rendered.workload.manifest as unknown as Obj;
    expect(j.metadata.labels).toEqual(expectedLabels('migrate'));
    expect(j.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 86_400, activeDeadlineSeconds: 3600 });
    expect(j.spec.template).toMatchObject({
      metadata: { labels: expectedLabels('migrate'), annotations: expectedAnnotations },
      spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', args: ['npm', 'run', 'migrate'] }] },
    });
    expect(j.spec.selector).toBeUndefined();
    expect(rendered.service).toBeNull();
  });

  it('a cronjob: a CronJob with the schedule, not suspended', () => {
    const report = service({ name: 'report', type: 'cronjob', image: 'acme/report:2', schedule: '0 3 * * *' });
    const rendered = renderService(report, { ...ctx, image: 'acme/report:2', version: 'acme/report:2' });
    const c = rendered.workload.manifest as unknown as Obj;
    expect(c.kind).toBe('CronJob');
    expect(c.spec).toMatchObject({
      schedule: '0 3 * * *',
      suspend: false,
      concurrencyPolicy: 'Forbid',
      jobTemplate: {
        metadata: { labels: expectedLabels('report', '2') },
        spec: { template: { metadata: { labels: expectedLabels('report', '2') }, spec: { restartPolicy: 'Never' } } },
      },
    });
  });

  it('sets only the resources a service names, and the image pull secrets of its target, on every kind', () => {
    const sized = { ...api, resources: { requests: { cpu: '250m', memory: null }, limits: { cpu: null, memory: '256Mi' } } };
    const withSecrets = { ...ctx, imagePullSecrets: ['regcred'] };
    const deployment = renderService(sized, withSecrets).workload.manifest as unknown as {
      spec: { template: { spec: { containers: { resources?: unknown }[]; imagePullSecrets?: unknown } } };
    };
    expect(deployment.spec.template.spec.containers[0]?.resources).toEqual({ requests: { cpu: '250m' }, limits: { memory: '256Mi' } });
    expect(deployment.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    const plain = renderService(api, ctx).workload.manifest as unknown as typeof deployment;
    expect(plain.spec.template.spec.containers[0]).not.toHaveProperty('resources');
    expect(plain.spec.template.spec).not.toHaveProperty('imagePullSecrets');
    const job = renderService({ ...sized, type: 'lifecycle-job' }, withSecrets).workload.manifest as unknown as { spec: { template: typeof deployment.spec.template } };
    expect(job.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
    expect(job.spec.template.spec.containers[0]?.resources).toEqual({ requests: { cpu: '250m' }, limits: { memory: '256Mi' } });
    const cron = renderService({ ...sized, type: 'cronjob', schedule: '0 3 * * *' }, withSecrets).workload.manifest as unknown as {
      spec: { jobTemplate: { spec: { template: typeof deployment.spec.template } } };
    };
    expect(cron.spec.jobTemplate.spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }]);
  });

  it('is deterministic: the same input renders byte-identical manifests', () => {
    const a = JSON.stringify(manifestsOf(renderService(api, ctx)));
    const b = JSON.stringify(manifestsOf(renderService({ ...api, env: { ALPHA: 'a', ZED: '1' } }, { ...ctx })));
    expect(a).toBe(b);
    expect(manifestsOf(renderService(api, ctx)).map((m) => (m as { kind: string }).kind)).toEqual(['Service', 'Deployment']);
  });
});

describe('label values', () => {
  it.each([
    [sha, '0123456789ab'],
    ['registry.example.com/acme/api:v1.4.2', 'v1.4.2'],
    ['registry:5000/api', 'latest'],
    ['postgres:16', '16'],
    ['api@sha256:' + 'f'.repeat(64), 'sha256-ffffffffffff'],
    ['release-2026.01', 'release-2026.01'],
    ['feature/x', 'latest'],
  ])('version %s → %s', (version, expected) => {
    expect(versionLabel(version)).toBe(expected);
  });

  it('long or odd values become valid label values, distinct ones stay distinct', () => {
    const long = 'x'.repeat(80);
    const value = labelValue(long);
    expect(value.length).toBeLessThanOrEqual(63);
    expect(value).toMatch(/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
    expect(labelValue(long + 'a')).not.toBe(labelValue(long + 'b'));
    expect(labelValue('-tag:with/odd chars-')).toBe('tag-with-odd-chars');
  });
});

describe('secrets by reference in the pod template', () => {
  it('a key of a secret is a secretKeyRef and a whole secret an envFrom secretRef, sorted among the values; no value is in the object', () => {
    const api = service({
      name: 'api', type: 'application', port: 8080, env: { LOG_LEVEL: 'info' },
      secretRefs: { DB_PASSWORD: { secret: 'shop-db', key: 'password' } }, envFrom: [{ secret: 'shop-api' }],
    });
    const rendered = renderService(api, { ...ctx, progressDeadlineSeconds: 120 });
    const container = (rendered.workload.manifest as unknown as { spec: { template: { spec: { containers: Record<string, unknown>[] } } } }).spec.template.spec.containers[0]!;
    expect(container.env).toEqual([
      { name: 'DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-db', key: 'password' } } },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
    expect(container.envFrom).toEqual([{ secretRef: { name: 'shop-api' } }]);
    // Only references: nothing of the Secret is created or read.
    expect(manifestsOf(rendered).map((m) => (m as { kind: string }).kind)).not.toContain('Secret');
  });
});
