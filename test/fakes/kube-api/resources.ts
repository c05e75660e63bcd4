/**
 * The resources the fake serves: where they live in the API, what they are called,
 * and which of the API server's per-kind rules apply to them.
 */

export interface ResourceInfo {
  kind: string;
  plural: string;
  singular: string;
  /** '' for the core group (`/api/v1`). */
  group: string;
  namespaced: boolean;
  shortNames: string[];
  /** Has a /status subresource: writes to the object itself leave status alone. */
  hasStatus: boolean;
  /** Has a /scale subresource. */
  hasScale: boolean;
  /** metadata.generation counts spec changes. */
  tracksGeneration: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

const core = (kind: string, plural: string, namespaced: boolean, shortNames: string[], hasStatus: boolean): ResourceInfo => ({
  kind, plural, singular: kind.toLowerCase(), group: '', namespaced, shortNames, hasStatus, hasScale: false, tracksGeneration: false,
});

const grouped = (group: string, kind: string, plural: string, shortNames: string[], hasScale: boolean): ResourceInfo => ({
  kind, plural, singular: kind.toLowerCase(), group, namespaced: true, shortNames, hasStatus: true, hasScale, tracksGeneration: true,
});

export const RESOURCES: readonly ResourceInfo[] = [
  core('Namespace', 'namespaces', false, ['ns'], true),
  core('Service', 'services', true, ['svc'], true),
  core('Pod', 'pods', true, ['po'], true),
  core('PersistentVolumeClaim', 'persistentvolumeclaims', true, ['pvc'], true),
  core('Event', 'events', true, ['ev'], false),
  core('ConfigMap', 'configmaps', true, ['cm'], false),
  core('Secret', 'secrets', true, [], false),
  grouped('apps', 'Deployment', 'deployments', ['deploy'], true),
  grouped('apps', 'ReplicaSet', 'replicasets', ['rs'], true),
  grouped('apps', 'StatefulSet', 'statefulsets', ['sts'], true),
  grouped('batch', 'Job', 'jobs', [], false),
  grouped('batch', 'CronJob', 'cronjobs', ['cj'], false),
  grouped('networking.k8s.io', 'Ingress', 'ingresses', ['ing'], false),
  // cert-manager's CRD, served as a cluster with cert-manager installed serves it.
  grouped('cert-manager.io', 'Certificate', 'certificates', ['cert', 'certs'], false),
];

export const GROUPS = ['apps', 'batch', 'networking.k8s.io', 'cert-manager.io'] as const;

export function apiVersionOf(info: ResourceInfo): string {
  return info.group === '' ? 'v1' : `${info.group}/v1`;
}

export function byKind(kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

export function byPlural(group: string, plural: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.plural === plural);
}

/** `deployments.apps`, `pods`: how Status messages name a resource. */
export function qualifiedResource(info: ResourceInfo): string {
  return info.group === '' ? info.plural : `${info.plural}.${info.group}`;
}

/** `Deployment.apps`, `Pod`: how validation messages name a kind. */
export function qualifiedKind(info: Pick<ResourceInfo, 'kind' | 'group'>): string {
  return info.group === '' ? info.kind : `${info.kind}.${info.group}`;
}

function resourceEntries(info: ResourceInfo): object[] {
  const main = {
    name: info.plural, singularName: info.singular, namespaced: info.namespaced, kind: info.kind,
    verbs: VERBS, ...(info.shortNames.length > 0 ? { shortNames: info.shortNames } : {}),
  };
  const sub = (name: string, kind: string, verbs: string[], group?: string) => ({
    name: `${info.plural}/${name}`, singularName: '', namespaced: info.namespaced, kind, verbs,
    ...(group ? { group, version: 'v1' } : {}),
  });
  return [
    main,
    ...(info.hasStatus ? [sub('status', info.kind, ['get', 'patch', 'update'])] : []),
    ...(info.hasScale ? [sub('scale', 'Scale', ['get', 'patch', 'update'], 'autoscaling')] : []),
    ...(info.kind === 'Pod' ? [sub('log', 'Pod', ['get'])] : []),
  ];
}

/** GET /api/v1 or /apis/{group}/v1. */
export function resourceList(group: string): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group === '' ? 'v1' : `${group}/v1`,
    resources: RESOURCES.filter((r) => r.group === group).flatMap(resourceEntries),
  };
}

/** GET /apis. */
export function groupList(): object {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: GROUPS.map((name) => ({
      name,
      versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
      preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
    })),
  };
}

/** GET /api. */
export function coreVersions(serverAddress: string): object {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** GET /version. */
export const VERSION_INFO = {
  major: '1',
  minor: '31',
  gitVersion: 'v1.31.0',
  gitCommit: '9edcffcde5595e8a5b1a35f88c421764e575afce',
  gitTreeState: 'clean',
  buildDate: '2024-08-13T07:28:49Z',
  goVersion: 'go1.22.5',
  compiler: 'gc',
  platform: 'linux/amd64',
};
