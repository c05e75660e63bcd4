/**
 * Defaulting, as the API server fills in what a client leaves out (the
 * SetDefaults_* functions and the admission plugins that add fields:
 * DefaultStorageClass, ServiceAccount, storage-object-in-use-protection).
 * Runs on every create and update, and only fills what is missing.
 */
import type { Json, KubeObject } from './types.ts';

export interface Allocators {
  clusterIP(): string;
  nodePort(): number;
}

function imageTag(image: string): string {
  const name = image.split('@')[0] ?? image;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(colon + 1) : 'latest';
}

function defaultProbe(probe: Json): void {
  if (!probe) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP';
}

function defaultContainer(c: Json): void {
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  if (typeof c.image === 'string') c.imagePullPolicy ??= imageTag(c.image) === 'latest' ? 'Always' : 'IfNotPresent';
  c.resources ??= {};
  for (const port of c.ports ?? []) port.protocol ??= 'TCP';
  for (const env of c.env ?? []) {
    if (env.valueFrom?.fieldRef) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
  defaultProbe(c.readinessProbe);
  defaultProbe(c.livenessProbe);
  defaultProbe(c.startupProbe);
}

/** Pod spec defaults; `restartPolicy` stays unset for Job templates, which must choose one. */
function defaultPodSpec(spec: Json, defaultRestartPolicy: boolean): void {
  if (!spec) return;
  if (defaultRestartPolicy) spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) if (c) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (v.configMap) v.configMap.defaultMode ??= 420;
    if (v.secret) v.secret.defaultMode ??= 420;
  }
}

function defaultDeployment(spec: Json): void {
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
  }
  defaultPodSpec(spec.template?.spec, true);
}

function defaultStatefulSet(spec: Json): void {
  spec.replicas ??= 1;
  spec.podManagementPolicy ??= 'OrderedReady';
  spec.revisionHistoryLimit ??= 10;
  spec.updateStrategy ??= {};
  spec.updateStrategy.type ??= 'RollingUpdate';
  if (spec.updateStrategy.type === 'RollingUpdate') {
    spec.updateStrategy.rollingUpdate ??= {};
    spec.updateStrategy.rollingUpdate.partition ??= 0;
  }
  spec.persistentVolumeClaimRetentionPolicy ??= {};
  spec.persistentVolumeClaimRetentionPolicy.whenDeleted ??= 'Retain';
  spec.persistentVolumeClaimRetentionPolicy.whenScaled ??= 'Retain';
  for (const t of spec.volumeClaimTemplates ?? []) {
    t.apiVersion ??= 'v1';
    t.kind ??= 'PersistentVolumeClaim';
    t.spec ??= {};
    t.spec.volumeMode ??= 'Filesystem';
    t.status ??= { phase: 'Pending' };
  }
  defaultPodSpec(spec.template?.spec, true);
}

/** Job defaults, including the generated selector and labels that tie its pods to it by uid. */
function defaultJob(obj: KubeObject): void {
  const spec = obj.spec;
  spec.parallelism ??= 1;
  spec.completions ??= 1;
  spec.backoffLimit ??= 6;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ??= 'TerminatingOrFailed';
  if (!spec.manualSelector) {
    const labels = {
      'batch.kubernetes.io/controller-uid': obj.metadata.uid,
      'batch.kubernetes.io/job-name': obj.metadata.name,
      'controller-uid': obj.metadata.uid,
      'job-name': obj.metadata.name,
    };
    spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': obj.metadata.uid } };
    spec.template ??= {};
    spec.template.metadata ??= {};
    spec.template.metadata.labels = { ...labels, ...spec.template.metadata.labels };
  }
  defaultPodSpec(spec.template?.spec, false);
}

function defaultService(spec: Json, allocate: Allocators): void {
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  spec.internalTrafficPolicy ??= 'Cluster';
  if (spec.type !== 'ExternalName') {
    spec.clusterIP ??= allocate.clusterIP();
    spec.clusterIPs ??= [spec.clusterIP];
    if (spec.clusterIP !== 'None') {
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }
  }
  for (const port of spec.ports ?? []) {
    port.protocol ??= 'TCP';
    port.targetPort ??= port.port;
    if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') port.nodePort ??= allocate.nodePort();
  }
  if (spec.type === 'NodePort' || spec.type === 'LoadBalancer') spec.externalTrafficPolicy ??= 'Cluster';
}

