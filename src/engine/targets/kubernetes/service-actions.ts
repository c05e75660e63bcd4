import type { ServiceSpec } from '../../../domain/deployment-set.ts';
import type { Outcome, Placement, RunningService, ServiceRequest } from '../../ports.ts';
import { KubeError } from './client.ts';
import { errorMessage, ownedBy, reflect, stopAll, type TargetContext } from './context.ts';
import { watchDeployment } from './deployment-rollout.ts';
import { diagnose } from './diagnostics.ts';
import { ANNOTATIONS, environmentSelector, LABELS, MANAGER, selectorLabels, selectorString } from './labels.ts';
import { deploymentStatus, statefulSetStatus } from './rollout-status.ts';
import { watchStatefulSet } from './statefulset-rollout.ts';
import { waitUntil } from './watch.ts';
import type { Watched } from './workload-rollout.ts';

type Failure = { ok: false; reason: string; logTail: string[] };

function serviceSelector(request: { placement: Placement; service: ServiceSpec }): string {
  return selectorString(selectorLabels(request.placement.app, request.placement.env, request.service.name));
}

/** Hoist's objects of one service (never someone else's that happen to share the name labels). */
function ownSelector(request: { placement: Placement; service: ServiceSpec }): string {
  return `${serviceSelector(request)},${LABELS.managedBy}=${MANAGER}`;
}

/** The kind that runs a long-lived service, or null for jobs and cronjobs. */
function workloadKind(service: ServiceSpec): 'Deployment' | 'StatefulSet' | null {
  if (service.type === 'application' || service.type === 'container') return 'Deployment';
  if (service.type === 'database') return 'StatefulSet';
  return null;
}

