import type { Logger } from 'pino';
import type { LogSink } from '../../ports.ts';
import { DEFAULT_RETRY, type KubeApi, type RetryPolicy } from './client.ts';
import { ANNOTATIONS } from './labels.ts';
import type { KindFor } from './permissions.ts';
import { DEFAULT_REFLECTOR_TIMING, Reflector, type ReflectorTiming } from './watch.ts';

export interface KubernetesTiming {
  /** Rendered into each Deployment: how long without progress before Kubernetes calls it failed (default 600). */
  progressDeadlineSeconds: number;
  /** A finished lifecycle Job (and its pod's logs) is kept this long (default one day). */
  jobTtlSeconds: number;
  /** A lifecycle Job running longer than this fails (default one hour). */
  jobDeadlineSeconds: number;
  /**
   * Real time a rollout may wait at most: a safety net behind the progress deadline (which the
   * cluster's clock measures), and the only limit for a StatefulSet (default progress deadline + 60 s).
   */
  rolloutTimeoutMs: number;
  /** Real time to wait for the previous version to be back after a failure or cancel (default: rolloutTimeoutMs). */
  undoTimeoutMs: number;
  /** Real time an Ingress may take to get its address (and, with tls, its certificate Ready) once the workload is ready (default 300 s). */
  ingressTimeoutMs: number;
  /** Real time a stop waits for the pods to go (default 120 s). */
  stopTimeoutMs: number;
  /** Log lines of the failing container kept in a failure's logTail (default 50). */
  logTailLines: number;
  /** Events of the objects involved kept in a failure's logTail (default 20). */
  eventLines: number;
  retry: RetryPolicy;
  watch: ReflectorTiming;
}

export function resolveTiming(overrides: Partial<Omit<KubernetesTiming, 'retry' | 'watch'>> & {
  retry?: Partial<RetryPolicy>;
  watch?: Partial<ReflectorTiming>;
} = {}): KubernetesTiming {
  const progressDeadlineSeconds = overrides.progressDeadlineSeconds ?? 600;
  const rolloutTimeoutMs = overrides.rolloutTimeoutMs ?? (progressDeadlineSeconds + 60) * 1000;
  return {
    progressDeadlineSeconds,
    jobTtlSeconds: overrides.jobTtlSeconds ?? 86_400,
    jobDeadlineSeconds: overrides.jobDeadlineSeconds ?? 3_600,
    rolloutTimeoutMs,
    undoTimeoutMs: overrides.undoTimeoutMs ?? rolloutTimeoutMs,
    ingressTimeoutMs: overrides.ingressTimeoutMs ?? 300_000,
    stopTimeoutMs: overrides.stopTimeoutMs ?? 120_000,
    logTailLines: overrides.logTailLines ?? 50,
    eventLines: overrides.eventLines ?? 20,
    retry: { ...DEFAULT_RETRY, ...overrides.retry },
    watch: { ...DEFAULT_REFLECTOR_TIMING, ...overrides.watch },
  };
}

/** What every part of the target shares. */
export interface TargetContext {
  api: KubeApi;
  timing: KubernetesTiming;
  logger?: Logger;
}

/** One rollout's view: where, what to say in the deployment log, when to stop. */
export interface RolloutScope {
  namespace: string;
  deploymentId: number;
  signal: AbortSignal;
  log: LogSink;
}

/** Starts a reflector of one kind in a namespace; the caller stops it. */
export function reflect<K extends KindFor<'watch'>>(ctx: TargetContext, kind: K, namespace: string, labelSelector: string): Reflector<K> {
  return new Reflector(ctx.api, kind, namespace, labelSelector, ctx.timing.watch, ctx.logger).start();
}

export function stopAll(reflectors: readonly { stop(): void }[]): void {
  for (const r of reflectors) r.stop();
}

interface Owned {
  metadata?: { ownerReferences?: Array<{ kind?: string; name?: string; uid?: string }> | null } | null;
}

/** Objects whose controller is `kind/name` (and `uid`, when known). */
export function ownedBy<T extends Owned>(items: readonly T[], owner: { kind: string; name: string; uid?: string | undefined }): T[] {
  return items.filter((item) =>
    (item.metadata?.ownerReferences ?? []).some(
      (ref) => ref.kind === owner.kind && ref.name === owner.name && (owner.uid === undefined || ref.uid === undefined || ref.uid === owner.uid),
    ),
  );
}

export function revisionOf(object: { metadata?: { annotations?: Record<string, string> | null } | null }): number {
  const value = Number(object.metadata?.annotations?.[ANNOTATIONS.revision]);
  return Number.isFinite(value) ? value : 0;
}

export function deepCopy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export const errorMessage = (error: unknown) => (error instanceof Error ? error.message : String(error));
