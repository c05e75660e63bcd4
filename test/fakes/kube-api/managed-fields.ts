/**
 * metadata.managedFields: who owns which fields. Writes that are not server-side
 * apply (create, PUT, merge/strategic/JSON patches, controllers' status writes)
 * are recorded as `operation: Update`: the writer takes the fields it changed
 * away from everyone else, as the API server's field manager does.
 */
import { fieldsOf, leafPaths, pathKey, removePaths, sortedTree, treeOf, valueAt, type FieldPath } from './fieldpath.ts';
import type { FieldTree, Json, ManagedFieldsEntry } from './types.ts';
import { deepEqual, isPlainObject } from './util.ts';

/** Which part of an object a write goes through. */
export type Subresource = 'main' | 'status' | 'scale';

export interface Writer {
  manager: string;
  operation: 'Apply' | 'Update';
  subresource: Subresource;
}

const TRACKED_METADATA = ['labels', 'annotations', 'ownerReferences', 'finalizers'];

/** The fields of `obj` a write through `subresource` manages (identity, status and bookkeeping left out). */
export function trackedView(obj: Json, subresource: Subresource, hasStatus: boolean): Json {
  if (subresource === 'status') return obj?.status === undefined ? {} : { status: obj.status };
  if (subresource === 'scale') return obj?.spec?.replicas === undefined ? {} : { spec: { replicas: obj.spec.replicas } };
  const view: Record<string, Json> = {};
  for (const [field, value] of Object.entries((obj ?? {}) as Record<string, Json>)) {
    if (field === 'apiVersion' || field === 'kind' || field === 'metadata') continue;
    if (field === 'status' && hasStatus) continue;
    view[field] = value;
  }
  const meta: Record<string, Json> = {};
  for (const field of TRACKED_METADATA) {
    if (obj?.metadata?.[field] !== undefined) meta[field] = obj.metadata[field];
  }
  if (Object.keys(meta).length > 0) view.metadata = meta;
  return view;
}

export function isWriter(entry: ManagedFieldsEntry, writer: Writer): boolean {
  const sub = writer.subresource === 'main' ? undefined : writer.subresource;
  return entry.manager === writer.manager && entry.operation === writer.operation && entry.subresource === sub;
}

export function entryFor(writer: Writer, apiVersion: string, time: string, fields: FieldTree): ManagedFieldsEntry {
  return {
    manager: writer.manager, operation: writer.operation, apiVersion, time, fieldsType: 'FieldsV1', fieldsV1: sortedTree(fields),
    ...(writer.subresource === 'main' ? {} : { subresource: writer.subresource }),
  };
}

/** Puts the writer's entry in place (or appends it) and drops entries left owning nothing. */
export function withEntry(entries: ManagedFieldsEntry[], writer: Writer, entry: ManagedFieldsEntry): ManagedFieldsEntry[] {
  const index = entries.findIndex((e) => isWriter(e, writer));
  const next = index >= 0 ? entries.map((e, i) => (i === index ? entry : e)) : [...entries, entry];
  return next.filter((e) => Object.keys(e.fieldsV1).length > 0);
}

function changedPaths(before: Json, after: Json): { changed: FieldPath[]; removed: FieldPath[] } {
  const changed = leafPaths(fieldsOf(after)).filter((p) => {
    const old = valueAt(before, p);
    const now = valueAt(after, p);
    return p.at(-1) === '.' ? old === undefined : !deepEqual(old, now);
  });
  const removed = leafPaths(fieldsOf(before)).filter((p) => valueAt(after, p) === undefined);
  return { changed, removed };
}

/**
 * managedFields after an Update-style write that turned `before` into `after`
 * (both tracked views). Returns the entries unchanged when nothing changed.
 */
export function recordUpdate(
  entries: ManagedFieldsEntry[], before: Json, after: Json, writer: Writer, apiVersion: string, time: string,
): ManagedFieldsEntry[] {
  const { changed, removed } = changedPaths(isPlainObject(before) ? before : {}, after);
  if (changed.length === 0 && removed.length === 0) return entries;
  const taken = new Set([...changed, ...removed].map(pathKey));
  const others = entries.map((e) => (isWriter(e, writer) ? e : { ...e, fieldsV1: removePaths(e.fieldsV1, taken) }));
  const own = entries.find((e) => isWriter(e, writer));
  const gone = new Set(removed.map(pathKey));
  const ownPaths = [...(own ? leafPaths(own.fieldsV1) : []), ...changed].filter((p) => !gone.has(pathKey(p)));
  const unique = [...new Map(ownPaths.map((p) => [pathKey(p), p])).values()];
  return withEntry(others, writer, entryFor(writer, apiVersion, time, treeOf(unique)));
}

/** managedFields with their timestamps blanked: a write that changes only times is no change. */
export function withoutTimes(entries: ManagedFieldsEntry[] | undefined): Json {
  return (entries ?? []).map((e) => ({ ...e, time: '' }));
}
