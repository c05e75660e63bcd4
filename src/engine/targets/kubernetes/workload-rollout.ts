import type { V1Ingress, V1ObjectMeta, V1Pod, V1PodTemplateSpec, V1Service } from '@kubernetes/client-node';
import type { Outcome } from '../../ports.ts';
import type { KindTypes } from './client.ts';
import type { RolloutScope, TargetContext } from './context.ts';
import { diagnose, type LogSource } from './diagnostics.ts';
import { ANNOTATIONS, LABELS, selectorString } from './labels.ts';
import { exposeIngress, ingressBefore, restoreIngress } from './ingress-rollout.ts';
import type { PodFailure } from './pod-failure.ts';

/** How waiting on a workload ended. A failure names what to read: a container's logs, objects' events. */
export type Watched =
  | { kind: 'done' }
  | { kind: 'canceled' }
  | { kind: 'failed'; reason: string; logs: LogSource | null; objects: { kind: string; name: string }[] };

/** `ImagePullBackOff — Back-off pulling image "x" (pod api-7d9-abcde, container api)` */
export function podFailureReason(failure: PodFailure): string {
  const message = failure.message ? ` — ${failure.message}` : '';
  return `${failure.reason}${message} (pod ${failure.pod}, container ${failure.container})`;
}

/**
 * A rollout ended by a pod that cannot start: its reason, its container's logs (where it
 * ever ran) and the events of `involved(the failing pod)`.
 */
export function podFailed(failure: PodFailure, pods: readonly V1Pod[], involved: (pods: V1Pod[]) => { kind: string; name: string }[]): Watched {
  return {
    kind: 'failed',
    reason: podFailureReason(failure),
    logs: failure.hasLogs ? { pod: failure.pod, container: failure.container, previous: failure.previousLogs } : null,
    objects: involved(pods.filter((p) => p.metadata?.name === failure.pod)),
  };
}

/** The long-running workloads: applied, watched, and put back as they were when the rollout fails. */
export type Workload = 'Deployment' | 'StatefulSet';

export interface WorkloadRollout<K extends Workload> {
  name: string;
  manifest: KindTypes[K];
  service: V1Service | null;
  /** The Ingress serving it at its host, applied once it is ready; null: none (one left from before is deleted). */
  ingress?: V1Ingress | null;
  selector: Record<string, string>;
}

export interface WatchTarget {
  name: string;
  selector: string;
  generation: number;
}

export interface WatchOptions {
  signal?: AbortSignal;
  timeoutMs: number;
  log: (line: string) => void;
}

export type WatchWorkload = (ctx: TargetContext, namespace: string, target: WatchTarget, options: WatchOptions) => Promise<Watched>;

/** Why a watch that ran out of time failed: the last status it saw. */
export function timedOutReason(kind: Workload, name: string, options: WatchOptions, said: string): string {
  return `${kind.toLowerCase()} "${name}" did not finish its rollout within ${Math.round(options.timeoutMs / 1000)} s (${said || 'no status yet'})`;
}

/**
 * Applies the workload (and its Service), waits for it with `watch` and settles the end; `undo`
 * is given the workload as it was before (null on its first rollout).
 */
export async function applyAndWatch<K extends Workload>(
  ctx: TargetContext,
  scope: RolloutScope,
  kind: K,
  rollout: WorkloadRollout<K>,
  watch: WatchWorkload,
  undo: (before: KindTypes[K] | null) => Promise<void>,
): Promise<Outcome> {
  const { api } = ctx;
  const { namespace, log, signal } = scope;
  const { name } = rollout;
  const selector = selectorString(rollout.selector);
  const before = await api.get(kind, namespace, name);
  // Only a Deployment can be exposed by host name; its Ingress goes back with it on a failure.
  const ingress = kind === 'Deployment' ? await ingressBefore(ctx, namespace, rollout.ingress ?? null, name) : null;
  if (rollout.service) await api.apply('Service', namespace, rollout.service);
  const applied = await api.apply(kind, namespace, rollout.manifest);
  const generation = applied.metadata?.generation ?? 0;
  log(`applied ${kind.toLowerCase()} ${namespace}/${name} (generation ${generation})`);
  let watched = await watch(ctx, namespace, { name, selector, generation }, { signal, timeoutMs: ctx.timing.rolloutTimeoutMs, log });
  if (watched.kind === 'done' && ingress !== null) watched = await exposeIngress(ctx, scope, ingress, rollout.selector);
  return settle(ctx, scope, watched, async () => {
    if (ingress !== null) await restoreIngress(ctx, scope, ingress);
    await undo(before);
  });
}

/**
 * How a watched rollout ends: done; or canceled or failed, and what ran before is put
 * back (`undo`) — for a failure after its logs and events were read, since the undo
 * replaces the failing pods.
 */
export async function settle(ctx: TargetContext, scope: RolloutScope, watched: Watched, undo: () => Promise<void>): Promise<Outcome> {
  if (watched.kind === 'done') return { ok: true };
  if (watched.kind === 'canceled') {
    scope.log('rollout canceled: restoring what ran before');
    await undo();
    return { ok: false, reason: 'rollout canceled', logTail: [] };
  }
  scope.log(`rollout failed: ${watched.reason}`);
  const logTail = await diagnose(ctx, scope.namespace, { logs: watched.logs, objects: watched.objects });
  await undo();
  return { ok: false, reason: watched.reason, logTail };
}

/** The undo of a first rollout, where nothing ran before: the workload and its Service are deleted. */
export async function removeFirstRollout(ctx: TargetContext, scope: RolloutScope, kind: Workload, rollout: WorkloadRollout<Workload>): Promise<void> {
  const { namespace, log } = scope;
  await ctx.api.delete(kind, namespace, rollout.name);
  if (rollout.service) await ctx.api.delete('Service', namespace, rollout.name);
  log(`removed ${kind.toLowerCase()} ${namespace}/${rollout.name}: it did not run before`);
}

/**
 * The applied manifest's metadata with the version label and the annotations that say which
 * deployment made it taken from the restored template, so the workload names what it runs.
 */
export function restoredMetadata(metadata: V1ObjectMeta | undefined, template: V1PodTemplateSpec): V1ObjectMeta {
  const version = template.metadata?.labels?.[LABELS.version];
  const annotations = template.metadata?.annotations ?? {};
  return {
    ...metadata,
    labels: { ...metadata?.labels, ...(version ? { [LABELS.version]: version } : {}) },
    annotations: {
      ...metadata?.annotations,
      ...(annotations[ANNOTATIONS.deploymentId] ? { [ANNOTATIONS.deploymentId]: annotations[ANNOTATIONS.deploymentId] } : {}),
      ...(annotations[ANNOTATIONS.version] ? { [ANNOTATIONS.version]: annotations[ANNOTATIONS.version] } : {}),
    },
  };
}

/**
 * Waits for the restored workload, without the rollout's signal: a cancel must not cut the
 * restore short. `what` names what runs again when it is back.
 */
export async function watchRestored(
  ctx: TargetContext,
  scope: RolloutScope,
  kind: Workload,
  target: WatchTarget,
  watch: WatchWorkload,
  what: string,
): Promise<void> {
  const { namespace, log } = scope;
  const watched = await watch(ctx, namespace, target, { timeoutMs: ctx.timing.undoTimeoutMs, log });
  if (watched.kind === 'done') log(`${kind.toLowerCase()} ${namespace}/${target.name} runs ${what} again`);
  else if (watched.kind === 'failed') log(`the restored version of ${target.name} is not healthy either: ${watched.reason}`);
}
