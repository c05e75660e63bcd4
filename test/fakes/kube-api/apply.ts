/**
 * Server-side apply (`Content-Type: application/apply-patch+yaml`), as the API
 * server's structured-merge-diff does it for the fields Hoist sends:
 *
 * - the applied configuration is merged into the live object (maps by field,
 *   associative lists by key, atomic lists and scalars replaced);
 * - fields the manager applied before and leaves out now are removed, unless
 *   another manager owns them too;
 * - changing a field another manager owns is a conflict (409) unless `force`,
 *   which takes the field over; applying the same value shares ownership;
 * - the manager's managedFields entry (`operation: Apply`) becomes exactly the
 *   applied set.
 */
import {
  fieldsOf, keyElement, leafPaths, listKeys, ownsWithin, pathKey, pathSet, pathString, removeAt, removePaths, valueAt,
  type FieldPath,
} from './fieldpath.ts';
import { entryFor, isWriter, trackedView, withEntry, type Subresource, type Writer } from './managed-fields.ts';
import { failure } from './status.ts';
import type { Json, KubeObject, ManagedFieldsEntry, StatusBody } from './types.ts';
import { clone, deepEqual, isPlainObject } from './util.ts';

export interface ApplyRequest {
  manager: string;
  subresource: Subresource;
  force: boolean;
  apiVersion: string;
  time: string;
  hasStatus: boolean;
}

export type ApplyOutcome = { ok: true; object: KubeObject } | { ok: false; status: StatusBody };

interface Conflict {
  entry: ManagedFieldsEntry;
  path: FieldPath;
}

function merge(live: Json, applied: Json, names: string[]): Json {
  if (isPlainObject(applied)) {
    const base: Record<string, Json> = isPlainObject(live) ? { ...live } : {};
    for (const [field, value] of Object.entries(applied)) {
      if (value === null || value === undefined) continue;
      base[field] = merge(base[field], value, [...names, field]);
    }
    return base;
  }
  const keys = listKeys(names);
  if (Array.isArray(applied) && keys && Array.isArray(live)) {
    const appliedKeys = new Set(applied.map((item) => keyElement(item, keys)));
    const merged = applied.map((item) => {
      const match = live.find((l) => keyElement(l, keys) === keyElement(item, keys));
      return match === undefined ? clone(item) : merge(match, item, names);
    });
    return [...merged, ...live.filter((l) => !appliedKeys.has(keyElement(l, keys)))];
  }
  return clone(applied);
}

function findConflicts(entries: ManagedFieldsEntry[], writer: Writer, liveView: Json, appliedView: Json): Conflict[] {
  const conflicts: Conflict[] = [];
  const paths = leafPaths(fieldsOf(appliedView)).filter((p) => p.at(-1) !== '.');
  for (const entry of entries) {
    if (isWriter(entry, writer)) continue;
    const owned = pathSet(entry.fieldsV1);
    for (const path of paths) {
      if (owned.has(pathKey(path)) && !deepEqual(valueAt(liveView, path), valueAt(appliedView, path))) {
        conflicts.push({ entry, path });
      }
    }
  }
  return conflicts;
}

function describe(entry: ManagedFieldsEntry): string {
  const sub = entry.subresource ? ` with subresource "${entry.subresource}"` : '';
  return `"${entry.manager}"${sub} using ${entry.apiVersion}`;
}

/** The 409 the API server answers, e.g. `Apply failed with 1 conflict: conflict with "kubectl" using apps/v1: .spec.replicas`. */
function conflictStatus(conflicts: Conflict[]): StatusBody {
  const byManager = new Map<string, string[]>();
  for (const c of conflicts) byManager.set(describe(c.entry), [...(byManager.get(describe(c.entry)) ?? []), pathString(c.path)]);
  const parts = [...byManager].map(([who, paths]) => (paths.length === 1
    ? `conflict with ${who}: ${paths[0]}`
    : `conflicts with ${who}:\n${paths.map((p) => `- ${p}`).join('\n')}`));
  const n = conflicts.length;
  return failure(409, 'Conflict', `Apply failed with ${n} conflict${n === 1 ? '' : 's'}: ${parts.join('\n')}`, {
    causes: conflicts.map((c) => ({ type: 'FieldManagerConflict', message: `conflict with ${describe(c.entry)}`, field: pathString(c.path) })),
  });
}

/** Writes a tracked view back into an object: the fields a write through `subresource` manages. */
function replaceTracked(base: KubeObject, view: Json, subresource: Subresource, hasStatus: boolean): KubeObject {
  if (subresource === 'status') return { ...clone(base), status: clone(view.status) };
  if (subresource === 'scale') return { ...clone(base), spec: { ...clone(base.spec), replicas: view.spec?.replicas } };
  const result: KubeObject = { apiVersion: base.apiVersion, kind: base.kind, metadata: clone(base.metadata) };
  if (hasStatus && base.status !== undefined) result.status = clone(base.status);
  for (const field of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) {
    if (view.metadata?.[field] !== undefined) result.metadata[field] = clone(view.metadata[field]);
    else delete result.metadata[field];
  }
  for (const [field, value] of Object.entries(view as Record<string, Json>)) {
    if (field !== 'metadata') result[field] = clone(value);
  }
  return result;
}

/**
 * The object after applying `applied` to `live` (for a create, a skeleton with
 * only apiVersion, kind and metadata), with managedFields updated; not yet
 * defaulted, validated or stored.
 */
export function applyConfiguration(live: KubeObject, applied: Json, request: ApplyRequest): ApplyOutcome {
  const writer: Writer = { manager: request.manager, operation: 'Apply', subresource: request.subresource };
  const liveView = trackedView(live, request.subresource, request.hasStatus);
  const appliedView = trackedView(applied, request.subresource, request.hasStatus);
  let entries = clone(live.metadata.managedFields ?? []);

  const conflicts = findConflicts(entries, writer, liveView, appliedView);
  if (conflicts.length > 0 && !request.force) return { ok: false, status: conflictStatus(conflicts) };
  entries = entries.map((e) => {
    const taken = conflicts.filter((c) => c.entry === e).map((c) => pathKey(c.path));
    return taken.length === 0 ? e : { ...e, fieldsV1: removePaths(e.fieldsV1, new Set(taken)) };
  });

  const merged = merge(liveView, appliedView, []);
  const appliedTree = fieldsOf(appliedView);
  const previous = entries.find((e) => isWriter(e, writer));
  if (previous) {
    const now = pathSet(appliedTree);
    const dropped = leafPaths(previous.fieldsV1).filter((p) => !now.has(pathKey(p)))
      .sort((a, b) => b.length - a.length);
    const others = entries.filter((e) => !isWriter(e, writer));
    for (const path of dropped) {
      if (!others.some((e) => ownsWithin(e.fieldsV1, path))) removeAt(merged, path);
    }
  }

  const object = replaceTracked(live, merged, request.subresource, request.hasStatus);
  object.metadata.managedFields = withEntry(entries, writer, entryFor(writer, request.apiVersion, request.time, appliedTree));
  return { ok: true, object };
}
