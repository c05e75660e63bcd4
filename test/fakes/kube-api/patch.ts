/**
 * The three classic patch types: JSON merge patch (RFC 7386), strategic merge
 * patch (merge patch whose keyed lists, such as containers by name, merge by
 * key; with `$patch: delete|replace`), and JSON patch (RFC 6902).
 */
import { keyElement, listKeys } from './fieldpath.ts';
import type { Json } from './types.ts';
import { clone, deepEqual, isPlainObject } from './util.ts';

export type PatchOutcome = { ok: true; value: Json } | { ok: false; message: string };

export function mergePatch(target: Json, patch: Json): Json {
  if (!isPlainObject(patch)) return clone(patch);
  const result: Record<string, Json> = isPlainObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (value === null) delete result[field];
    else result[field] = mergePatch(result[field], value);
  }
  return result;
}

/** A new list item or map from a strategic patch, without its `$` directives. */
function withoutDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutDirectives);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([k]) => !k.startsWith('$')).map(([k, v]) => [k, withoutDirectives(v)]));
}

function mergeKeyedList(live: Json[], patch: Json[], keys: string[], path: string[]): Json[] {
  const list = [...live];
  for (const item of patch) {
    const index = list.findIndex((l) => keyElement(l, keys) === keyElement(item, keys));
    if (isPlainObject(item) && item.$patch === 'delete') {
      if (index >= 0) list.splice(index, 1);
    } else if (index >= 0) {
      list[index] = strategicMergePatch(list[index], item, path);
    } else {
      list.push(withoutDirectives(item));
    }
  }
  return list;
}

export function strategicMergePatch(target: Json, patch: Json, names: string[] = []): Json {
  if (!isPlainObject(patch)) return clone(patch);
  if (patch.$patch === 'replace') return withoutDirectives(patch);
  const result: Record<string, Json> = isPlainObject(target) ? { ...target } : {};
  for (const [field, value] of Object.entries(patch)) {
    if (field.startsWith('$deleteFromPrimitiveList/')) {
      const list = field.slice('$deleteFromPrimitiveList/'.length);
      if (Array.isArray(result[list])) result[list] = result[list].filter((v: Json) => !(value as Json[]).includes(v));
      continue;
    }
    if (field.startsWith('$')) continue;
    const path = [...names, field];
    const keys = listKeys(path);
    if (value === null) delete result[field];
    else if (Array.isArray(value) && keys && Array.isArray(result[field])) result[field] = mergeKeyedList(result[field], value, keys, path);
    else if (isPlainObject(value) && value.$patch === 'delete') delete result[field];
    else if (isPlainObject(value)) result[field] = strategicMergePatch(result[field], value, path);
    else result[field] = withoutDirectives(value);
  }
  return result;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function pointer(path: string): string[] | null {
  if (path === '') return [];
  if (!path.startsWith('/')) return null;
  return path.slice(1).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, parts: string[]): Json {
  let node: Json = doc;
  for (const part of parts.slice(0, -1)) {
    node = Array.isArray(node) ? node[Number(part)] : isPlainObject(node) ? node[part] : undefined;
  }
  return node;
}

function has(container: Json, key: string): boolean {
  if (Array.isArray(container)) return /^\d+$/.test(key) && Number(key) < container.length;
  return isPlainObject(container) && Object.hasOwn(container, key);
}

function step(doc: Json, op: Operation): PatchOutcome {
  const parts = pointer(op.path);
  if (!parts || parts.length === 0) return { ok: false, message: `invalid path: ${JSON.stringify(op.path)}` };
  const parent = parentOf(doc, parts);
  const key = parts.at(-1) as string;
  const missing = () => ({ ok: false as const, message: `jsonpatch ${op.op} operation does not apply: doc is missing path: "${op.path}"` });
  switch (op.op) {
    case 'add': {
      if (Array.isArray(parent)) {
        const index = key === '-' ? parent.length : Number(key);
        if (!(index >= 0 && index <= parent.length)) return missing();
        parent.splice(index, 0, clone(op.value));
      } else if (isPlainObject(parent)) parent[key] = clone(op.value);
      else return missing();
      return { ok: true, value: doc };
    }
    case 'remove':
    case 'replace': {
      if (!has(parent, key)) return missing();
      if (op.op === 'replace') parent[Array.isArray(parent) ? Number(key) : key] = clone(op.value);
      else if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return { ok: true, value: doc };
    }
    case 'test': {
      if (!has(parent, key) || !deepEqual(parent[Array.isArray(parent) ? Number(key) : key], op.value)) {
        return { ok: false, message: `testing value ${op.path} failed: test failed` };
      }
      return { ok: true, value: doc };
    }
    case 'move':
    case 'copy': {
      const from = pointer(op.from ?? '');
      const source = from && from.length > 0 ? parentOf(doc, from) : undefined;
      const fromKey = from?.at(-1) ?? '';
      if (!from || !has(source, fromKey)) return { ok: false, message: `jsonpatch ${op.op} operation does not apply: doc is missing from path: "${op.from}"` };
      const value = clone(source[Array.isArray(source) ? Number(fromKey) : fromKey]);
      if (op.op === 'move') {
        const removed = step(doc, { op: 'remove', path: op.from as string });
        if (!removed.ok) return removed;
      }
      return step(doc, { op: 'add', path: op.path, value });
    }
    default:
      return { ok: false, message: `Unexpected kind: ${op.op}` };
  }
}

export function jsonPatch(target: Json, operations: Json): PatchOutcome {
  if (!Array.isArray(operations)) return { ok: false, message: 'json: cannot unmarshal object into Go value of type jsonpatch.Patch' };
  let doc = clone(target);
  for (const op of operations as Operation[]) {
    const result = step(doc, op);
    if (!result.ok) return result;
    doc = result.value;
  }
  return { ok: true, value: doc };
}