export function createServiceActions(ctx: TargetContext) {
  const { api } = ctx;

  /** Scales to zero (volume claims stay) or suspends a cronjob, then waits for the pods to go. */
  async function stop(request: ServiceRequest): Promise<Outcome<{ stopped: number }>> {
    const { placement, service, log } = request;
    const namespace = placement.namespace;
    if (service.type === 'cronjob') {
      const found = (await api.list('CronJob', namespace, { labelSelector: ownSelector(request) })).items;
      let stopped = 0;
      for (const cron of found) {
        if (cron.spec?.suspend === true) continue;
        await api.patch('CronJob', namespace, cron.metadata?.name ?? '', { spec: { suspend: true } });
        log(`suspended cronjob ${namespace}/${cron.metadata?.name}`);
        stopped++;
      }
      return { ok: true, stopped };
    }
    const kind = workloadKind(service);
    // A lifecycle job runs only during a deployment: nothing to stop.
    if (kind === null) return { ok: true, stopped: 0 };
    const object = await api.get(kind, namespace, service.name);
    if (object === null) return { ok: true, stopped: 0 };
    const pods = reflect(ctx, 'Pod', namespace, serviceSelector(request));
    try {
      if ((object.spec?.replicas ?? 0) !== 0) {
        await api.patch(kind, namespace, service.name, { spec: { replicas: 0 } });
        log(`scaled ${kind.toLowerCase()} ${namespace}/${service.name} to zero`);
      }
      let before: number | null = null;
      const end = await waitUntil(
        [pods],
        () => {
          const mine = ownedPods(kind, service.name, pods.values);
          before ??= mine.length;
          return mine.length === 0 ? true : null;
        },
        { signal: request.signal, timeoutMs: ctx.timing.stopTimeoutMs },
      );
      if (end.kind === 'canceled') return { ok: false, reason: 'stop canceled', logTail: [] };
      if (end.kind === 'timeout') {
        const left = ownedPods(kind, service.name, pods.values).map((p) => p.metadata?.name ?? '');
        const logTail = await diagnose(ctx, namespace, { logs: null, objects: left.map((name) => ({ kind: 'Pod', name })) });
        return { ok: false, reason: `pods of ${service.name} still running after ${Math.round(ctx.timing.stopTimeoutMs / 1000)} s: ${left.join(', ')}`, logTail };
      }
      log(`${service.name}: no pods left`);
      return { ok: true, stopped: before ?? 0 };
    } finally {
      stopAll([pods]);
    }
  }

  /** Pods of the workload (a Deployment's come through its ReplicaSets: matched by labels). */
  function ownedPods<T extends { metadata?: { ownerReferences?: Array<{ kind?: string; name?: string }> } }>(
    kind: 'Deployment' | 'StatefulSet',
    name: string,
    pods: readonly T[],
  ): T[] {
    return kind === 'StatefulSet' ? ownedBy(pods, { kind, name }) : [...pods];
  }

  /** `kubectl rollout restart`: a new restartedAt on the pod template, then the rollout waited for. */
  async function restart(request: ServiceRequest): Promise<Outcome> {
    const { placement, service, log, signal } = request;
    const namespace = placement.namespace;
    const kind = workloadKind(service);
    if (kind === null) return { ok: false, reason: `${service.name} is a ${service.type}: it has no long-running pods to restart`, logTail: [] };
    const object = await api.get(kind, namespace, service.name);
    if (object === null) return { ok: false, reason: `no ${kind.toLowerCase()} ${service.name} in namespace ${namespace}`, logTail: [] };
    if ((object.spec?.replicas ?? 0) === 0) return { ok: false, reason: `${service.name} is stopped (0 replicas): deploy it first`, logTail: [] };
    // RFC 3339 with milliseconds, so two restarts within a second still differ.
    const restartedAt = new Date().toISOString();
    const patched = await api.patch(kind, namespace, service.name, {
      spec: { template: { metadata: { annotations: { [ANNOTATIONS.restartedAt]: restartedAt } } } },
    });
    log(`restarting ${kind.toLowerCase()} ${namespace}/${service.name} (restartedAt ${restartedAt})`);
    const target = { name: service.name, selector: serviceSelector(request), generation: patched.metadata?.generation ?? 0 };
    const options = { signal, timeoutMs: ctx.timing.rolloutTimeoutMs, log };
    const watched: Watched =
      kind === 'Deployment' ? await watchDeployment(ctx, namespace, target, options) : await watchStatefulSet(ctx, namespace, target, options);
    if (watched.kind === 'done') return { ok: true };
    if (watched.kind === 'canceled') return { ok: false, reason: 'restart canceled', logTail: [] };
    const logTail = await diagnose(ctx, namespace, { logs: watched.logs, objects: watched.objects });
    return { ok: false, reason: watched.reason, logTail };
  }

  /** Deletes the service's objects; volume claims stay (a StatefulSet's are not its dependents). */
  async function remove(request: ServiceRequest): Promise<Outcome<{ removed: number }>> {
    const namespace = request.placement.namespace;
    const labelSelector = ownSelector(request);
    let removed = 0;
    try {
      for (const kind of ['CronJob', 'Job', 'Deployment', 'StatefulSet', 'Service'] as const) {
        for (const item of (await api.list(kind, namespace, { labelSelector })).items) {
          const name = item.metadata?.name ?? '';
          if (await api.delete(kind, namespace, name)) {
            request.log(`deleted ${kind.toLowerCase()} ${namespace}/${name}`);
            removed++;
          }
        }
      }
    } catch (error) {
      if (error instanceof KubeError && error.status >= 400 && error.status < 500) {
        return { ok: false, reason: errorMessage(error), logTail: [] } satisfies Failure;
      }
      throw error;
    }
    return { ok: true, removed };
  }

  /** What runs per service, from the objects' own labels and annotations. */
  async function inspect(placement: Placement): Promise<RunningService[]> {
    const namespace = placement.namespace;
    const labelSelector = environmentSelector(placement.app, placement.env);
    const [deployments, statefulSets, jobs, cronJobs, services] = await Promise.all([
      api.list('Deployment', namespace, { labelSelector }),
      api.list('StatefulSet', namespace, { labelSelector }),
      api.list('Job', namespace, { labelSelector }),
      api.list('CronJob', namespace, { labelSelector }),
      api.list('Service', namespace, { labelSelector }),
    ]);
    const endpoint = (name: string, scheme: string): string | null => {
      const svc = services.items.find((s) => s.metadata?.name === name);
      const port = svc?.spec?.ports?.[0]?.port;
      return svc && port !== undefined ? `${scheme}://${name}.${namespace}.svc.cluster.local:${port}` : null;
    };
    const running: RunningService[] = [];
    const describe = (
      meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
      image: string | undefined,
    ) => {
      const id = Number(meta?.annotations?.[ANNOTATIONS.deploymentId]);
      return {
        service: meta?.labels?.[LABELS.name] ?? '',
        version: meta?.annotations?.[ANNOTATIONS.version] ?? meta?.labels?.[LABELS.version] ?? null,
        image: image ?? '',
        deploymentId: Number.isInteger(id) ? id : null,
      };
    };
    for (const d of deployments.items) {
      const healthy = deploymentStatus(d).state === 'done' && (d.spec?.replicas ?? 0) > 0;
      const base = describe(d.metadata, d.spec?.template.spec?.containers[0]?.image);
      running.push({ ...base, healthy, endpoint: endpoint(d.metadata?.name ?? '', 'http'), ready: d.status?.readyReplicas ?? 0, desired: d.spec?.replicas ?? 0 });
    }
    for (const s of statefulSets.items) {
      const healthy = statefulSetStatus(s).state === 'done' && (s.spec?.replicas ?? 0) > 0;
      const base = describe(s.metadata, s.spec?.template.spec?.containers[0]?.image);
      running.push({ ...base, healthy, endpoint: endpoint(s.metadata?.name ?? '', 'tcp'), ready: s.status?.readyReplicas ?? 0, desired: s.spec?.replicas ?? 0 });
    }
    for (const c of cronJobs.items) {
      const base = describe(c.metadata, c.spec?.jobTemplate.spec?.template.spec?.containers[0]?.image);
      // A cronjob "runs" while it is scheduled (not suspended).
      const scheduled = c.spec?.suspend !== true;
      running.push({ ...base, healthy: scheduled, endpoint: null, ready: scheduled ? 1 : 0, desired: 1 });
    }
    // A lifecycle job: its latest run.
    const latest = new Map<string, (typeof jobs.items)[number]>();
    for (const job of jobs.items) {
      const name = job.metadata?.labels?.[LABELS.name] ?? '';
      const id = Number(job.metadata?.annotations?.[ANNOTATIONS.deploymentId] ?? 0);
      const seen = latest.get(name);
      if (!seen || Number(seen.metadata?.annotations?.[ANNOTATIONS.deploymentId] ?? 0) < id) latest.set(name, job);
    }
    for (const job of latest.values()) {
      const complete = (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');
      const base = describe(job.metadata, job.spec?.template.spec?.containers[0]?.image);
      running.push({ ...base, healthy: complete, endpoint: null, ready: complete ? 1 : 0, desired: 1 });
    }
    return running.sort((a, b) => a.service.localeCompare(b.service));
  }

  return { stop, restart, remove, inspect };
}
