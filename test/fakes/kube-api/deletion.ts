/**
 * DELETE as the API server and garbage collector see it: preconditions,
 * propagation policies (Orphan takes the ownerReferences off dependents,
 * Foreground waits for them, Background leaves them to the garbage collector),
 * graceful pod deletion, finalizers, and namespaces that terminate.
 */
import type { Registry } from './registry.ts';
import type { ResourceInfo } from './resources.ts';
import { conflict, deleted, fail, notFound } from './status.ts';
import type { ApiResult, Json, KubeObject } from './types.ts';
import { clone, timestamp } from './util.ts';

export type PropagationPolicy = 'Orphan' | 'Background' | 'Foreground';

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun: boolean;
}

const JOB_ORPHAN_WARNING = '299 - "child pods are preserved by default when jobs are deleted; set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"';

export class Deleter {
  constructor(private readonly registry: Registry) {}

  private get store() {
    return this.registry.store;
  }

  dependentsOf(uid: string): KubeObject[] {
    return this.store.all().filter((o) => (o.metadata.ownerReferences ?? []).some((r) => r.uid === uid));
  }

  delete(info: ResourceInfo, namespace: string | null, name: string, options: DeleteOptions): ApiResult<Json> {
    const existing = this.store.get(info.kind, namespace, name);
    if (!existing) return fail(notFound(info, name));
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== existing.metadata.uid) {
      return fail(conflict(info, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${existing.metadata.uid}`));
    }
    if (pre.resourceVersion && pre.resourceVersion !== existing.metadata.resourceVersion) {
      return fail(conflict(info, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${existing.metadata.resourceVersion}`));
    }
    // batch/v1 Jobs keep their pods unless told otherwise, for compatibility.
    const defaulted = options.propagationPolicy === undefined && info.kind === 'Job';
    const policy = options.propagationPolicy ?? (defaulted ? 'Orphan' : 'Background');
    const warnings = defaulted ? [JOB_ORPHAN_WARNING] : [];
    if (options.dryRun) return { ok: true, value: existing, code: 200, warnings };

    if (existing.metadata.deletionTimestamp) {
      if (info.kind === 'Pod' && options.gracePeriodSeconds === 0) return { ok: true, value: this.removeNow(existing), code: 200 };
      return { ok: true, value: existing, code: 200, warnings };
    }
    if (policy === 'Orphan') this.orphanDependents(existing);
    const value = this.deleteObject(existing, policy, options.gracePeriodSeconds);
    return { ok: true, value: value ?? deleted(info, name, existing.metadata.uid), code: 200, warnings };
  }

  /**
   * Deletes or starts deleting `obj`; returns what DELETE answers with when it is
   * an object (a pod, a namespace, or anything not gone at once), else undefined.
   */
  deleteObject(obj: KubeObject, policy: PropagationPolicy, gracePeriodSeconds?: number): KubeObject | undefined {
    const now = this.registry.clock.now();
    if (obj.kind === 'Namespace') {
      return this.markDeleting(obj, { status: { ...obj.status, phase: 'Terminating' } });
    }
    if (policy === 'Foreground' && this.dependentsOf(obj.metadata.uid).length > 0) {
      return this.markDeleting(obj, { finalizers: [...(obj.metadata.finalizers ?? []), 'foregroundDeletion'] });
    }
    if ((obj.metadata.finalizers ?? []).length > 0) return this.markDeleting(obj, {});
    if (obj.kind === 'Pod') {
      const grace = gracePeriodSeconds ?? obj.spec?.terminationGracePeriodSeconds ?? 30;
      const running = obj.spec?.nodeName && !['Succeeded', 'Failed'].includes(obj.status?.phase);
      if (grace > 0 && running) {
        return this.markDeleting(obj, { deletionGracePeriodSeconds: grace, deletionTimestamp: timestamp(now + grace * 1000) });
      }
      return this.removeNow(obj);
    }
    this.removeNow(obj);
    return undefined;
  }

  removeNow(obj: KubeObject): KubeObject {
    return this.store.remove(obj) ?? obj;
  }

  /** What the garbage collector does for an Orphan deletion: dependents lose the ownerReference. */
  orphanDependents(owner: KubeObject): void {
    for (const dependent of this.dependentsOf(owner.metadata.uid)) {
      const next = clone(dependent);
      next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
      if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
      this.registry.updateInternal(next, 'kube-controller-manager');
    }
  }

  private markDeleting(obj: KubeObject, change: { finalizers?: string[]; status?: Json; deletionGracePeriodSeconds?: number; deletionTimestamp?: string }): KubeObject {
    const next = clone(obj);
    next.metadata.deletionTimestamp = change.deletionTimestamp ?? timestamp(this.registry.clock.now());
    next.metadata.deletionGracePeriodSeconds = change.deletionGracePeriodSeconds ?? 0;
    if (change.finalizers) next.metadata.finalizers = change.finalizers;
    if (change.status) next.status = change.status;
    if (next.metadata.generation !== undefined) next.metadata.generation += 1;
    return this.store.write(next);
  }
}
