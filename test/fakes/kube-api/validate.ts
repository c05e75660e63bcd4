/**
 * Validation of API requests (after defaulting), with the API server's field
 * paths and wording, for the rules a deployment tool can trip over: names,
 * labels, selectors against template labels, containers, restart policies,
 * immutable fields and CronJob schedules.
 */
import { labelSelectorOf } from './selectors.ts';
import { forbidden, invalidValue, notSupported, required, type FieldError } from './status.ts';
import type { Json, KubeObject } from './types.ts';
import { deepEqual } from './util.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;

const SUBDOMAIN_TEXT = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_TEXT = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_TEXT = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const LABEL_VALUE_TEXT = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

function validateName(obj: KubeObject): FieldError[] {
  const name = obj.metadata.name;
  if (!name) return [required('metadata.name', 'name or generateName is required')];
  if (obj.kind === 'Service') {
    return DNS1035_LABEL.test(name) && name.length <= 63 ? [] : [invalidValue('metadata.name', name, DNS1035_TEXT)];
  }
  if (obj.kind === 'Namespace') {
    return DNS1123_LABEL.test(name) && name.length <= 63 ? [] : [invalidValue('metadata.name', name, LABEL_TEXT)];
  }
  return DNS1123_SUBDOMAIN.test(name) && name.length <= 253 ? [] : [invalidValue('metadata.name', name, SUBDOMAIN_TEXT)];
}

function validateLabels(labels: Json, path: string): FieldError[] {
  const errors: FieldError[] = [];
  for (const [key, value] of Object.entries((labels ?? {}) as Record<string, unknown>)) {
    const name = key.includes('/') ? key.slice(key.indexOf('/') + 1) : key;
    if (!LABEL_NAME.test(name) || name.length > 63) {
      errors.push(invalidValue(path, key, "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"));
    }
    if (typeof value !== 'string' || !LABEL_VALUE.test(value) || value.length > 63) {
      errors.push(invalidValue(path, value, LABEL_VALUE_TEXT));
    }
  }
  return errors;
}

function validatePodSpec(spec: Json, path: string, restartPolicies: string[] | null): FieldError[] {
  if (!spec) return [required(path)];
  const errors: FieldError[] = [];
  const containers: Json[] = spec.containers ?? [];
  if (containers.length === 0) errors.push(required(`${path}.containers`));
  const seen = new Set<string>();
  for (const [list, items] of [['containers', containers], ['initContainers', spec.initContainers ?? []]] as const) {
    items.forEach((c: Json, i: number) => {
      const at = `${path}.${list}[${i}]`;
      if (!c?.name) errors.push(required(`${at}.name`));
      else if (!DNS1123_LABEL.test(c.name)) errors.push(invalidValue(`${at}.name`, c.name, LABEL_TEXT));
      else if (seen.has(c.name)) errors.push({ field: `${at}.name`, type: 'FieldValueDuplicate', detail: `Duplicate value: ${JSON.stringify(c.name)}` });
      if (c?.name) seen.add(c.name);
      if (!c?.image) errors.push(required(`${at}.image`));
    });
  }
  if (restartPolicies) {
    const policy = spec.restartPolicy;
    if (policy === undefined) errors.push(required(`${path}.restartPolicy`, `valid values: ${restartPolicies.map((p) => JSON.stringify(p)).join(', ')}`));
    else if (!restartPolicies.includes(policy)) errors.push(notSupported(`${path}.restartPolicy`, policy, restartPolicies));
  }
  return errors;
}

