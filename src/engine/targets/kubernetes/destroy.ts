import type { Outcome, ServiceRequest } from '../../ports.ts';
import { KubeError } from './client.ts';
import { errorMessage, reflect, stopAll, type TargetContext } from './context.ts';
import { LABELS, MANAGER, selectorLabels, selectorString } from './labels.ts';
import { DATA_VOLUME } from './render.ts';
import { waitUntil } from './watch.ts';

const KINDS = ['CronJob', 'Job', 'Deployment', 'StatefulSet', 'Service'] as const;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The names a StatefulSet's controller gives the claims of its volumeClaimTemplates:
 * `<template>-<statefulset>-<ordinal>`.
 */
export function claimPattern(templates: readonly string[], statefulSet: string): RegExp {
  return new RegExp(`^(${templates.map(escape).join('|')})-${escape(statefulSet)}-\\d+$`);
}

/**
 * A `destroy` on Kubernetes: the service's workload and Service are deleted, its pods waited
 * out, then the StatefulSet's PersistentVolumeClaims (found by the selector labels the controller
 * copies onto them, and named after its volumeClaimTemplates) are deleted: the data goes too.
 */
export function createDestroy(ctx: TargetContext) {
  const { api } = ctx;

  /** The StatefulSet's claim templates; when it is gone already, the one Hoist renders for a database. */
  async function claimTemplates(namespace: string, request: ServiceRequest): Promise<string[]> {
    const set = await api.get('StatefulSet', namespace, request.service.name);
    const ours = set !== null && set.metadata?.labels?.[LABELS.managedBy] === MANAGER;
    const named = ours ? (set.spec?.volumeClaimTemplates ?? []).map((t) => t.metadata?.name ?? '').filter((n) => n !== '') : [];
    if (named.length > 0) return named;
    return request.service.type === 'database' ? [DATA_VOLUME] : [];
  }

  return async function destroy(request: ServiceRequest): Promise<Outcome<{ removed: string[] }>> {
    const { placement, service, log } = request;
    const namespace = placement.namespace;
    const selector = selectorString(selectorLabels(placement.app, placement.env, service.name));
    const removed: string[] = [];
    try {
      const templates = await claimTemplates(namespace, request);
      const pods = reflect(ctx, 'Pod', namespace, selector);
      try {
        for (const kind of KINDS) {
          for (const item of (await api.list(kind, namespace, { labelSelector: `${selector},${LABELS.managedBy}=${MANAGER}` })).items) {
            const name = item.metadata?.name ?? '';
            if (!(await api.delete(kind, namespace, name))) continue;
            log(`deleted ${kind.toLowerCase()} ${namespace}/${name}`);
            removed.push(`${kind.toLowerCase()} ${name}`);
          }
        }
        // A claim in use is kept until its pod is gone: wait for them, so what follows finds no data left.
        const end = await waitUntil([pods], () => (pods.values.length === 0 ? true : null), { signal: request.signal, timeoutMs: ctx.timing.stopTimeoutMs });
        if (end.kind === 'canceled') return { ok: false, reason: 'destroy canceled', logTail: [] };
        if (end.kind === 'timeout') {
          const left = pods.values.map((p) => p.metadata?.name ?? '').join(', ');
          return { ok: false, reason: `pods of ${service.name} still running after ${Math.round(ctx.timing.stopTimeoutMs / 1000)} s: ${left}`, logTail: [] };
        }
      } finally {
        stopAll([pods]);
      }
      if (templates.length > 0) {
        const pattern = claimPattern(templates, service.name);
        for (const claim of (await api.list('PersistentVolumeClaim', namespace, { labelSelector: selector })).items) {
          const name = claim.metadata?.name ?? '';
          if (!pattern.test(name) || !(await api.delete('PersistentVolumeClaim', namespace, name))) continue;
          log(`deleted persistentvolumeclaim ${namespace}/${name}`);
          removed.push(`persistentvolumeclaim ${name}`);
        }
      }
    } catch (error) {
      if (error instanceof KubeError && error.status >= 400 && error.status < 500) {
        const hint = error.status === 403 ? ` (Hoist's service account needs the Role of deploy/kubernetes/ in namespace ${namespace})` : '';
        return { ok: false, reason: `kubernetes refused it: ${errorMessage(error)}${hint}`, logTail: [] };
      }
      throw error;
    }
    return { ok: true, removed };
  };
}
