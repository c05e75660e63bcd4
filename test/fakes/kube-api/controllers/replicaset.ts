/**
 * The ReplicaSet controller: keeps `spec.replicas` pods of the template alive
 * (removing the least useful first: unscheduled, pending, not ready, then the
 * newest), and reports replicas, ready and available pods.
 */
import { labelSelectorOf } from '../selectors.ts';
import type { KubeObject } from '../types.ts';
import { clone, deepEqual, omitZero } from '../util.ts';
import {
  CONTROLLER_MANAGER, controlledBy, generatedPodName, isActivePod, isPodAvailable, isPodReady, podFromTemplate,
  type ControllerContext,
} from './common.ts';

const SOURCE = { component: 'replicaset-controller' };

/** Lower first: which pod a scale-down removes first. */
function deletionRank(pod: KubeObject): number {
  if (!pod.spec?.nodeName) return 0;
  if (pod.status?.phase === 'Pending') return 1;
  if (!isPodReady(pod)) return 2;
  return 3;
}

export function syncReplicaSets(ctx: ControllerContext): void {
  for (const rs of ctx.registry.store.list('ReplicaSet')) {
    if (!rs.metadata.deletionTimestamp) syncReplicaSet(ctx, rs);
  }
}

function syncReplicaSet(ctx: ControllerContext, rs: KubeObject): void {
  const pods = controlledBy(ctx, 'Pod', rs).filter(isActivePod);
  const wanted = rs.spec?.replicas ?? 1;
  if (pods.length < wanted) {
    for (let i = pods.length; i < wanted; i++) {
      const pod = ctx.registry.createInternal(podFromTemplate(rs.spec.template, rs, generatedPodName(ctx, rs), true), CONTROLLER_MANAGER);
      ctx.events.record(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SOURCE);
    }
  } else if (pods.length > wanted) {
    const victims = [...pods]
      .sort((a, b) => deletionRank(a) - deletionRank(b) || b.metadata.creationTimestamp.localeCompare(a.metadata.creationTimestamp))
      .slice(0, pods.length - wanted);
    for (const pod of victims) {
      ctx.deleter.deleteObject(pod, 'Background');
      ctx.events.record(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`, SOURCE);
    }
  }
  // As the real controller, status counts the pods seen at the start of this sync.
  const now = ctx.clock.now();
  const matchesTemplate = labelSelectorOf({ matchLabels: rs.spec?.template?.metadata?.labels ?? {} });
  const status = omitZero({
    replicas: pods.length,
    fullyLabeledReplicas: pods.filter((p) => matchesTemplate(p.metadata.labels)).length,
    readyReplicas: pods.filter(isPodReady).length,
    availableReplicas: pods.filter((p) => isPodAvailable(p, rs.spec?.minReadySeconds ?? 0, now)).length,
    observedGeneration: rs.metadata.generation,
  }, ['fullyLabeledReplicas', 'readyReplicas', 'availableReplicas']);
  if (!deepEqual(status, rs.status)) ctx.registry.updateInternal({ ...clone(rs), status }, CONTROLLER_MANAGER, 'status');
}
