/**
 * What the controllers share: their view of the cluster and the helpers the
 * real controllers share in pkg/controller (owner references, pod readiness,
 * pods from templates).
 */
import type { FakeClock } from '../clock.ts';
import type { Deleter } from '../deletion.ts';
import type { EventRecorder } from '../events.ts';
import type { Registry } from '../registry.ts';
import type { Json, KubeObject, OwnerReference } from '../types.ts';
import { clone, randomSuffix } from '../util.ts';

export interface ControllerContext {
  registry: Registry;
  deleter: Deleter;
  events: EventRecorder;
  clock: FakeClock;
}

export const CONTROLLER_MANAGER = 'kube-controller-manager';
export const NODE_NAME = 'fake-node';

export function ownerReference(owner: KubeObject): OwnerReference {
  return {
    apiVersion: owner.apiVersion, kind: owner.kind, name: owner.metadata.name, uid: owner.metadata.uid,
    controller: true, blockOwnerDeletion: true,
  };
}

function controllerUid(obj: KubeObject): string | undefined {
  return obj.metadata.ownerReferences?.find((r) => r.controller)?.uid;
}

/** The objects of `kind` in `namespace` whose controller is `owner`. */
export function controlledBy(ctx: ControllerContext, kind: string, owner: KubeObject): KubeObject[] {
  return ctx.registry.store.list(kind, owner.metadata.namespace ?? null).filter((o) => controllerUid(o) === owner.metadata.uid);
}

/** Counts toward a controller's replicas: not being deleted, not finished. */
export function isActivePod(pod: KubeObject): boolean {
  return pod.metadata.deletionTimestamp === undefined && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';
}

function readyCondition(pod: KubeObject): Json {
  return (pod.status?.conditions ?? []).find((c: Json) => c.type === 'Ready');
}

export function isPodReady(pod: KubeObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready for at least `minReadySeconds` of fake time. */
export function isPodAvailable(pod: KubeObject, minReadySeconds: number, nowMs: number): boolean {
  const ready = readyCondition(pod);
  if (ready?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  return Date.parse(ready.lastTransitionTime) + minReadySeconds * 1000 <= nowMs;
}

/** A pod as a controller creates it from its template; `generated`: named `<owner>-<random>`, with generateName. */
export function podFromTemplate(template: Json, owner: KubeObject, name: string, generated: boolean, extraLabels: Record<string, string> = {}): Json {
  const meta = template?.metadata ?? {};
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      ...(generated ? { generateName: `${owner.metadata.name}-` } : {}),
      namespace: owner.metadata.namespace,
      labels: { ...clone(meta.labels ?? {}), ...extraLabels },
      ...(meta.annotations ? { annotations: clone(meta.annotations) } : {}),
      ownerReferences: [ownerReference(owner)],
    },
    spec: clone(template?.spec ?? {}),
  };
}

/** `<owner>-<5 random characters>`, unused in the namespace. */
export function generatedPodName(ctx: ControllerContext, owner: KubeObject): string {
  for (;;) {
    const name = `${owner.metadata.name}-${randomSuffix()}`;
    if (!ctx.registry.store.get('Pod', owner.metadata.namespace, name)) return name;
  }
}

/**
 * Sets a condition as the controllers' SetCondition helpers do: nothing changes
 * while status and reason stay the same; the transition time moves only when
 * the status does.
 */
export function setCondition(conditions: Json[], next: Json, nowIso: string, withUpdateTime: boolean): Json[] {
  const current = conditions.find((c) => c.type === next.type);
  if (current && current.status === next.status && current.reason === next.reason) return conditions;
  const condition = {
    type: next.type,
    status: next.status,
    ...(withUpdateTime ? { lastUpdateTime: nowIso } : {}),
    lastTransitionTime: current && current.status === next.status ? current.lastTransitionTime : nowIso,
    reason: next.reason,
    message: next.message,
  };
  return current ? conditions.map((c) => (c.type === next.type ? condition : c)) : [...conditions, condition];
}
