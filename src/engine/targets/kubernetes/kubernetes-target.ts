import type { Logger } from 'pino';
import type { CallErrors } from '../../../domain/call-errors.ts';
import type { Outcome, RolloutRequest, Target } from '../../ports.ts';
import { createKubernetesAppReads } from './app-reads.ts';
import { createDestroy } from './destroy.ts';
import { createKubeApi, KubeError, loadKubeConfig, type KubeConnection, type RetryPolicy } from './client.ts';
import { resolveTiming, type KubernetesTiming, type RolloutScope, type TargetContext } from './context.ts';
import { rolloutDeployment } from './deployment-rollout.ts';
import { rolloutJob } from './job-rollout.ts';
import { instanceOf, LABELS, MANAGER, selectorLabels } from './labels.ts';
import { manifestsOf, renderService } from './render.ts';
import { createServiceActions } from './service-actions.ts';
import { watchKubernetesRunning } from './running-watch.ts';
import { rolloutStatefulSet } from './statefulset-rollout.ts';
import type { ReflectorTiming } from './watch.ts';

export interface KubernetesTargetOptions extends KubeConnection {
  logger?: Logger;
  /** Server-side apply field manager (default `hoist`). */
  fieldManager?: string;
  /** Counts failed calls to the API server (each attempt, and each watch that fails). */
  callErrors?: CallErrors;
  /** Deadlines, retries and watch re-opening; defaults suit a real cluster, tests shorten them. */
  timing?: Partial<Omit<KubernetesTiming, 'retry' | 'watch'>> & { retry?: Partial<RetryPolicy>; watch?: Partial<ReflectorTiming> };
}

/**
 * The Kubernetes target: each service of an environment as labelled objects in the
 * environment's namespace, applied server-side (field manager `hoist`) and waited for as
 * `kubectl rollout status` does, failing early on pods that cannot start. On a failure or a
 * cancel the previous revision runs again.
 *
 * `createKubernetesTarget({ kubeconfigPath: KUBECONFIG, context })`, `({ inCluster: true })`
 * or `({ kubeConfig })`.
 */
export function createKubernetesTarget(options: KubernetesTargetOptions): Target {
  const kc = loadKubeConfig(options);
  const timing = resolveTiming(options.timing);
  const api = createKubeApi(kc, {
    retry: timing.retry,
    ...(options.logger ? { logger: options.logger } : {}),
    ...(options.fieldManager ? { fieldManager: options.fieldManager } : {}),
    ...(options.callErrors ? { callErrors: options.callErrors } : {}),
  });
  const ctx: TargetContext = { api, timing, ...(options.logger ? { logger: options.logger } : {}) };
  const known = new Set<string>();

  /**
   * Creates the namespace when missing. A plain create, not server-side apply: applying would
   * need `patch` on every namespace of the cluster (enough to rewrite their Pod Security labels).
   */
  async function ensureNamespace(namespace: string, app: string, log: (line: string) => void): Promise<void> {
    if (known.has(namespace)) return;
    const existing = await api.get('Namespace', null, namespace).catch((error: unknown) => {
      // Without the ClusterRole (namespaces made by an administrator) Hoist may not even read it: carry on.
      if (error instanceof KubeError && error.status === 403) return 'unreadable' as const;
      throw error;
    });
    if (existing === null) {
      const created = await api.create('Namespace', null, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: namespace, labels: { [LABELS.partOf]: app, [LABELS.managedBy]: MANAGER } },
      });
      if (created !== 'exists') log(`created namespace ${namespace}`);
    }
    known.add(namespace);
  }

  async function rollout(request: RolloutRequest): Promise<Outcome<{ manifests?: unknown[] }>> {
    const { placement, service, signal } = request;
    if (signal.aborted) return { ok: false, reason: 'rollout canceled', logTail: [] };
    const child = options.logger?.child({ deploymentId: request.deploymentId, env: placement.env, service: service.name });
    const namespace = placement.namespace;
    const scope: RolloutScope = { namespace, deploymentId: request.deploymentId, signal, log: request.log };
    try {
      await ensureNamespace(namespace, placement.app, request.log);
      const rendered = renderService(service, {
        app: placement.app,
        env: placement.env,
        namespace,
        image: request.image,
        version: request.version,
        deploymentId: request.deploymentId,
        ...(placement.target.kind === 'kubernetes' && placement.target.imagePullSecrets ? { imagePullSecrets: placement.target.imagePullSecrets } : {}),
        progressDeadlineSeconds: timing.progressDeadlineSeconds,
        jobTtlSeconds: timing.jobTtlSeconds,
        jobDeadlineSeconds: timing.jobDeadlineSeconds,
      });
      const selector = selectorLabels(placement.app, placement.env, service.name);
      const { workload } = rendered;
      let outcome: Outcome;
      switch (workload.kind) {
        case 'Deployment':
          outcome = await rolloutDeployment(ctx, scope, { name: workload.name, manifest: workload.manifest, service: rendered.service, selector });
          break;
        case 'StatefulSet':
          outcome = await rolloutStatefulSet(ctx, scope, { name: workload.name, manifest: workload.manifest, service: rendered.service, selector });
          break;
        case 'Job':
          outcome = await rolloutJob(ctx, scope, { name: workload.name, manifest: workload.manifest, selector });
          break;
        case 'CronJob':
          await ctx.api.apply('CronJob', namespace, workload.manifest);
          request.log(`applied cronjob ${namespace}/${workload.name} (schedule "${workload.manifest.spec?.schedule ?? ''}")`);
          outcome = { ok: true };
          break;
      }
      if (!outcome.ok) {
        child?.warn({ reason: outcome.reason }, 'rollout failed');
        return outcome;
      }
      child?.info({ image: request.image, instance: instanceOf(placement.app, placement.env) }, 'rollout done');
      return { ok: true, manifests: manifestsOf(rendered) };
    } catch (error) {
      known.delete(namespace);
      // The API refused what was asked (invalid manifest, forbidden, immutable field): the
      // deployment's failure, said as the API server said it. Anything else is infrastructure.
      if (error instanceof KubeError && error.status >= 400 && error.status < 500) {
        const hint = error.status === 403 ? ` (Hoist's service account needs the Role of deploy/kubernetes/ in namespace ${namespace})` : '';
        return { ok: false, reason: `kubernetes refused it: ${error.message}${hint}`, logTail: [] };
      }
      throw error;
    }
  }

  return { rollout, ...createServiceActions(ctx), destroy: createDestroy(ctx), ...createKubernetesAppReads(api), watchRunning: (placements, onReading) => watchKubernetesRunning(ctx, placements, onReading) };
}
