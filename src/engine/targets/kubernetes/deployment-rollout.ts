import type { V1Deployment, V1Pod, V1PodTemplateSpec, V1ReplicaSet, V1Service } from '@kubernetes/client-node';
import type { Outcome } from '../../ports.ts';
import {
  deepCopy,
  ownedBy,
  reflect,
  revisionOf,
  stopAll,
  type RolloutScope,
  type TargetContext,
} from './context.ts';
import { diagnose, type LogSource } from './diagnostics.ts';
import { ANNOTATIONS, LABELS, POD_TEMPLATE_HASH, selectorString } from './labels.ts';
import { podFailure, type PodFailure } from './pod-failure.ts';
import { deploymentStatus } from './rollout-status.ts';
import { waitUntil } from './watch.ts';

/** How waiting on a workload ended. A failure names what to read: a container's logs, objects' events. */
export type Watched =
  | { kind: 'done' }
  | { kind: 'canceled' }
  | { kind: 'failed'; reason: string; logs: LogSource | null; objects: { kind: string; name: string }[] };

/** `ImagePullBackOff — Back-off pulling image "x" (pod api-7d9-abcde, container api)` */
export function podFailureReason(failure: PodFailure): string {
  const message = failure.message ? ` — ${failure.message}` : '';
  return `${failure.reason}${message} (pod ${failure.pod}, container ${failure.container})`;
}

/**
 * A rollout ended by a pod that cannot start: its reason, its container's logs (where it
 * ever ran) and the events of `involved(the failing pod)`.
 */
export function podFailed(failure: PodFailure, pods: readonly V1Pod[], involved: (pods: V1Pod[]) => { kind: string; name: string }[]): Watched {
  return {
    kind: 'failed',
    reason: podFailureReason(failure),
    logs: failure.hasLogs ? { pod: failure.pod, container: failure.container, previous: failure.previousLogs } : null,
    objects: involved(pods.filter((p) => p.metadata?.name === failure.pod)),
  };
}

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
  deployment: { name: string; selector: string; generation: number },
  options: { signal?: AbortSignal; timeoutMs: number; log: (line: string) => void },
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
      reason: `deployment "${name}" did not finish its rollout within ${Math.round(options.timeoutMs / 1000)} s (${said || 'no status yet'})`,
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

export interface DeploymentRollout {
  name: string;
  manifest: V1Deployment;
  service: V1Service | null;
  selector: Record<string, string>;
}

/**
 * Applies a Deployment (and its Service) and waits for it. On failure or cancel the previous
 * revision's template is applied again and waited for, so what ran before keeps running.
 */
export async function rolloutDeployment(ctx: TargetContext, scope: RolloutScope, rollout: DeploymentRollout): Promise<Outcome> {
  const { api } = ctx;
  const { namespace, log, signal } = scope;
  const { name } = rollout;
  const selector = selectorString(rollout.selector);
  const before = await api.get('Deployment', namespace, name);
  if (rollout.service) await api.apply('Service', namespace, rollout.service);
  const applied = await api.apply('Deployment', namespace, rollout.manifest);
  const generation = applied.metadata?.generation ?? 0;
  log(`applied deployment ${namespace}/${name} (generation ${generation})`);
  const watched = await watchDeployment(ctx, namespace, { name, selector, generation }, { signal, timeoutMs: ctx.timing.rolloutTimeoutMs, log });
  return settle(ctx, scope, watched, () => undo(ctx, scope, rollout, before));
}

/**
 * How a watched rollout ends: done; or canceled or failed, and what ran before is put
 * back (`undo`) — for a failure after its logs and events were read, since the undo
 * replaces the failing pods.
 */
export async function settle(ctx: TargetContext, scope: RolloutScope, watched: Watched, undo: () => Promise<void>): Promise<Outcome> {
  if (watched.kind === 'done') return { ok: true };
  if (watched.kind === 'canceled') {
    scope.log('rollout canceled: restoring what ran before');
    await undo();
    return { ok: false, reason: 'rollout canceled', logTail: [] };
  }
  scope.log(`rollout failed: ${watched.reason}`);
  const logTail = await diagnose(ctx, scope.namespace, { logs: watched.logs, objects: watched.objects });
  await undo();
  return { ok: false, reason: watched.reason, logTail };
}

/**
 * `kubectl rollout undo`: the template of the Deployment's previous revision (the newest
 * ReplicaSet not made by this deployment), minus the controller's pod-template-hash label.
 */
async function undo(ctx: TargetContext, scope: RolloutScope, rollout: DeploymentRollout, before: V1Deployment | null): Promise<void> {
  const { api } = ctx;
  const { namespace, log } = scope;
  const { name } = rollout;
  if (before === null) {
    // Its first rollout: nothing ran before. The Deployment (and its Service) are deleted rather
    // than scaled to zero, so no broken template stays behind and `inspect` shows nothing running.
    await api.delete('Deployment', namespace, name);
    if (rollout.service) await api.delete('Service', namespace, name);
    log(`removed deployment ${namespace}/${name}: it did not run before`);
    return;
  }
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
  // A cancel must not cut this short: wait without the signal.
  const watched = await watchDeployment(
    ctx,
    namespace,
    { name, selector, generation: applied.metadata?.generation ?? 0 },
    { timeoutMs: ctx.timing.undoTimeoutMs, log },
  );
  if (watched.kind === 'done') log(`deployment ${namespace}/${name} runs version ${version} again`);
  else if (watched.kind === 'failed') log(`the restored version of ${name} is not healthy either: ${watched.reason}`);
}

/** The manifest as applied, with the earlier template (and what it says about itself) back. */
function restoredManifest(manifest: V1Deployment, template: V1PodTemplateSpec, replicas: number | undefined): V1Deployment {
  const body = deepCopy(manifest);
  const labels = { ...(template.metadata?.labels ?? {}) };
  delete labels[POD_TEMPLATE_HASH];
  template.metadata = { ...template.metadata, labels };
  const annotations = template.metadata.annotations ?? {};
  body.metadata = {
    ...body.metadata,
    labels: { ...body.metadata?.labels, ...(labels[LABELS.version] ? { [LABELS.version]: labels[LABELS.version] } : {}) },
    annotations: {
      ...body.metadata?.annotations,
      ...(annotations[ANNOTATIONS.deploymentId] ? { [ANNOTATIONS.deploymentId]: annotations[ANNOTATIONS.deploymentId] } : {}),
      ...(annotations[ANNOTATIONS.version] ? { [ANNOTATIONS.version]: annotations[ANNOTATIONS.version] } : {}),
    },
  };
  body.spec = { ...body.spec!, template, ...(replicas !== undefined ? { replicas } : {}) };
  return body;
}
