import { PassThrough } from 'node:stream';
import type { V1Pod } from '@kubernetes/client-node';
import type { ServiceSpec } from '../../../domain/deployment-set.ts';
import type { Placement, ReplicaLogLine, ReplicaUsage, ServiceLogRequest, UsageReading } from '../../ports.ts';
import { lineSplitter, replicaLogs, type ReplicaLogSource } from '../replica-logs.ts';
import type { KubeApi } from './client.ts';
import { selectorLabels, selectorString } from './labels.ts';
import { containerUsage, METRICS_NOT_INSTALLED } from './pod-usage.ts';

/** One container of a running pod: the pod's name, or `pod/container` when the pod runs several. */
interface PodContainer {
  replica: string;
  pod: string;
  container: string;
  memoryLimit: string | null;
}

function containersOf(pods: readonly V1Pod[]): PodContainer[] {
  return pods
    .filter((p) => p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp)
    .flatMap((p) => {
      const pod = p.metadata?.name ?? '';
      const containers = p.spec?.containers ?? [];
      return containers.map((c) => ({
        replica: containers.length === 1 ? pod : `${pod}/${c.name}`,
        pod,
        container: c.name,
        memoryLimit: (c.resources?.limits?.memory as string | undefined) ?? null,
      }));
    })
    .sort((a, b) => a.replica.localeCompare(b.replica));
}

/** The running app's output and usage on Kubernetes: every container of the service's running pods. */
export function createKubernetesAppReads(api: KubeApi) {
  async function running(placement: Placement, service: string): Promise<PodContainer[]> {
    const labelSelector = selectorString(selectorLabels(placement.app, placement.env, service));
    return containersOf((await api.list('Pod', placement.namespace, { labelSelector })).items);
  }

  const source = (namespace: string, c: PodContainer): ReplicaLogSource => ({
    replica: c.replica,
    async tail(lines) {
      const text = await api.podLog(namespace, c.pod, c.container, { previous: false, tailLines: lines, timestamps: true });
      const split = lineSplitter();
      return [...split.push(text), ...split.end()];
    },
    live: (lines) => ({
      async start(handlers, signal) {
        const into = new PassThrough();
        const split = lineSplitter();
        into.on('data', (chunk: Buffer) => split.push(chunk.toString('utf8')).forEach(handlers.line));
        const end = (error?: unknown) => {
          split.end().forEach(handlers.line);
          handlers.ended(error);
        };
        into.on('end', () => end());
        into.on('error', (error: unknown) => end(error));
        await api.followPodLog(namespace, c.pod, c.container, into, { tailLines: lines, signal });
        // An abort stops the response without ending what it was piped into.
        signal.addEventListener('abort', () => into.end(), { once: true });
      },
    }),
  });

  async function* serviceLogs(request: ServiceLogRequest): AsyncGenerator<ReplicaLogLine> {
    const found = await running(request.placement, request.service.name);
    yield* replicaLogs(
      found.map((c) => source(request.placement.namespace, c)),
      request,
    );
  }

  async function usage(placement: Placement, service: ServiceSpec): Promise<UsageReading> {
    const found = await running(placement, service.name);
    const metrics = await api.podMetrics(placement.namespace);
    if (metrics === null) return { ok: false, reason: METRICS_NOT_INSTALLED };
    const replicas: ReplicaUsage[] = found.map((c) => {
      const pod = metrics.items.find((m) => m.metadata.name === c.pod);
      return containerUsage(c.replica, pod?.containers.find((m) => m.name === c.container)?.usage ?? null, c.memoryLimit);
    });
    const window = metrics.items.find((m) => found.some((c) => c.pod === m.metadata.name))?.window ?? null;
    return { ok: true, replicas, window };
  }

  return { serviceLogs, usage };
}
