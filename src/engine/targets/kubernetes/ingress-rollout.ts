import type { V1Ingress } from '@kubernetes/client-node';
import { deepCopy, reflect, stopAll, type RolloutScope, type TargetContext } from './context.ts';
import { certificateState, ingressAddress, ingressAddresses } from './ingress.ts';
import { selectorString } from './labels.ts';
import { waitUntil } from './watch.ts';

/** How the Ingress step ended (the shape of a watched workload's end, which it continues). */
export type IngressEnd =
  | { kind: 'done' }
  | { kind: 'canceled' }
  | { kind: 'failed'; reason: string; logs: null; objects: { kind: string; name: string }[] };

/** What stands in front of a service's workload: its Ingress, and the one there was before this rollout. */
export interface IngressStep {
  manifest: V1Ingress | null;
  before: V1Ingress | null;
  /** Whether this rollout applied its Ingress (what an undo puts back). */
  applied: boolean;
}

/** Reads what the rollout may have to put back, before anything is applied. */
export async function ingressBefore(ctx: TargetContext, namespace: string, manifest: V1Ingress | null, name: string): Promise<IngressStep> {
  const before = await ctx.api.get('Ingress', namespace, manifest?.metadata?.name ?? name);
  return { manifest, before, applied: false };
}

/**
 * Once the workload is ready: applies the service's Ingress and waits for the load balancer's
 * address and, for a tls host, cert-manager's Certificate Ready (the one its ingress-shim makes
 * for the Ingress's tls secretName, labelled as the Ingress is). A service no longer exposed
 * has its Ingress deleted.
 */
export async function exposeIngress(ctx: TargetContext, scope: RolloutScope, step: IngressStep, selector: Record<string, string>): Promise<IngressEnd> {
  const { namespace, log, signal } = scope;
  const manifest = step.manifest;
  if (manifest === null) {
    // Only one Hoist made for this service: an Ingress of that name made by someone else stays.
    const ours = Object.entries(selector).every(([key, value]) => step.before?.metadata?.labels?.[key] === value);
    if (step.before !== null && ours && step.before.metadata?.name) {
      await ctx.api.delete('Ingress', namespace, step.before.metadata.name);
      log(`deleted ingress ${namespace}/${step.before.metadata.name}: the service is no longer exposed by host name`);
    }
    return { kind: 'done' };
  }
  const name = manifest.metadata?.name ?? '';
  const rule = manifest.spec?.rules?.[0];
  const host = rule?.host ?? '';
  const tls = manifest.spec?.tls?.[0];
  await ctx.api.apply('Ingress', namespace, manifest);
  step.applied = true;
  log(`applied ingress ${namespace}/${name} for ${host}${tls ? ` (tls, certificate ${tls.secretName})` : ''}`);
  // An Ingress moved to another class keeps the old controller's address in its status until
  // someone clears it: that address is not an answer from the class it now has.
  const movedClass = step.before !== null && (step.before.spec?.ingressClassName ?? null) !== (manifest.spec?.ingressClassName ?? null);
  const stale = movedClass ? ingressAddresses(step.before ?? undefined) : [];
  const labelSelector = selectorString(selector);
  const ingresses = reflect(ctx, 'Ingress', namespace, labelSelector);
  const certificates = tls ? reflect(ctx, 'Certificate', namespace, labelSelector) : null;
  let said = '';
  const say = (text: string) => {
    if (text !== said) log((said = text));
  };
  try {
    const end = await waitUntil(
      certificates ? [ingresses, certificates] : [ingresses],
      (): true | null => {
        const address = ingressAddress(ingresses.items.get(name));
        if (address === null || stale.includes(address)) {
          say(`ingress ${name}: waiting for the load balancer to give it an address`);
          return null;
        }
        if (certificates && tls?.secretName) {
          const state = certificateState(certificates.items.get(tls.secretName), host);
          if (!state.ready) {
            say(`ingress ${name} has address ${address}; certificate ${tls.secretName}: ${state.said}`);
            return null;
          }
          log(`ingress ${name} serves ${host} at ${address}; certificate ${tls.secretName} is Ready`);
        } else {
          log(`ingress ${name} serves ${host} at ${address}`);
        }
        return true;
      },
      { signal, timeoutMs: ctx.timing.ingressTimeoutMs },
    );
    if (end.kind === 'done') return { kind: 'done' };
    if (end.kind === 'canceled') return { kind: 'canceled' };
    const seconds = Math.round(ctx.timing.ingressTimeoutMs / 1000);
    return { kind: 'failed', reason: `ingress "${name}" for ${host} was not ready within ${seconds} s (${said || 'no status yet'})`, logs: null, objects: [{ kind: 'Ingress', name }] };
  } finally {
    stopAll(certificates ? [ingresses, certificates] : [ingresses]);
  }
}

/** The undo of the Ingress step: the Ingress there was before is applied again, or a new one is deleted. */
export async function restoreIngress(ctx: TargetContext, scope: RolloutScope, step: IngressStep): Promise<void> {
  if (!step.applied || step.manifest === null) return;
  const { namespace, log } = scope;
  const name = step.manifest.metadata?.name ?? '';
  if (step.before === null) {
    await ctx.api.delete('Ingress', namespace, name);
    log(`removed ingress ${namespace}/${name}: it did not exist before`);
    return;
  }
  const before = deepCopy(step.before);
  const body: V1Ingress = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace, labels: before.metadata?.labels ?? {}, annotations: before.metadata?.annotations ?? {} },
    spec: before.spec ?? {},
  };
  await ctx.api.apply('Ingress', namespace, body);
  log(`restored ingress ${namespace}/${name} as it was before`);
}
