import type {
  V1Container,
  V1EnvVar,
  V1CronJob,
  V1Deployment,
  V1Job,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1Service,
  V1StatefulSet,
  V1VolumeMount,
} from '@kubernetes/client-node';
import { dataPathOf } from '../../../domain/data-path.ts';
import type { ServiceSpec } from '../../../domain/deployment-set.ts';
import { ANNOTATIONS, instanceOf, LABELS, MANAGER, selectorLabels, versionLabel } from './labels.ts';

/** What a service's manifests depend on besides its configuration. */
export interface RenderContext {
  app: string;
  env: string;
  namespace: string;
  image: string;
  /** The full version (commit SHA or image); the label carries a short form. */
  version: string;
  deploymentId: number;
  /** Secrets (made by an administrator) the pods pull their images with. */
  imagePullSecrets?: readonly string[];
  /** Deployments: how long without progress before the controller gives up (default 600, Kubernetes' own). */
  progressDeadlineSeconds?: number;
  /** Jobs: how long a finished Job (and its pods, with their logs) is kept (default one day). */
  jobTtlSeconds?: number;
  /** Jobs: the longest a lifecycle job whose spec names no `timeout` may run before Kubernetes fails it (default one hour). */
  jobDeadlineSeconds?: number;
}

export type Workload =
  | { kind: 'Deployment'; name: string; manifest: V1Deployment }
  | { kind: 'StatefulSet'; name: string; manifest: V1StatefulSet }
  | { kind: 'Job'; name: string; manifest: V1Job }
  | { kind: 'CronJob'; name: string; manifest: V1CronJob };

export interface RenderedService {
  workload: Workload;
  /** The Service in front of it, when it has one (a port, or a database's governing Service). */
  service: V1Service | null;
}

const DEFAULT_STORAGE = '1Gi';
/** The name of a database StatefulSet's volumeClaimTemplate: its claims are `data-<service>-<ordinal>`. */
export const DATA_VOLUME = 'data';

/** A lifecycle job's Job is named per deployment: a Job's pod template cannot change. */
function jobName(service: string, deploymentId: number): string {
  return `${service}-${deploymentId}`;
}

/**
 * The Kubernetes objects for one service in one environment. Pure and deterministic: the
 * same input renders the same objects, keys in the same order, so stored manifests diff cleanly.
 */
export function renderService(service: ServiceSpec, ctx: RenderContext): RenderedService {
  switch (service.type) {
    case 'application':
    case 'container':
      return { workload: deployment(service, ctx), service: service.port === null ? null : clusterService(service, ctx, false) };
    case 'database':
      return { workload: statefulSet(service, ctx), service: clusterService(service, ctx, true) };
    case 'lifecycle-job':
      return { workload: job(service, ctx), service: null };
    case 'cronjob':
      return { workload: cronJob(service, ctx), service: null };
  }
}

/** The rendered objects as a list, the Service first (the order they are applied in). */
export function manifestsOf(rendered: RenderedService): object[] {
  return rendered.service === null ? [rendered.workload.manifest] : [rendered.service, rendered.workload.manifest];
}

function labels(service: ServiceSpec, ctx: RenderContext): Record<string, string> {
  return {
    [LABELS.name]: service.name,
    [LABELS.instance]: instanceOf(ctx.app, ctx.env),
    [LABELS.partOf]: ctx.app,
    [LABELS.version]: versionLabel(ctx.version),
    [LABELS.managedBy]: MANAGER,
  };
}

function annotations(ctx: RenderContext): Record<string, string> {
  return { [ANNOTATIONS.deploymentId]: String(ctx.deploymentId), [ANNOTATIONS.version]: ctx.version };
}

function metadata(name: string, service: ServiceSpec, ctx: RenderContext): V1ObjectMeta {
  return { name, namespace: ctx.namespace, labels: labels(service, ctx), annotations: annotations(ctx) };
}

function container(service: ServiceSpec, ctx: RenderContext, mounts: V1VolumeMount[]): V1Container {
  const refs = service.secretRefs ?? {};
  // A reference stays one: the kubelet reads the Secret, Hoist never does (its Role has no access to Secrets).
  const env: V1EnvVar[] = [...Object.keys(service.env), ...Object.keys(refs)]
    .sort()
    .map((name) => {
      const ref = refs[name];
      return ref ? { name, valueFrom: { secretKeyRef: { name: ref.secret, key: ref.key } } } : { name, value: service.env[name] ?? '' };
    });
  const result: V1Container = { name: service.name, image: ctx.image };
  const envFrom = (service.envFrom ?? []).map((ref) => ({ secretRef: { name: ref.secret } }));
  if (envFrom.length > 0) result.envFrom = envFrom;
  // `command` replaces the image's CMD and keeps its ENTRYPOINT, as on the docker target.
  if (service.command !== null) result.args = [...service.command];
  if (env.length > 0) result.env = env;
  if (service.port !== null) result.ports = [{ containerPort: service.port, protocol: 'TCP' }];
  if (service.health !== null && service.port !== null) {
    result.readinessProbe = { httpGet: { path: service.health.path, port: service.port }, periodSeconds: 5 };
  }
  if (mounts.length > 0) result.volumeMounts = mounts;
  const resources = resourcesOf(service);
  if (resources) result.resources = resources;
  return result;
}

