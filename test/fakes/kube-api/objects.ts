/**
 * The one path every write takes, from a client or a controller: identity kept,
 * defaults filled, validation, metadata.generation, managedFields, no-op
 * detection, then the store.
 */
import type { FakeClock } from './clock.ts';
import { applyDefaults, keepAllocated, type Allocators } from './defaults.ts';
import { recordUpdate, trackedView, withoutTimes, type Writer } from './managed-fields.ts';
import { apiVersionOf, type ResourceInfo } from './resources.ts';
import { conflict, fail, invalid } from './status.ts';
import type { Store } from './store.ts';
import type { ApiResult, KubeObject, ManagedFieldsEntry } from './types.ts';
import { clone, deepEqual, timestamp } from './util.ts';
import { validate } from './validate.ts';

export interface CommitOptions {
  writer: Writer;
  /** managedFields already worked out (server-side apply); otherwise the write is recorded as an Update. */
  managedFields?: ManagedFieldsEntry[];
  /** API requests are validated; controllers' own writes are trusted. */
  validate: boolean;
  dryRun: boolean;
}

const META_ORDER = [
  'name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
];

/** Fields in the order the API server writes them: apiVersion, kind, metadata, then the rest. */
function inApiOrder(obj: KubeObject): KubeObject {
  const metadata = Object.fromEntries([
    ...META_ORDER.filter((k) => k in obj.metadata).map((k) => [k, (obj.metadata as unknown as Record<string, unknown>)[k]]),
    ...Object.entries(obj.metadata).filter(([k]) => !META_ORDER.includes(k)),
  ]) as unknown as KubeObject['metadata'];
  const { apiVersion, kind, metadata: _metadata, spec, status, ...rest } = obj;
  return { apiVersion, kind, metadata, ...rest, ...(spec === undefined ? {} : { spec }), ...(status === undefined ? {} : { status }) };
}

export class ObjectWriter {
  constructor(
    private readonly store: Store,
    private readonly clock: FakeClock,
    private readonly allocators: Allocators,
  ) {}

  now(): string {
    return timestamp(this.clock.now());
  }

  /**
   * Stores `candidate` as the new state of `existing` (undefined: a create).
   * `candidate` is the writer's document before defaulting: the fields an Update
   * takes ownership of are the ones it changed itself.
   */
  commit(info: ResourceInfo, existing: KubeObject | undefined, candidate: KubeObject, options: CommitOptions): ApiResult {
    const next = clone(candidate);
    const sub = options.writer.subresource;
    if (existing) {
      const sent = next.metadata.resourceVersion;
      if (sent && sent !== existing.metadata.resourceVersion) return fail(conflict(info, existing.metadata.name));
      if (next.metadata.uid && next.metadata.uid !== existing.metadata.uid) {
        return fail(conflict(info, existing.metadata.name, `Precondition failed: UID in precondition: ${next.metadata.uid}, UID in object meta: ${existing.metadata.uid}`));
      }
      for (const field of ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'name', 'namespace'] as const) {
        if (existing.metadata[field] === undefined) delete next.metadata[field];
        else (next.metadata as unknown as Record<string, unknown>)[field] = existing.metadata[field];
      }
      if (sub === 'main' && info.hasStatus) next.status = clone(existing.status);
    }
    next.apiVersion = apiVersionOf(info);
    next.kind = info.kind;
    next.metadata.managedFields = options.managedFields ?? recordUpdate(
      clone(existing?.metadata.managedFields ?? []),
      existing ? trackedView(existing, sub, info.hasStatus) : undefined,
      trackedView(candidate, sub, info.hasStatus),
      options.writer, apiVersionOf(info), this.now(),
    );
    if (next.metadata.managedFields.length === 0) delete next.metadata.managedFields;
    if (existing) keepAllocated(existing, next);
    applyDefaults(next, this.allocators);

    if (options.validate && sub === 'main') {
      const errors = validate(next, existing);
      if (errors.length > 0) return fail(invalid(info, next.metadata.name ?? '', errors));
    }
    if (info.tracksGeneration) {
      next.metadata.generation = existing
        ? (existing.metadata.generation ?? 1) + (deepEqual(existing.spec, next.spec) ? 0 : 1)
        : 1;
    }
    if (existing && this.unchanged(existing, next)) return { ok: true, value: existing, code: 200 };
    if (options.dryRun) {
      if (existing) next.metadata.resourceVersion = existing.metadata.resourceVersion;
      else delete (next.metadata as Partial<KubeObject['metadata']>).resourceVersion;
      return { ok: true, value: next, code: existing ? 200 : 201 };
    }
    next.metadata.resourceVersion = '';
    const stored = this.store.write(inApiOrder(next));
    // Taking the last finalizer off an object being deleted completes the deletion.
    if (stored.metadata.deletionTimestamp && (stored.metadata.finalizers ?? []).length === 0 && stored.kind !== 'Pod' && stored.kind !== 'Namespace') {
      this.store.remove(stored);
    }
    return { ok: true, value: stored, code: existing ? 200 : 201 };
  }

  private unchanged(existing: KubeObject, next: KubeObject): boolean {
    const comparable = (o: KubeObject) => ({
      ...o,
      metadata: { ...o.metadata, resourceVersion: '', managedFields: withoutTimes(o.metadata.managedFields) },
    });
    return deepEqual(comparable(existing), comparable(next));
  }
}
