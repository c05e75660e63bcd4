/**
 * The garbage collector, the namespace controller and the PVC protection
 * controller: dependents whose owners are all gone are deleted (background
 * propagation); a Foreground deletion finishes once the dependents are gone; a
 * terminating namespace is emptied, then removed; a PVC being deleted goes once
 * no pod uses it.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone } from '../util.ts';
import { CONTROLLER_MANAGER, type ControllerContext } from './common.ts';

export function collectGarbage(ctx: ControllerContext): void {
  const store = ctx.registry.store;
  for (const obj of store.all()) {
    const refs = obj.metadata.ownerReferences ?? [];
    if (refs.length === 0 || obj.metadata.deletionTimestamp) continue;
    const owners = refs.map((r) => store.byUid(r.uid));
    if (owners.some((o) => o?.metadata.deletionTimestamp && o.metadata.finalizers?.includes('foregroundDeletion'))) {
      ctx.deleter.deleteObject(obj, 'Foreground');
    } else if (owners.every((o) => o === undefined)) {
      ctx.deleter.deleteObject(obj, 'Background');
    } else if (owners.some((o) => o === undefined)) {
      const next = clone(obj);
      next.metadata.ownerReferences = refs.filter((_, i) => owners[i] !== undefined);
      ctx.registry.updateInternal(next, CONTROLLER_MANAGER);
    }
  }
  for (const obj of store.all()) {
    if (!obj.metadata.deletionTimestamp || !obj.metadata.finalizers?.includes('foregroundDeletion')) continue;
    if (ctx.deleter.dependentsOf(obj.metadata.uid).length === 0) dropFinalizer(ctx, obj, 'foregroundDeletion');
  }
  terminateNamespaces(ctx);
  releaseClaims(ctx);
}

function dropFinalizer(ctx: ControllerContext, obj: KubeObject, finalizer: string): void {
  const next = clone(obj);
  next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
  if (next.metadata.finalizers.length === 0) ctx.deleter.removeNow(obj);
  else ctx.registry.updateInternal(next, CONTROLLER_MANAGER);
}

function terminateNamespaces(ctx: ControllerContext): void {
  const store = ctx.registry.store;
  for (const ns of store.list('Namespace')) {
    if (!ns.metadata.deletionTimestamp) continue;
    const contents = store.all().filter((o) => o.metadata.namespace === ns.metadata.name);
    // As the namespace controller does: everything in it is deleted the ordinary way (pods with
    // their grace period), and what holds a finalizer stays until its finalizer is released.
    for (const obj of contents) {
      if (!obj.metadata.deletionTimestamp) ctx.deleter.deleteObject(obj, 'Background');
      else if (obj.kind !== 'Pod' && (obj.metadata.finalizers ?? []).length === 0) ctx.deleter.removeNow(obj);
    }
    if (contents.length === 0) ctx.deleter.removeNow(ns);
  }
}

function releaseClaims(ctx: ControllerContext): void {
  const store = ctx.registry.store;
  for (const pvc of store.list('PersistentVolumeClaim')) {
    if (!pvc.metadata.deletionTimestamp || !pvc.metadata.finalizers?.includes('kubernetes.io/pvc-protection')) continue;
    const used = store.list('Pod', pvc.metadata.namespace).some((p) => (p.spec?.volumes ?? [])
      .some((v: Json) => v.persistentVolumeClaim?.claimName === pvc.metadata.name));
    if (!used) dropFinalizer(ctx, pvc, 'kubernetes.io/pvc-protection');
  }
}

/** The PV controller with a dynamic provisioner: a pending claim is bound to a new volume of the size asked. */
export function bindClaims(ctx: ControllerContext): void {
  for (const pvc of ctx.registry.store.list('PersistentVolumeClaim')) {
    if (pvc.status?.phase !== 'Pending' || pvc.metadata.deletionTimestamp) continue;
    const bound = clone(pvc);
    bound.spec.volumeName = `pvc-${pvc.metadata.uid}`;
    bound.metadata.annotations = {
      ...bound.metadata.annotations,
      'pv.kubernetes.io/bind-completed': 'yes',
      'pv.kubernetes.io/bound-by-controller': 'yes',
      'volume.beta.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
      'volume.kubernetes.io/storage-provisioner': 'rancher.io/local-path',
    };
    const saved = ctx.registry.updateInternal(bound, CONTROLLER_MANAGER);
    if (!saved) continue;
    const status = {
      phase: 'Bound',
      accessModes: clone(pvc.spec?.accessModes ?? []),
      capacity: { storage: pvc.spec?.resources?.requests?.storage },
    };
    ctx.registry.updateInternal({ ...clone(saved), status }, CONTROLLER_MANAGER, 'status');
  }
}