function validateWorkload(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = obj.spec ?? {};
  const errors: FieldError[] = [];
  if (typeof spec.replicas === 'number' && spec.replicas < 0) errors.push(invalidValue('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  const selector = spec.selector;
  const empty = !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
  if (!selector) errors.push(required('spec.selector'));
  else if (empty) errors.push(invalidValue('spec.selector', selector, `empty selector is invalid for ${obj.kind.toLowerCase()}`));
  const labels = spec.template?.metadata?.labels;
  if (!empty && !labelSelectorOf(selector)(labels)) {
    errors.push(invalidValue('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  errors.push(...validateLabels(labels, 'spec.template.metadata.labels'));
  errors.push(...validatePodSpec(spec.template?.spec, 'spec.template.spec', obj.kind === 'Job' ? ['OnFailure', 'Never'] : ['Always']));
  if (old && !deepEqual(old.spec?.selector, selector)) errors.push(invalidValue('spec.selector', selector, 'field is immutable'));
  return errors;
}

function validateDeployment(obj: KubeObject): FieldError[] {
  const strategy = obj.spec?.strategy ?? {};
  if (!['RollingUpdate', 'Recreate'].includes(strategy.type)) return [notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate'])];
  if (strategy.type === 'Recreate' && strategy.rollingUpdate) {
    return [forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'")];
  }
  const ru = strategy.rollingUpdate ?? {};
  const zero = (v: unknown) => v === 0 || v === '0%' || v === '0';
  if (strategy.type === 'RollingUpdate' && zero(ru.maxSurge) && zero(ru.maxUnavailable)) {
    return [invalidValue('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0')];
  }
  return [];
}

const STATEFULSET_MUTABLE = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

function validateStatefulSetUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const strip = (spec: Json) => Object.fromEntries(Object.entries(spec ?? {}).filter(([k]) => !STATEFULSET_MUTABLE.includes(k)));
  if (deepEqual(strip(obj.spec), strip(old.spec))) return [];
  return [forbidden('spec', "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
}

function validateJobUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  if (!deepEqual(obj.spec?.template, old.spec?.template)) errors.push(invalidValue('spec.template', obj.spec?.template, 'field is immutable'));
  if (obj.spec?.completions !== old.spec?.completions) errors.push(invalidValue('spec.completions', obj.spec?.completions, 'field is immutable'));
  return errors;
}

const CRON_FIELD = /^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(\/\d+)?)*$/;
const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

function validateCronJob(obj: KubeObject): FieldError[] {
  const schedule = obj.spec?.schedule;
  const errors: FieldError[] = [];
  if (!schedule) errors.push(required('spec.schedule'));
  else if (!CRON_MACROS.includes(schedule) && !/^@every /.test(schedule)) {
    const fields = String(schedule).replace(/^(CRON_)?TZ=\S+\s+/, '').trim().split(/\s+/);
    if (fields.length !== 5) errors.push(invalidValue('spec.schedule', schedule, `expected exactly 5 fields, found ${fields.length}: ${schedule}`));
    else if (!fields.every((f) => CRON_FIELD.test(f))) errors.push(invalidValue('spec.schedule', schedule, `unparseable: ${schedule}`));
  }
  const policy = obj.spec?.concurrencyPolicy;
  if (!['Allow', 'Forbid', 'Replace'].includes(policy)) errors.push(notSupported('spec.concurrencyPolicy', policy, ['Allow', 'Forbid', 'Replace']));
  errors.push(...validatePodSpec(obj.spec?.jobTemplate?.spec?.template?.spec, 'spec.jobTemplate.spec.template.spec', ['OnFailure', 'Never']));
  return errors;
}

function validateService(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = obj.spec ?? {};
  const errors: FieldError[] = [];
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (!types.includes(spec.type)) errors.push(notSupported('spec.type', spec.type, types));
  const ports: Json[] = spec.ports ?? [];
  if (ports.length === 0 && spec.clusterIP !== 'None' && spec.type !== 'ExternalName') errors.push(required('spec.ports'));
  ports.forEach((p, i) => {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) errors.push(invalidValue(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (ports.length > 1 && !p.name) errors.push(required(`spec.ports[${i}].name`));
  });
  if (old && old.spec?.clusterIP && old.spec.clusterIP !== spec.clusterIP) {
    errors.push(invalidValue('spec.clusterIPs[0]', spec.clusterIPs ?? [], 'may not change once set'));
  }
  return errors;
}

function validatePersistentVolumeClaim(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = obj.spec ?? {};
  const errors: FieldError[] = [];
  if (!spec.accessModes?.length) errors.push(required('spec.accessModes', 'at least 1 access mode is required'));
  if (!spec.resources?.requests?.storage) errors.push(required('spec.resources[storage]'));
  if (old) {
    const strip = (s: Json) => ({ ...s, resources: { ...s?.resources, requests: undefined }, volumeName: undefined });
    if (!deepEqual(strip(spec), strip(old.spec))) {
      errors.push(forbidden('spec', 'spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'));
    }
  }
  return errors;
}

function validatePodUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const strip = (spec: Json) => ({
    ...spec,
    containers: (spec?.containers ?? []).map((c: Json) => ({ ...c, image: '' })),
    activeDeadlineSeconds: undefined,
    tolerations: undefined,
  });
  if (deepEqual(strip(obj.spec), strip(old.spec))) return [];
  return [forbidden('spec', 'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)')];
}

/** Field errors of a create (`old` undefined) or an update through the object itself. */
export function validate(obj: KubeObject, old: KubeObject | undefined): FieldError[] {
  const errors = [...validateName(obj), ...validateLabels(obj.metadata.labels, 'metadata.labels')];
  switch (obj.kind) {
    case 'Deployment':
      return [...errors, ...validateWorkload(obj, old), ...validateDeployment(obj)];
    case 'ReplicaSet':
      return [...errors, ...validateWorkload(obj, old)];
    case 'StatefulSet':
      return [...errors, ...validateWorkload(obj, old), ...(old ? validateStatefulSetUpdate(obj, old) : [])];
    case 'Job':
      return [...errors, ...validateWorkload(obj, old), ...(old ? validateJobUpdate(obj, old) : [])];
    case 'CronJob':
      return [...errors, ...validateCronJob(obj)];
    case 'Service':
      return [...errors, ...validateService(obj, old)];
    case 'PersistentVolumeClaim':
      return [...errors, ...validatePersistentVolumeClaim(obj, old)];
    case 'Pod':
      return [...errors, ...validatePodSpec(obj.spec, 'spec', ['Always', 'OnFailure', 'Never']), ...(old ? validatePodUpdate(obj, old) : [])];
    default:
      return errors;
  }
}