/**
 * What an update that leaves allocated values out keeps, as the Service registry's
 * patchAllocatedValues does: the clusterIP(s) and node ports already assigned.
 */
export function keepAllocated(existing: KubeObject, next: KubeObject): void {
  if (next.kind !== 'Service' || !existing.spec || !next.spec) return;
  if (next.spec.clusterIP === undefined || next.spec.clusterIP === '') {
    next.spec.clusterIP = existing.spec.clusterIP;
    if (next.spec.clusterIPs === undefined) next.spec.clusterIPs = existing.spec.clusterIPs;
  }
  for (const port of next.spec.ports ?? []) {
    const old = (existing.spec.ports ?? []).find((p: Json) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
    if (port.nodePort === undefined && old?.nodePort !== undefined) port.nodePort = old.nodePort;
  }
}

const WITHOUT_SPEC = new Set(['ConfigMap', 'Secret', 'Event']);

export function applyDefaults(obj: KubeObject, allocate: Allocators): void {
  if (!WITHOUT_SPEC.has(obj.kind)) obj.spec ??= {};
  switch (obj.kind) {
    case 'Deployment': return defaultDeployment(obj.spec);
    case 'ReplicaSet':
      obj.spec.replicas ??= 1;
      return defaultPodSpec(obj.spec.template?.spec, true);
    case 'StatefulSet': return defaultStatefulSet(obj.spec);
    case 'Job': return defaultJob(obj);
    case 'CronJob':
      obj.spec.concurrencyPolicy ??= 'Allow';
      obj.spec.suspend ??= false;
      obj.spec.successfulJobsHistoryLimit ??= 3;
      obj.spec.failedJobsHistoryLimit ??= 1;
      return defaultPodSpec(obj.spec.jobTemplate?.spec?.template?.spec, false);
    case 'Pod':
      obj.spec.serviceAccountName ??= 'default';
      obj.spec.serviceAccount ??= obj.spec.serviceAccountName;
      obj.spec.enableServiceLinks ??= true;
      obj.spec.priority ??= 0;
      return defaultPodSpec(obj.spec, true);
    case 'Service': return defaultService(obj.spec, allocate);
    case 'PersistentVolumeClaim':
      obj.spec.volumeMode ??= 'Filesystem';
      obj.spec.storageClassName ??= 'standard';
      return;
    case 'Namespace':
      obj.spec.finalizers ??= ['kubernetes'];
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      return;
    case 'Secret':
      obj.type ??= 'Opaque';
      if (obj.stringData) {
        obj.data = { ...obj.data };
        for (const [k, v] of Object.entries(obj.stringData as Record<string, string>)) obj.data[k] = Buffer.from(v).toString('base64');
        delete obj.stringData;
      }
      return;
  }
}

/** The status a new object starts with (a create never sets status for kinds with a status subresource). */
export function initialStatus(obj: KubeObject): Json {
  switch (obj.kind) {
    case 'Namespace': return { phase: 'Active' };
    case 'Pod': return { phase: 'Pending', qosClass: qosClass(obj.spec) };
    case 'PersistentVolumeClaim': return { phase: 'Pending' };
    case 'Service': return { loadBalancer: {} };
    default: return {};
  }
}

function qosClass(spec: Json): string {
  const containers: Json[] = spec?.containers ?? [];
  const resources = containers.map((c) => c.resources ?? {});
  if (resources.every((r) => !r.requests && !r.limits)) return 'BestEffort';
  const guaranteed = resources.every((r) => r.limits?.cpu && r.limits?.memory
    && (!r.requests || (r.requests.cpu === r.limits.cpu && r.requests.memory === r.limits.memory)));
  return guaranteed ? 'Guaranteed' : 'Burstable';
}
