import type { V1Pod, V1StatefulSet } from '@kubernetes/client-node';
import type { Outcome } from '../../ports.ts';
import { deepCopy, ownedBy, reflect, stopAll, type RolloutScope, type TargetContext } from './context.ts';
import { ANNOTATIONS, selectorString } from './labels.ts';
import { podFailure } from './pod-failure.ts';
import { statefulSetStatus } from './rollout-status.ts';
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

/** Set by the StatefulSet controller on each pod: the revision it was made from. */
const REVISION_HASH = 'controller-revision-hash';

/** The pods a StatefulSet made from its update revision (all of its pods when they carry no revision). */
function updatedPods(sts: V1StatefulSet, pods: readonly V1Pod[]): V1Pod[] {
  const owned = ownedBy(pods, { kind: 'StatefulSet', name: sts.metadata?.name ?? '', uid: sts.metadata?.uid });
  const revision = sts.status?.updateRevision;
  if (!revision || !owned.some((p) => p.metadata?.labels?.[REVISION_HASH])) return owned;
  return owned.filter((p) => p.metadata?.labels?.[REVISION_HASH] === revision);
}

export async function watchStatefulSet(
  ctx: TargetContext,
  namespace: string,
  target: WatchTarget,
  options: WatchOptions,
): Promise<Watched> {
  const { name, generation } = target;
  const sets = reflect(ctx, 'StatefulSet', namespace, target.selector);
  const pods = reflect(ctx, 'Pod', namespace, target.selector);
  let said = '';
  let current: V1Pod[] = [];
  const involved = (list: readonly V1Pod[]) => [{ kind: 'StatefulSet', name }, ...list.map((p) => ({ kind: 'Pod', name: p.metadata?.name ?? '' }))];
  try {
    const end = await waitUntil(
      [sets, pods],
      (): Watched | null => {
        const sts = sets.items.get(name);
        if (!sts || (sts.metadata?.generation ?? 0) < generation) return null;
        const status = statefulSetStatus(sts);
        if (status.message !== said) options.log((said = status.message));
        if ((sts.status?.observedGeneration ?? 0) >= generation) current = updatedPods(sts, pods.values);
        if (status.state === 'done') return { kind: 'done' };
        if (status.state === 'failed') return { kind: 'failed', reason: status.message, logs: null, objects: involved(current) };
        const failure = podFailure(current);
        return failure ? podFailed(failure, current, involved) : null;
      },
      { ...(options.signal ? { signal: options.signal } : {}), timeoutMs: options.timeoutMs },
    );
    if (end.kind === 'done') return end.value;
    if (end.kind === 'canceled') return end;
    const pod = current[0];
    const container = pod?.spec?.containers[0]?.name;
    return {
      kind: 'failed',
      reason: timedOutReason('StatefulSet', name, options, said),
      logs: pod?.metadata?.name && container ? { pod: pod.metadata.name, container, previous: false } : null,
      objects: involved(current),
    };
  } finally {
    stopAll([sets, pods]);
  }
}

/**
 * A database: its governing (headless) Service and StatefulSet. On failure or cancel the
 * template that ran before is applied again and the broken pods are deleted — a StatefulSet
 * does not replace a pod that never became ready on its own (Kubernetes' "forced rollback").
 */
export function rolloutStatefulSet(ctx: TargetContext, scope: RolloutScope, rollout: WorkloadRollout<'StatefulSet'>): Promise<Outcome> {
  return applyAndWatch(ctx, scope, 'StatefulSet', rollout, watchStatefulSet, (before) => undo(ctx, scope, rollout, before));
}

async function undo(
  ctx: TargetContext,
  scope: RolloutScope,
  rollout: WorkloadRollout<'StatefulSet'>,
  before: V1StatefulSet | null,
): Promise<void> {
  const { api } = ctx;
  const { namespace, log } = scope;
  const { name } = rollout;
  // Its first rollout: deleted (its volume claims stay, as they do on every removal) rather
  // than left at zero replicas.
  if (before === null) return removeFirstRollout(ctx, scope, 'StatefulSet', rollout);
  const template = deepCopy(before.spec?.template);
  if (!template) return;
  const body = deepCopy(rollout.manifest);
  body.metadata = restoredMetadata(body.metadata, template);
  if (body.spec) {
    body.spec.template = template;
    if (before.spec?.replicas !== undefined) body.spec.replicas = before.spec.replicas;
  }
  const selector = selectorString(rollout.selector);
  // The revision that failed, read before the restore changes it again.
  const failed = (await api.get('StatefulSet', namespace, name))?.status?.updateRevision;
  const ranBefore = before.status?.updateRevision;
  const applied = await api.apply('StatefulSet', namespace, body);
  log(`restoring the template of statefulset ${namespace}/${name} from before this rollout (version ${template.metadata?.annotations?.[ANNOTATIONS.version] ?? '?'})`);
  // A pod of the failed revision that never got ready is not replaced by the controller: delete it.
  const { items } = await api.list('Pod', namespace, { labelSelector: selector });
  for (const pod of ownedBy(items, { kind: 'StatefulSet', name, uid: applied.metadata?.uid })) {
    const revision = pod.metadata?.labels?.[REVISION_HASH];
    const stale =
      revision !== undefined && failed !== undefined && failed !== ranBefore ? revision === failed : podFailure([pod]) !== null;
    if (stale && pod.metadata?.name) {
      await api.delete('Pod', namespace, pod.metadata.name);
      log(`deleted pod ${pod.metadata.name} of the failed revision`);
    }
  }
  const target = { name, selector, generation: applied.metadata?.generation ?? 0 };
  await watchRestored(ctx, scope, 'StatefulSet', target, watchStatefulSet, 'its earlier template');
}
