import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { RegistryAuth } from '../build/registry-manifest.ts';
import { followProgress, isNotFound } from '../docker/client.ts';
import type { Outcome, Placement, RolloutRequest, RunningService, Target } from '../ports.ts';
import { containerLogTail, healthUrl as healthUrlFor, waitHealthy, type HealthResult } from './container-health.ts';
import {
  containerName,
  createOptions,
  labelFilter,
  LABELS,
  missingSecrets,
  publishedPort,
  type ContainerPlan,
} from './container-spec.ts';
import { watchDockerRunning } from './docker-running.ts';
import { createDockerAppReads } from './docker-app-reads.ts';
import { createDockerServiceActions } from './docker-service-actions.ts';

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
 * Runs an environment's services as labelled containers on one Docker-compatible engine.
 * A new version replaces the old only after it answered its health check; on any failure
 * (or cancel) the new containers are removed and the old version keeps serving.
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

  async function remove(container: Dockerode.Container, log: (line: string) => void, name: string): Promise<void> {
    try {
      await container.remove({ force: true });
      log(`removed ${name}`);
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
  }

  async function rollout(request: RolloutRequest): Promise<Outcome> {
    const { placement, service, signal } = request;
    const log = (line: string) => request.log(line);
    const child = logger?.child({ deploymentId: request.deploymentId, env: placement.env, service: service.name });
    const canceled = (): Failure => ({ ok: false, reason: 'rollout canceled', logTail: [] });
    if (signal.aborted) return canceled();
    const missing = missingSecrets(service, request.secrets);
    if (missing) return { ok: false, reason: missing, logTail: [] };
    if (service.replicas > 1) log(`${service.name}: the docker target runs one container per service (replicas: ${service.replicas} ignored)`);

    const pulled = await ensureImage(request.image, log, signal);
    if (pulled) return pulled;

    const plan = (role: ContainerPlan['role'], hostPort: ContainerPlan['hostPort']): ContainerPlan => ({
      placement,
      service,
      deploymentId: request.deploymentId,
      image: request.image,
      version: request.version,
      role,
      hostPort,
      ...(request.secrets ? { secrets: request.secrets } : {}),
    });
    const exposed = service.port === null ? null : service.expose;
    const mine = new Set([containerName(plan('service', null)), containerName(plan('canary', null))]);

    const existing = await docker.listContainers({ all: true, filters: { label: labelFilter(placement, service.name) } });
    const created: { container: Dockerode.Container; name: string }[] = [];
    const stopped: { container: Dockerode.Container; name: string }[] = [];
    const old: { container: Dockerode.Container; name: string; running: boolean }[] = [];
    for (const info of existing) {
      const name = info.Names[0]?.replace(/^\//, '') ?? info.Id;
      const container = docker.getContainer(info.Id);
      // Leftovers of an earlier attempt at this deployment, and canaries of interrupted ones.
      if (mine.has(name) || info.Labels[LABELS.role] === 'canary') await remove(container, log, name);
      else old.push({ container, name, running: info.State === 'running' });
    }

    const healthUrl = (hostPort: number): string => healthUrlFor(service, hostPort);

    /** Puts things back as they were: the new containers go, stopped old ones start again. */
    const revert = async (): Promise<void> => {
      for (const { container, name } of created.splice(0)) await remove(container, log, name);
      for (const { container, name } of stopped.splice(0)) {
        const restartsBefore = (await container.inspect()).RestartCount;
        await container.start().catch(ignoreNotModified);
        log(`started ${name} again`);
        // Report back only once the old version answers again (a cancel must not cut this short).
        const health = await waitHealthy(container, {
          url: exposed === null ? null : healthUrl(exposed),
          timeoutMs: service.health?.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS,
          restartsBefore,
          signal: new AbortController().signal,
        });
        log(health.ok ? `${name} is healthy again` : `${name} is not healthy again: ${health.reason}`);
      }
    };

    const start = async (p: ContainerPlan) => {
      const name = containerName(p);
      const container = await docker.createContainer(createOptions(p));
      created.push({ container, name });
      const error = await container.start().then(
        () => null,
        (cause: unknown) => (cause instanceof Error ? cause.message.trim() : String(cause)),
      );
      return { container, name, error };
    };

    const check = async (container: Dockerode.Container, name: string, hostPort: number | null): Promise<HealthResult> => {
      const url = hostPort === null ? null : healthUrl(hostPort);
      log(url === null ? `waiting for ${name} to keep running` : `health check: GET ${url}`);
      return waitHealthy(container, { url, timeoutMs: service.health?.timeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS, signal });
    };

    const unhealthy = async (container: Dockerode.Container, name: string, result: HealthResult): Promise<Failure> => {
      const logTail = await containerLogTail(container);
      const reason = result.ok ? 'unhealthy' : `${service.name} is not healthy: ${result.reason}`;
      log(reason);
      for (const line of logTail) log(`${name} | ${line}`);
      return { ok: false, reason, logTail };
    };

    const portOf = async (container: Dockerode.Container): Promise<number | null> =>
      service.port === null ? null : publishedPort(await container.inspect(), service.port);

    try {
      // 1. The new version, on an ephemeral port (or none), beside the old one.
      const role = exposed === null ? 'service' : 'canary';
      const first = await start(plan(role, service.port === null ? null : 'ephemeral'));
      if (first.error) {
        const failure = await unhealthy(first.container, first.name, { ok: false, kind: 'exited', reason: first.error });
        await revert();
        return failure;
      }
      log(`started ${first.name} (${request.image})`);
      const firstHealth = await check(first.container, first.name, await portOf(first.container));
      if (!firstHealth.ok) {
        const failure = firstHealth.kind === 'canceled' ? canceled() : await unhealthy(first.container, first.name, firstHealth);
        await revert();
        return failure;
      }
      log(`${first.name} is healthy after ${firstHealth.ms} ms`);

      // 2. A fixed host port can't be held by two containers: swap old for new on it.
      if (exposed !== null) {
        if (signal.aborted) {
          await revert();
          return canceled();
        }
        const final = plan('service', exposed);
        const finalName = containerName(final);
        const finalContainer = await docker.createContainer(createOptions(final));
        created.push({ container: finalContainer, name: finalName });
        for (const entry of old.filter((o) => o.running)) {
          log(`stopping ${entry.name}`);
          stopped.push(entry);
          await entry.container.stop({ t: stopTimeout }).catch(ignoreNotModified);
        }
        let finalHealth: HealthResult;
        const startError = await finalContainer.start().then(
          () => null,
          (error: unknown) => (error instanceof Error ? error.message.trim() : String(error)),
        );
        if (startError === null) {
          log(`started ${finalName} on 127.0.0.1:${exposed}`);
          finalHealth = await check(finalContainer, finalName, exposed);
        } else {
          // The engine refuses to start when the host port is taken (by anything).
          finalHealth = { ok: false, kind: 'exited', reason: `cannot start on 127.0.0.1:${exposed}: ${startError}` };
        }
        if (!finalHealth.ok) {
          const failure =
            finalHealth.kind === 'canceled' ? canceled() : await unhealthy(finalContainer, finalName, finalHealth);
          await revert();
          return failure;
        }
        log(`${finalName} is healthy on 127.0.0.1:${exposed}`);
        await remove(first.container, log, first.name);
      }

      // 3. The new version serves: the old containers go.
      for (const entry of old) await remove(entry.container, log, entry.name);
      child?.info({ image: request.image }, 'rollout done');
      return { ok: true };
    } catch (error) {
      // Put the old version back before reporting an engine failure or a cancel.
      await revert().catch((revertError: unknown) => child?.error({ err: revertError }, 'revert failed'));
      if (signal.aborted) return canceled();
      throw error;
    }
  }

  async function inspect(placement: Placement): Promise<RunningService[]> {
    const list = await docker.listContainers({ filters: { label: labelFilter(placement), status: ['running'] } });
    return list
      .filter((c) => c.Labels[LABELS.role] !== 'canary')
      .map((c): RunningService => {
        const name = c.Labels[LABELS.service] ?? '';
        // Only the service's own port is published (see createOptions).
        const binding = c.Ports.find((p) => p.PublicPort);
        const host = !binding?.IP || binding.IP === '0.0.0.0' || binding.IP === '::' ? '127.0.0.1' : binding.IP;
        const deployment = Number(c.Labels[LABELS.deployment]);
        return {
          service: name,
          version: c.Labels[LABELS.version] ?? null,
          image: c.Image,
          deploymentId: Number.isInteger(deployment) ? deployment : null,
          endpoint: binding ? `http://${host}:${binding.PublicPort}` : null,
          healthy: c.State === 'running',
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

/** Starting a running container or stopping a stopped one answers 304: already as wanted. */
function ignoreNotModified(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 304) throw error;
}