/** The service's requests and limits, with only the amounts it sets. */
function resourcesOf(service: ServiceSpec): V1Container['resources'] | null {
  const resources = service.resources ?? null;
  if (resources === null) return null;
  const amounts = (a: { cpu: string | null; memory: string | null }) => {
    const out: Record<string, string> = {};
    if (a.cpu !== null) out.cpu = a.cpu;
    if (a.memory !== null) out.memory = a.memory;
    return Object.keys(out).length > 0 ? out : null;
  };
  const requests = amounts(resources.requests);
  const limits = amounts(resources.limits);
  if (!requests && !limits) return null;
  return { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
}

function podTemplate(
  service: ServiceSpec,
  ctx: RenderContext,
  options: { restartPolicy?: 'Never'; mounts?: V1VolumeMount[] } = {},
): V1PodTemplateSpec {
  return {
    metadata: { labels: labels(service, ctx), annotations: annotations(ctx) },
    spec: {
      containers: [container(service, ctx, options.mounts ?? [])],
      ...(options.restartPolicy ? { restartPolicy: options.restartPolicy } : {}),
      ...(ctx.imagePullSecrets && ctx.imagePullSecrets.length > 0 ? { imagePullSecrets: ctx.imagePullSecrets.map((name) => ({ name })) } : {}),
    },
  };
}

function deployment(service: ServiceSpec, ctx: RenderContext): Workload {
  const manifest: V1Deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(service.name, service, ctx),
    spec: {
      replicas: service.replicas,
      progressDeadlineSeconds: ctx.progressDeadlineSeconds ?? 600,
      selector: { matchLabels: selectorLabels(ctx.app, ctx.env, service.name) },
      template: podTemplate(service, ctx),
    },
  };
  return { kind: 'Deployment', name: service.name, manifest };
}

function statefulSet(service: ServiceSpec, ctx: RenderContext): Workload {
  const mount = dataMount(service, ctx.image);
  const manifest: V1StatefulSet = {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: metadata(service.name, service, ctx),
    spec: {
      replicas: service.replicas,
      serviceName: service.name,
      selector: { matchLabels: selectorLabels(ctx.app, ctx.env, service.name) },
      // Rollout status (as kubectl judges it) exists for RollingUpdate only.
      updateStrategy: { type: 'RollingUpdate' },
      template: podTemplate(service, ctx, { mounts: [mount] }),
      volumeClaimTemplates: [
        {
          metadata: { name: DATA_VOLUME, labels: selectorLabels(ctx.app, ctx.env, service.name) },
          spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: service.storage ?? DEFAULT_STORAGE } } },
        },
      ],
    },
  };
  return { kind: 'StatefulSet', name: service.name, manifest };
}

function job(service: ServiceSpec, ctx: RenderContext): Workload {
  const name = jobName(service.name, ctx.deploymentId);
  const manifest: V1Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: metadata(name, service, ctx),
    spec: {
      // A failed lifecycle job fails the deployment at once, its pod kept for the logs.
      backoffLimit: 0,
      // The job's own `timeout`; a set recorded before it existed gets the target's deadline.
      activeDeadlineSeconds: service.timeoutMs === undefined ? (ctx.jobDeadlineSeconds ?? 3600) : Math.ceil(service.timeoutMs / 1000),
      ttlSecondsAfterFinished: ctx.jobTtlSeconds ?? 86_400,
      template: podTemplate(service, ctx, { restartPolicy: 'Never' }),
    },
  };
  return { kind: 'Job', name, manifest };
}

function cronJob(service: ServiceSpec, ctx: RenderContext): Workload {
  const template = podTemplate(service, ctx, { restartPolicy: 'Never' });
  const manifest: V1CronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: metadata(service.name, service, ctx),
    spec: {
      schedule: service.schedule ?? '',
      concurrencyPolicy: 'Forbid',
      // A deploy resumes a stopped (suspended) cronjob.
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        metadata: { labels: labels(service, ctx), annotations: annotations(ctx) },
        spec: { backoffLimit: 0, template },
      },
    },
  };
  return { kind: 'CronJob', name: service.name, manifest };
}

function clusterService(service: ServiceSpec, ctx: RenderContext, headless: boolean): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(service.name, service, ctx),
    spec: {
      // A database's Service governs its StatefulSet: headless, one DNS name per pod.
      ...(headless ? { clusterIP: 'None' } : { type: 'ClusterIP' }),
      selector: selectorLabels(ctx.app, ctx.env, service.name),
      ...(service.port === null ? {} : { ports: [{ name: 'main', port: service.port, targetPort: service.port, protocol: 'TCP' }] }),
    },
  };
}

/**
 * Where a database keeps its data: its `path`, or the known image's data directory. A subPath
 * keeps the volume's own `lost+found` out of it (PostgreSQL refuses a non-empty data directory).
 * A set recorded before `path` existed may name neither: its volume mounts at /data as it did then.
 */
function dataMount(service: ServiceSpec, image: string): V1VolumeMount {
  const path = dataPathOf(service, image);
  if (path === null) return { name: DATA_VOLUME, mountPath: '/data' };
  return { name: DATA_VOLUME, mountPath: path, subPath: service.name };
}
