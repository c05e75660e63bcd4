import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type Dockerode from 'dockerode';
import type { ServiceSpec } from '../../domain/deployment-set.ts';
import { demuxLogs, isNotFound } from '../docker/client.ts';
import type { Placement, ReplicaLogLine, ServiceLogRequest, UsageReading } from '../ports.ts';
import { labelFilter, LABELS } from './container-spec.ts';
import { hasPreviousSample, usageOfStats, type StatsSample } from './container-usage.ts';
import { lineSplitter, replicaLogs, type LiveSource, type ReplicaLogSource } from './replica-logs.ts';

/** How long apart the two samples are when the engine gives no previous one (Podman). */
const SAMPLE_GAP_MS = 500;

/** The running app's output and usage on a Docker-compatible engine: the service's serving containers, each a replica. */
export function createDockerAppReads(docker: Dockerode) {
  async function replicas(placement: Placement, service: string): Promise<{ name: string; container: Dockerode.Container }[]> {
    const list = await docker.listContainers({ filters: { label: labelFilter(placement, service), status: ['running'] } });
    return list
      .filter((c) => c.Labels[LABELS.role] !== 'canary')
      .map((c) => ({ name: c.Names[0]?.replace(/^\//, '') ?? c.Id, container: docker.getContainer(c.Id) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  const source = (name: string, container: Dockerode.Container): ReplicaLogSource => ({
    replica: name,
    async tail(lines) {
      const data = await container.logs({ stdout: true, stderr: true, tail: lines, timestamps: true, follow: false });
      const text = demuxLogs(Buffer.isBuffer(data) ? data : Buffer.from(String(data))).combined;
      const split = lineSplitter();
      return [...split.push(text), ...split.end()];
    },
    live: (lines): LiveSource => ({
      async start(handlers, signal) {
        const stream = await container.logs({ stdout: true, stderr: true, tail: lines, timestamps: true, follow: true, abortSignal: signal });
        const out = new PassThrough();
        const split = lineSplitter();
        out.on('data', (chunk: Buffer) => split.push(chunk.toString('utf8')).forEach(handlers.line));
        docker.modem.demuxStream(stream, out, out);
        const end = (error?: unknown) => {
          split.end().forEach(handlers.line);
          handlers.ended(error);
        };
        stream.on('end', () => end());
        stream.on('close', () => end());
        stream.on('error', (error: unknown) => end(error));
        signal.addEventListener('abort', () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.(), { once: true });
      },
    }),
  });

  async function* serviceLogs(request: ServiceLogRequest): AsyncGenerator<ReplicaLogLine> {
    const found = await replicas(request.placement, request.service.name);
    yield* replicaLogs(
      found.map((r) => source(r.name, r.container)),
      request,
    );
  }

  async function usage(placement: Placement, service: ServiceSpec): Promise<UsageReading> {
    const found = await replicas(placement, service.name);
    const read = async (container: Dockerode.Container) => (await container.stats({ stream: false })) as unknown as StatsSample;
    const measured = await Promise.all(
      found.map(async ({ name, container }) => {
        try {
          const first = await read(container);
          if (hasPreviousSample(first)) return usageOfStats(name, first, null);
          await sleep(SAMPLE_GAP_MS);
          return usageOfStats(name, first, await read(container));
        } catch (error) {
          // Gone between the list and the stats: it is no replica any more.
          if (isNotFound(error)) return null;
          throw error;
        }
      }),
    );
    return { ok: true, replicas: measured.filter((u) => u !== null), window: null };
  }

  return { serviceLogs, usage };
}
