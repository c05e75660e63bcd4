import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { RegistryAuth } from '../build/registry-manifest.ts';
import { followProgress, isNotFound } from '../docker/client.ts';
import type { Outcome, Placement, RolloutRequest, RunningService, Target } from '../ports.ts';
import { labelFilter, LABELS, missingSecrets } from './container-spec.ts';
import { createDockerAppReads } from './docker-app-reads.ts';
import { runJobContainer } from './docker-job.ts';
import { rollOutContainers } from './docker-rollout.ts';
import { watchDockerRunning } from './docker-running.ts';
import { createDockerServiceActions } from './docker-service-actions.ts';
import { ensureDataVolume } from './docker-volume.ts';

export interface DockerTargetOptions {
  docker: Dockerode;
  logger?: Logger;
  /** Credentials for pulling images the engine does not have yet. */
  auth?: RegistryAuth | null;
  /** Seconds a stopping container gets between SIGTERM and SIGKILL. */
  stopTimeoutSeconds?: number;
}

const DEFAULT_HEALTH_TIMEOUT_MS = 30_000;

type Failure = { ok: false; reason: string; logTail: string[] };

/**
 * Runs an environment's services as labelled containers on one Docker-compatible engine:
 * `replicas` containers per service, a database on its named volume, a lifecycle job as one
 * run to completion. A new version replaces the old only once healthy; on any failure (or
 * cancel) the new containers are removed and the old version keeps serving.
 */
export function createDockerTarget(options: DockerTargetOptions): Target {
  const { docker, logger } = options;
  const stopTimeout = options.stopTimeoutSeconds ?? 10;
  const authconfig = options.auth ? { username: options.auth.username, password: options.auth.password } : undefined;

  /** Pulls the image when the engine lacks it; a failed pull is the rollout's failure. */
  async function ensureImage(image: string, log: (line: string) => void, signal: AbortSignal): Promise<Failure | null> {
    try {
      await docker.getImage(image).inspect();
      return null;
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    log(`pulling ${image}`);
    try {
      const stream = await docker.pull(image, { authconfig, abortSignal: signal });
      const result = await followProgress(stream as Readable);
      if (result.ok) return null;
      return { ok: false, reason: `cannot pull ${image}: ${result.error.trim()}`, logTail: [] };
    } catch (error) {
      if (signal.aborted) throw error;
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, reason: `cannot pull ${image}: ${message.trim()}`, logTail: [] };
    }
  }

  async function rollout(request: RolloutRequest): Promise<Outcome> {
    const { placement, service, signal } = request;
    const log = (line: string) => request.log(line);
    if (signal.aborted) return { ok: false, reason: 'rollout canceled', logTail: [] };
    const missing = missingSecrets(service, request.secrets);
    if (missing) return { ok: false, reason: missing, logTail: [] };
    // Refused by config check; a set recorded before that check could still ask for it.
    if (service.replicas > 1 && service.port !== null && service.expose !== null) {
      const reason = `${service.name}: ${service.replicas} replicas cannot share the fixed host port ${service.expose} on a Docker target; set replicas: 1 or remove it from expose`;
      return { ok: false, reason, logTail: [] };
    }
    if (service.type === 'database' && service.replicas > 1) {
      return { ok: false, reason: `${service.name}: a database keeps its data in one volume on a Docker target; set replicas: 1`, logTail: [] };
    }
    const pulled = await ensureImage(request.image, log, signal);
    if (pulled) return pulled;
    if (service.type === 'lifecycle-job') return runJobContainer({ docker, request });

    const volume = await ensureDataVolume(docker, placement, service, request.image, log);
    if (!volume.ok) return volume;
    const outcome = await rollOutContainers({
      docker,
      request,
      volume: volume.volume,
      stopTimeoutSeconds: stopTimeout,
      defaultHealthTimeoutMs: DEFAULT_HEALTH_TIMEOUT_MS,
      ...(logger ? { logger } : {}),
    });
    if (outcome.ok) logger?.info({ deploymentId: request.deploymentId, service: service.name, image: request.image }, 'rollout done');
    return outcome;
  }

  /** Per service and deployment that runs: how many of its containers run (ready) of how many it wants (desired). */
  async function inspect(placement: Placement): Promise<RunningService[]> {
    const list = await docker.listContainers({ all: true, filters: { label: labelFilter(placement) } });
    const groups = new Map<string, Dockerode.ContainerInfo[]>();
    for (const c of list) {
      if (c.Labels[LABELS.role] !== 'service') continue;
      const key = `${c.Labels[LABELS.service] ?? ''}\n${c.Labels[LABELS.deployment] ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    // What runs: a stopped service (nothing of it running) is not listed.
    return [...groups.values()]
      .filter((containers) => containers.some((c) => c.State === 'running'))
      .map((containers): RunningService => {
        const running = containers.filter((c) => c.State === 'running');
        const first = [...containers].sort((a, b) => replicaOf(a) - replicaOf(b))[0] as Dockerode.ContainerInfo;
        const desired = Number(first.Labels[LABELS.replicas] ?? containers.length);
        // Only the service's own port is published (see createOptions); replica 0's stands for the service.
        const binding = running.includes(first) ? first.Ports.find((p) => p.PublicPort) : undefined;
        const host = !binding?.IP || binding.IP === '0.0.0.0' || binding.IP === '::' ? '127.0.0.1' : binding.IP;
        const deployment = Number(first.Labels[LABELS.deployment]);
        return {
          service: first.Labels[LABELS.service] ?? '',
          version: first.Labels[LABELS.version] ?? null,
          image: first.Image,
          deploymentId: Number.isInteger(deployment) ? deployment : null,
          endpoint: binding ? `http://${host}:${binding.PublicPort}` : null,
          healthy: running.length > 0 && running.length >= desired,
          ready: running.length,
          desired,
        };
      })
      .sort((a, b) => a.service.localeCompare(b.service) || (a.deploymentId ?? 0) - (b.deploymentId ?? 0));
  }

  const actions = createDockerServiceActions({
    docker,
    ...(logger ? { logger } : {}),
    stopTimeoutSeconds: stopTimeout,
    defaultHealthTimeoutMs: DEFAULT_HEALTH_TIMEOUT_MS,
  });
  return {
    rollout,
    inspect,
    ...actions,
    ...createDockerAppReads(docker),
    watchRunning: (placements, onReading) => watchDockerRunning(docker, placements, onReading, logger ? { logger } : {}),
  };
}

function replicaOf(c: Dockerode.ContainerInfo): number {
  return Number(c.Labels[LABELS.replica] ?? 0) || 0;
}
