/**
 * Label and field selectors: the `?labelSelector=` / `?fieldSelector=` strings of
 * list and watch calls, and the `LabelSelector` objects of workload specs.
 */
import type { Json, KubeObject } from './types.ts';

export type Requirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

export type Selector = (labels: Record<string, string> | undefined) => boolean;
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const everything: Selector = () => true;

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, req.key);
  switch (req.op) {
    case 'exists': return has;
    case 'notexists': return !has;
    case 'in': return has && req.values.includes(labels[req.key] as string);
    case 'notin': return !has || !req.values.includes(labels[req.key] as string);
  }
}

function selectorOf(reqs: Requirement[]): Selector {
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

/** Splits on commas that are not inside `( )`. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

const KEY = String.raw`[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?`;
const VALUE = String.raw`([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?`;

function parseRequirement(text: string): Requirement | null {
  let m = new RegExp(`^(!?)\\s*(${KEY})$`).exec(text);
  if (m) return { op: m[1] ? 'notexists' : 'exists', key: m[2] as string };
  m = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`).exec(text);
  if (m) return { op: m[3] === '!=' ? 'notin' : 'in', key: m[1] as string, values: [m[4] as string] };
  m = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`).exec(text);
  if (m) {
    const values = (m[4] as string).split(',').map((v) => v.trim()).filter((v) => v !== '');
    if (!values.every((v) => new RegExp(`^${VALUE}$`).test(v))) return null;
    return { op: m[3] as 'in' | 'notin', key: m[1] as string, values };
  }
  return null;
}

/** Parses `app=web,tier!=db,env in (a,b),!legacy`. */
export function parseLabelSelector(text: string | undefined): Parsed<Selector> {
  if (!text) return { ok: true, value: everything };
  const reqs: Requirement[] = [];
  for (const part of splitTopLevel(text)) {
    const req = parseRequirement(part);
    if (!req) return { ok: false, message: `unable to parse requirement: found '${part}', expected: ',', '!=', '==', '=', 'in', 'notin'` };
    reqs.push(req);
  }
  return { ok: true, value: selectorOf(reqs) };
}

/** A workload's `spec.selector` (matchLabels and matchExpressions). */
export function labelSelectorOf(selector: Json): Selector {
  if (!selector) return () => false;
  const reqs: Requirement[] = Object.entries((selector.matchLabels ?? {}) as Record<string, string>)
    .map(([key, value]) => ({ op: 'in', key, values: [value] }));
  for (const e of (selector.matchExpressions ?? []) as Array<{ key: string; operator: string; values?: string[] }>) {
    const op = ({ In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: 'notexists' } as const)[e.operator as 'In'];
    if (!op) return () => false;
    reqs.push(op === 'in' || op === 'notin' ? { op, key: e.key, values: e.values ?? [] } : { op, key: e.key });
  }
  return selectorOf(reqs);
}

/** `app=web,tier=api`: how a Scale's status.selector writes a selector. */
export function selectorString(selector: Json): string {
  const parts = Object.entries((selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
  for (const e of (selector?.matchExpressions ?? []) as Array<{ key: string; operator: string; values?: string[] }>) {
    const values = `(${(e.values ?? []).join(',')})`;
    if (e.operator === 'In') parts.push(`${e.key} in ${values}`);
    if (e.operator === 'NotIn') parts.push(`${e.key} notin ${values}`);
    if (e.operator === 'Exists') parts.push(e.key);
    if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}

const COMMON_FIELDS = ['metadata.name', 'metadata.namespace'];

/** The fields each kind lets a field selector use, as the API server registers them. */
const FIELDS: Record<string, string[]> = {
  Event: [
    'involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath',
    'reason', 'reportingComponent', 'source', 'type',
  ],
  Pod: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'status.phase', 'status.podIP'],
  Namespace: ['status.phase'],
  Secret: ['type'],
  ReplicaSet: ['status.replicas'],
  Job: ['status.successful'],
};

function fieldValue(obj: KubeObject, field: string): string {
  if (obj.kind === 'Event' && field === 'source') return String(obj.source?.component ?? '');
  if (obj.kind === 'Job' && field === 'status.successful') return String(obj.status?.succeeded ?? 0);
  let value: Json = obj;
  for (const part of field.split('.')) value = value?.[part];
  return value === undefined || value === null ? '' : String(value);
}

export type FieldSelector = (obj: KubeObject) => boolean;

/** Parses `metadata.name=web,involvedObject.kind!=Pod` for objects of `kind`. */
export function parseFieldSelector(text: string | undefined, kind: string): Parsed<FieldSelector> {
  if (!text) return { ok: true, value: () => true };
  const allowed = [...COMMON_FIELDS, ...(FIELDS[kind] ?? [])];
  const terms: Array<{ field: string; value: string; negate: boolean }> = [];
  for (const part of splitTopLevel(text)) {
    const m = /^([^=!]+?)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) return { ok: false, message: `invalid selector: '${text}'; can't understand '${part}'` };
    const field = (m[1] as string).trim();
    if (!allowed.includes(field)) return { ok: false, message: `field label not supported: ${field}` };
    terms.push({ field, value: (m[3] as string).trim(), negate: m[2] === '!=' });
  }
  return { ok: true, value: (obj) => terms.every((t) => (fieldValue(obj, t.field) === t.value) !== t.negate) };
}
