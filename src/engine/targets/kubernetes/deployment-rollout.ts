import type { V1Deployment, V1Pod, V1PodTemplateSpec, V1ReplicaSet } from '@kubernetes/client-node';
import type { Outcome } from '../../ports.ts';
import { deepCopy, ownedBy, reflect, revisionOf, stopAll, type RolloutScope, type TargetContext } from './context.ts';
import type { LogSource } from './diagnostics.ts';
import { ANNOTATIONS, POD_TEMPLATE_HASH, selectorString } from './labels.ts';
import { podFailure } from './pod-failure.ts';
import { deploymentStatus } from './rollout-status.ts';
import { waitUntil } from './watch.ts';
import {
  applyAndWatch,
  podFailed,
  removeFirstRollout,
  restoredMetadata,
  timedOutReason,
  watchRestored,
  type Watched,
  type WatchOptions,
  type WatchTarget,
  type WorkloadRollout,
} from './workload-rollout.ts';

/** The ReplicaSet of the Deployment's current template: the one at the Deployment's revision. */
function newReplicaSet(deployment: V1Deployment, replicaSets: readonly V1ReplicaSet[]): V1ReplicaSet | null {
  const owned = ownedBy(replicaSets, { kind: 'Deployment', name: deployment.metadata?.name ?? '', uid: deployment.metadata?.uid });
  if (owned.length === 0) return null;
  const revision = deployment.metadata?.annotations?.[ANNOTATIONS.revision];
  if (revision !== undefined) return owned.find((rs) => rs.metadata?.annotations?.[ANNOTATIONS.revision] === revision) ?? null;
  return [...owned].sort((a, b) => revisionOf(b) - revisionOf(a))[0] ?? null;
}

function isReady(pod: V1Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/**
 * Waits for the Deployment's rollout, judged on every watch event as `kubectl rollout status`
 * does, and fails early when a pod of the new ReplicaSet reports a state that will not heal.
 */
export async function watchDeployment(
  ctx: TargetContext,
  namespace: string,
  deployment: WatchTarget,
  options: WatchOptions,
): Promise<Watched> {
  const { name, generation } = deployment;
  const deployments = reflect(ctx, 'Deployment', namespace, deployment.selector);
  const replicaSets = reflect(ctx, 'ReplicaSet', namespace, deployment.selector);
  const pods = reflect(ctx, 'Pod', namespace, deployment.selector);
  let said = '';
  let newPods: V1Pod[] = [];
  let newSet: string | null = null;
  try {
    const end = await waitUntil(
      [deployments, replicaSets, pods],
      (): Watched | null => {
        const d = deployments.items.get(name);
        if (!d || (d.metadata?.generation ?? 0) < generation) return null;
        const status = deploymentStatus(d);
        if (status.message !== said) options.log((said = status.message));
        const rs = (d.status?.observedGeneration ?? 0) >= generation ? newReplicaSet(d, replicaSets.values) : null;
        if (rs) {
          newSet = rs.metadata?.name ?? null;
          newPods = ownedBy(pods.values, { kind: 'ReplicaSet', name: newSet ?? '', uid: rs.metadata?.uid });
        }
        const objects = involved(name, newSet, newPods);
        if (status.state === 'done') return { kind: 'done' };
        if (status.state === 'failed') return { kind: 'failed', reason: status.message, logs: logsOf(newPods), objects };
        const failure = podFailure(newPods);
        return failure ? podFailed(failure, newPods, (pods) => involved(name, newSet, pods)) : null;
      },
      { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs },
    );
    if (end.kind === 'done') return end.value;
    if (end.kind === 'canceled') return { kind: 'canceled' };
    return {
      kind: 'failed',
      reason: timedOutReason('Deployment', name, options, said),
      logs: logsOf(newPods),
      objects: involved(name, newSet, newPods),
    };
  } finally {
    stopAll([deployments, replicaSets, pods]);
  }
}

function involved(deployment: string, replicaSet: string | null, pods: readonly V1Pod[]) {
  return [
    { kind: 'Deployment', name: deployment },
    ...(replicaSet ? [{ kind: 'ReplicaSet', name: replicaSet }] : []),
    ...pods.map((p) => ({ kind: 'Pod', name: p.metadata?.name ?? '' })),
  ];
}

/** For a rollout that timed out: the logs of a new pod that is not ready (the one to look at). */
function logsOf(pods: readonly V1Pod[]): LogSource | null {
  const pod = [...pods].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '')).find((p) => !isReady(p)) ?? pods[0];
  const container = pod?.spec?.containers[0]?.name;
  if (!pod?.metadata?.name || !container) return null;
  const restarted = (pod.status?.containerStatuses ?? []).some((s) => (s.restartCount ?? 0) > 0);
  return { pod: pod.metadata.name, container, previous: restarted };
}

/**
 * Applies a Deployment (and its Service) and waits for it. On failure or cancel the previous
 * revision's template is applied again and waited for, so what ran before keeps running.
 */
export function rolloutDeployment(ctx: TargetContext, scope: RolloutScope, rollout: WorkloadRollout<'Deployment'>): Promise<Outcome> {
  return applyAndWatch(ctx, scope, 'Deployment', rollout, watchDeployment, (before) => undo(ctx, scope, rollout, before));
}

/**
 * `kubectl rollout undo`: the template of the Deployment's previous revision (the newest
 * ReplicaSet not made by this deployment), minus the controller's pod-template-hash label.
 */
async function undo(ctx: TargetContext, scope: RolloutScope, rollout: WorkloadRollout<'Deployment'>, before: V1Deployment | null): Promise<void> {
  const { api } = ctx;
  const { namespace, log } = scope;
  const { name } = rollout;
  // Its first rollout: deleted rather than scaled to zero, so no broken template stays behind
  // and `inspect` shows nothing running.
  if (before === null) return removeFirstRollout(ctx, scope, 'Deployment', rollout);
  const selector = selectorString(rollout.selector);
  const { items } = await api.list('ReplicaSet', namespace, { labelSelector: selector });
  const mine = String(scope.deploymentId);
  const previous = ownedBy(items, { kind: 'Deployment', name, uid: before.metadata?.uid })
    .filter((rs) => rs.spec?.template?.metadata?.annotations?.[ANNOTATIONS.deploymentId] !== mine)
    .sort((a, b) => revisionOf(b) - revisionOf(a))[0];
  const source = previous?.spec?.template ?? before.spec?.template;
  if (!source) {
    log(`deployment ${namespace}/${name} has no earlier revision to restore`);
    return;
  }
  const body = restoredManifest(rollout.manifest, deepCopy(source), before.spec?.replicas);
  const applied = await api.apply('Deployment', namespace, body);
  const from = previous ? `revision ${revisionOf(previous)}` : 'the template before this rollout';
  const version = body.metadata?.annotations?.[ANNOTATIONS.version] ?? '?';
  log(`restoring ${from} of deployment ${namespace}/${name} (version ${version})`);
  const target = { name, selector, generation: applied.metadata?.generation ?? 0 };
  await watchRestored(ctx, scope, 'Deployment', target, watchDeployment, `version ${version}`);
}

/** The manifest as applied, with the earlier template (and what it says about itself) back. */
function restoredManifest(manifest: V1Deployment, template: V1PodTemplateSpec, replicas: number | undefined): V1Deployment {
  const body = deepCopy(manifest);
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH];
  template.metadata = { ...template.metadata, labels };
  body.metadata = restoredMetadata(body.metadata, template);
  body.spec = { ...body.spec!, template, ...(replicas !== undefined ? { replicas } : {}) };
  return body;
}
