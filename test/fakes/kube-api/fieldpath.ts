/**
 * Field sets in the API's fieldsV1 encoding, for managedFields and server-side
 * apply: which fields a document sets, where a path points in an object, and how
 * a path is written in a conflict message.
 *
 * Lists are associative (merged by key) or atomic, as the Kubernetes OpenAPI
 * schema marks them; the table below covers the lists of the kinds the fake
 * serves. Every other list is atomic.
 */
import type { FieldTree, Json } from './types.ts';
import { isPlainObject } from './util.ts';

export type FieldPath = string[];

const CONTAINER_LISTS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

const KEYED_LISTS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  env: ['name'],
  volumes: ['name'],
  volumeMounts: ['mountPath'],
  volumeDevices: ['devicePath'],
  imagePullSecrets: ['name'],
  hostAliases: ['ip'],
  ownerReferences: ['uid'],
  conditions: ['type'],
  topologySpreadConstraints: ['topologyKey', 'whenUnsatisfiable'],
  resourceClaims: ['name'],
  schedulingGates: ['name'],
};

/** The key fields of the list at the end of `fieldNames`, or null for an atomic list. */
export function listKeys(fieldNames: readonly string[]): string[] | null {
  const field = fieldNames.at(-1);
  if (field === 'ports') {
    if (CONTAINER_LISTS.has(fieldNames.at(-2) ?? '')) return ['containerPort', 'protocol'];
    if (fieldNames.length === 2 && fieldNames[0] === 'spec') return ['port', 'protocol'];
    return null;
  }
  return field === undefined ? null : KEYED_LISTS[field] ?? null;
}

/** Key values of a list item, with the defaults the API applies to key fields (protocol TCP). */
function keyValues(item: Json, keys: string[]): Record<string, Json> {
  const values: Record<string, Json> = {};
  for (const key of [...keys].sort()) {
    const value = item?.[key] ?? (key === 'protocol' ? 'TCP' : undefined);
    if (value !== undefined) values[key] = value;
  }
  return values;
}

export function keyElement(item: Json, keys: string[]): string {
  return `k:${JSON.stringify(keyValues(item, keys))}`;
}

/** The fields a document sets, as a fieldsV1 tree. `null` values are no opinion and skipped. */
export function fieldsOf(doc: Json, names: readonly string[] = []): FieldTree {
  const tree: FieldTree = {};
  if (!isPlainObject(doc)) return tree;
  for (const [field, value] of Object.entries(doc)) {
    if (value === undefined || value === null) continue;
    const path = [...names, field];
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      tree[`f:${field}`] = fieldsOf(value, path);
    } else if (Array.isArray(value) && value.length > 0 && listKeys(path)) {
      const keys = listKeys(path) as string[];
      const items: FieldTree = {};
      for (const item of value) items[keyElement(item, keys)] = { '.': {}, ...fieldsOf(item, path) };
      tree[`f:${field}`] = items;
    } else {
      tree[`f:${field}`] = {};
    }
  }
  return tree;
}

/** The tree with its elements in order, as the API server serialises field sets. */
export function sortedTree(tree: FieldTree): FieldTree {
  return Object.fromEntries(Object.keys(tree).sort().map((k) => [k, sortedTree(tree[k] as FieldTree)]));
}

export function leafPaths(tree: FieldTree, prefix: FieldPath = []): FieldPath[] {
  const paths: FieldPath[] = [];
  for (const [element, sub] of Object.entries(tree)) {
    const path = [...prefix, element];
    if (Object.keys(sub).length === 0) paths.push(path);
    else paths.push(...leafPaths(sub, path));
  }
  return paths;
}

export function treeOf(paths: FieldPath[]): FieldTree {
  const tree: FieldTree = {};
  for (const path of paths) {
    let node = tree;
    for (const element of path) node = node[element] ??= {};
  }
  return tree;
}

export const pathKey = (path: FieldPath): string => JSON.stringify(path);

export function pathSet(tree: FieldTree): Set<string> {
  return new Set(leafPaths(tree).map(pathKey));
}

/** Whether `tree` holds `path` or anything below it. */
export function ownsWithin(tree: FieldTree, path: FieldPath): boolean {
  const within = path.at(-1) === '.' ? path.slice(0, -1) : path;
  let node: FieldTree | undefined = tree;
  for (const element of within) {
    node = node[element];
    if (!node) return false;
  }
  return true;
}

export function removePaths(tree: FieldTree, remove: Set<string>): FieldTree {
  return treeOf(leafPaths(tree).filter((p) => !remove.has(pathKey(p))));
}

function findItem(list: Json[], element: string): number {
  const wanted = JSON.parse(element.slice(2)) as Record<string, Json>;
  const keys = Object.keys(wanted);
  return list.findIndex((item) => JSON.stringify(keyValues(item, keys)) === JSON.stringify(wanted));
}

/** The value at `path` in `doc`, or undefined. */
export function valueAt(doc: Json, path: FieldPath): Json {
  let value: Json = doc;
  for (const element of path) {
    if (value === undefined || value === null) return undefined;
    if (element === '.') continue;
    if (element.startsWith('f:')) value = isPlainObject(value) ? value[element.slice(2)] : undefined;
    else if (element.startsWith('k:')) value = Array.isArray(value) ? value[findItem(value, element)] : undefined;
    else return undefined;
  }
  return value;
}

/** Removes the field (or, for a path ending in `.`, the list item) at `path` from `doc` in place. */
export function removeAt(doc: Json, path: FieldPath): void {
  const target = path.at(-1) === '.' ? path.slice(0, -1) : path;
  const last = target.at(-1);
  const parent = valueAt(doc, target.slice(0, -1));
  if (!last || parent === undefined || parent === null) return;
  if (last.startsWith('f:') && isPlainObject(parent)) delete parent[last.slice(2)];
  if (last.startsWith('k:') && Array.isArray(parent)) {
    const index = findItem(parent, last);
    if (index >= 0) parent.splice(index, 1);
  }
}

/** `.spec.template.spec.containers[name="web"].image`, as conflict messages write paths. */
export function pathString(path: FieldPath): string {
  let text = '';
  for (const element of path) {
    if (element.startsWith('f:')) text += `.${element.slice(2)}`;
    if (element.startsWith('k:')) {
      const values = JSON.parse(element.slice(2)) as Record<string, Json>;
      text += `[${Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`;
    }
  }
  return text;
}
