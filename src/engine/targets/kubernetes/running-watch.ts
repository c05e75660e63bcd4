import type { EnvironmentReading, WorkloadReading } from '../../../domain/running-status.ts';
import type { Placement, RunningWatch } from '../../ports.ts';
import { errorMessage, reflect, stopAll, type TargetContext } from './context.ts';
import { environmentSelector, instanceOf, LABELS } from './labels.ts';
import { podFailure, type PodLike } from './pod-failure.ts';
import type { Reflector } from './watch.ts';

interface WorkloadLike {
  metadata?: { name?: string; labels?: Record<string, string> | null } | null;
  spec?: { replicas?: number } | null;
  status?: { readyReplicas?: number } | null;
}

interface PodWithLabels extends PodLike {
  metadata?: { name?: string; deletionTimestamp?: unknown; labels?: Record<string, string> | null };
  status?: PodLike['status'] & { containerStatuses?: { restartCount?: number }[] | null };
}

/**
 * One environment's long-running workloads as its Deployments, StatefulSets and their pods
 * say (pure): replicas wanted and ready, restarts of the pods' containers, and the first pod
 * that cannot get better by waiting (a crash loop, an image that cannot be pulled).
 */
export function environmentWorkloads(workloads: readonly WorkloadLike[], pods: readonly PodWithLabels[]): WorkloadReading[] {
  const readings: WorkloadReading[] = [];
  for (const workload of workloads) {
    const service = workload.metadata?.labels?.[LABELS.name];
    if (service === undefined) continue;
    const mine = pods.filter((p) => p.metadata?.labels?.[LABELS.name] === service && p.metadata?.deletionTimestamp == null);
    const restarts = mine.reduce((sum, pod) => sum + (pod.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0), 0);
    const failure = podFailure(mine);
    readings.push({
      service,
      desired: workload.spec?.replicas ?? 1,
      ready: workload.status?.readyReplicas ?? 0,
      restarts,
      failing: failure === null ? null : `${failure.reason} (pod ${failure.pod})`,
    });
  }
  return readings.sort((a, b) => a.service.localeCompare(b.service));
}

/**
 * Follows each environment's Deployments, StatefulSets and pods with list-and-watch
 * reflectors (one set per environment, by Hoist's labels) and reads the environment on every
 * change. A reflector that gives up (the API server does not answer) makes the environment
 * UNKNOWN; it is started again after a while.
 */
export function watchKubernetesRunning(
  ctx: TargetContext,
  placements: readonly Placement[],
  onReading: (placement: Placement, reading: EnvironmentReading) => void,
  options: { restartMs?: number } = {},
): RunningWatch {
  const restartMs = options.restartMs ?? 2_000;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();
  const running = new Map<Placement, Reflector<'Deployment' | 'StatefulSet' | 'Pod'>[]>();

  function follow(placement: Placement): void {
    if (stopped) return;
    const selector = environmentSelector(placement.app, placement.env);
    const deployments = reflect(ctx, 'Deployment', placement.namespace, selector);
    const statefulSets = reflect(ctx, 'StatefulSet', placement.namespace, selector);
    const pods = reflect(ctx, 'Pod', placement.namespace, `${LABELS.instance}=${instanceOf(placement.app, placement.env)}`);
    const all = [deployments, statefulSets, pods] as Reflector<'Deployment' | 'StatefulSet' | 'Pod'>[];
    running.set(placement, all);
    let failed = false;
    const judge = () => {
      if (stopped || failed || !all.every((r) => r.synced)) return;
      onReading(placement, { ok: true, workloads: environmentWorkloads([...deployments.values, ...statefulSets.values], pods.values as PodWithLabels[]) });
    };
    const fail = (error: unknown) => {
      if (failed || stopped) return;
      failed = true;
      stopAll(all);
      running.delete(placement);
      onReading(placement, { ok: false, reason: `the cluster did not answer: ${errorMessage(error)}` });
      const timer = setTimeout(() => {
        timers.delete(timer);
        follow(placement);
      }, restartMs);
      timers.add(timer);
    };
    for (const reflector of all) {
      reflector.onChange(judge);
      reflector.onError(fail);
    }
  }

  for (const placement of placements) follow(placement);
  return {
    async stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const reflectors of running.values()) stopAll(reflectors);
      running.clear();
    },
  };
}
