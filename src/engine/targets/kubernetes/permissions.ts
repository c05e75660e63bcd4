/**
 * What the Kubernetes target does to which resources. The API facade (client.ts) accepts
 * only the kinds listed here for each verb, so this list is what the code can do; the RBAC
 * manifests in deploy/kubernetes/ are tested against it.
 */

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'patch' | 'delete';

export interface Permission {
  apiGroup: string;
  resource: string;
  verbs: readonly Verb[];
  /** `cluster`: granted by a ClusterRole; `namespace`: by the Role in each target namespace. */
  scope: 'cluster' | 'namespace';
}

/** Kinds the target works with, and where each lives in the API. */
export const RESOURCES = {
  Namespace: { group: '', version: 'v1', plural: 'namespaces', namespaced: false },
  Service: { group: '', version: 'v1', plural: 'services', namespaced: true },
  Pod: { group: '', version: 'v1', plural: 'pods', namespaced: true },
  PersistentVolumeClaim: { group: '', version: 'v1', plural: 'persistentvolumeclaims', namespaced: true },
  Event: { group: '', version: 'v1', plural: 'events', namespaced: true },
  Deployment: { group: 'apps', version: 'v1', plural: 'deployments', namespaced: true },
  ReplicaSet: { group: 'apps', version: 'v1', plural: 'replicasets', namespaced: true },
  StatefulSet: { group: 'apps', version: 'v1', plural: 'statefulsets', namespaced: true },
  Job: { group: 'batch', version: 'v1', plural: 'jobs', namespaced: true },
  CronJob: { group: 'batch', version: 'v1', plural: 'cronjobs', namespaced: true },
} as const;

export type Kind = keyof typeof RESOURCES;

/**
 * Which kinds each operation of the facade may touch. Server-side apply is a PATCH that
 * creates what is missing, so the API server authorizes it as `patch` and, for a new
 * object, `create`.
 */
export const USES = {
  apply: ['Service', 'Deployment', 'StatefulSet', 'Job', 'CronJob'],
  /** Merge patches: scale to zero, suspend, restartedAt. */
  patch: ['Deployment', 'StatefulSet', 'CronJob'],
  get: ['Namespace', 'Deployment', 'StatefulSet'],
  create: ['Namespace'],
  list: ['Service', 'Pod', 'Event', 'Deployment', 'ReplicaSet', 'StatefulSet', 'Job', 'CronJob', 'PersistentVolumeClaim'],
  watch: ['Pod', 'Deployment', 'ReplicaSet', 'StatefulSet', 'Job'],
  /**
   * Pods: a StatefulSet's broken pods are deleted so that a restored template replaces them.
   * PersistentVolumeClaims: a `destroy` deletes a StatefulSet's claims (its data) with it.
   */
  delete: ['Service', 'Pod', 'Deployment', 'StatefulSet', 'Job', 'CronJob', 'PersistentVolumeClaim'],
} as const satisfies Record<'apply' | Verb, readonly Kind[]>;

export type KindFor<Op extends keyof typeof USES> = (typeof USES)[Op][number];

/** Subresources and other APIs the target reads: pods' output (failures, the running app's logs) and metrics-server's pod usage. */
const SUBRESOURCES: Permission[] = [
  { apiGroup: '', resource: 'pods/log', verbs: ['get'], scope: 'namespace' },
  { apiGroup: 'metrics.k8s.io', resource: 'pods', verbs: ['list'], scope: 'namespace' },
];

function derive(): Permission[] {
  const byResource = new Map<Kind, Set<Verb>>();
  const grant = (kind: Kind, verbs: Verb[]) => {
    const set = byResource.get(kind) ?? new Set<Verb>();
    for (const verb of verbs) set.add(verb);
    byResource.set(kind, set);
  };
  for (const [op, kinds] of Object.entries(USES) as [keyof typeof USES, readonly Kind[]][]) {
    for (const kind of kinds) grant(kind, op === 'apply' ? ['patch', 'create'] : [op]);
  }
  const order: Verb[] = ['get', 'list', 'watch', 'create', 'patch', 'delete'];
  const derived = [...byResource.entries()].map(([kind, verbs]): Permission => {
    const resource = RESOURCES[kind];
    return {
      apiGroup: resource.group,
      resource: resource.plural,
      verbs: order.filter((v) => verbs.has(v)),
      scope: resource.namespaced ? 'namespace' : 'cluster',
    };
  });
  return [...derived, ...SUBRESOURCES];
}

/** Every permission the target's code uses. */
export const REQUIRED_PERMISSIONS: readonly Permission[] = Object.freeze(derive());
