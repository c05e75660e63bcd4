import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { inspectContainer, isNotFound, removeContainer } from '../docker/client.ts';
import type { Outcome, ServiceRequest } from '../ports.ts';
import { containerLogTail, healthUrl, waitHealthy } from './container-health.ts';
import { whenSettled } from './container-settled.ts';
import { volumeName, labelFilter, LABELS, publishedPort } from './container-spec.ts';

export interface ServiceActionsOptions {
  docker: Dockerode;
  logger?: Logger;
  /** Seconds a stopping container gets between SIGTERM and SIGKILL. */
  stopTimeoutSeconds: number;
  defaultHealthTimeoutMs: number;
}

interface Found {
  container: Dockerode.Container;
  name: string;
  running: boolean;
}

type Failure = { ok: false; reason: string; logTail: string[] };

const message = (error: unknown) => (error instanceof Error ? error.message.trim() : String(error));

/** Stop, restart, remove and destroy of the containers that serve a service, every replica (canaries and job runs are the rollout's business, but destroy takes them too). */
export function createDockerServiceActions(options: ServiceActionsOptions) {
  const { docker, stopTimeoutSeconds } = options;

  async function serving(request: ServiceRequest): Promise<Found[]> {
    const list = await docker.listContainers({ all: true, filters: { label: labelFilter(request.placement, request.service.name) } });
    return list
      .filter((c) => c.Labels[LABELS.role] !== 'canary' && c.Labels[LABELS.role] !== 'job')
      .map((c) => ({ container: docker.getContainer(c.Id), name: c.Names[0]?.replace(/^\//, '') ?? c.Id, running: c.State === 'running' }));
  }

  async function stop(request: ServiceRequest): Promise<Outcome<{ stopped: number }>> {
    let stopped = 0;
    for (const found of await serving(request)) {
      if (!found.running) continue;
      request.log(`stopping ${found.name}`);
      const settling = await whenSettled(docker, found.container.id);
      try {
        await found.container.stop({ t: stopTimeoutSeconds });
      } catch (error) {
        settling.cancel();
        if (notModified(error) || isNotFound(error)) continue;
        return { ok: false, reason: `cannot stop ${found.name}: ${message(error)}`, logTail: await containerLogTail(found.container) };
      }
      await settling.wait();
      request.log(`stopped ${found.name}`);
      stopped++;
    }
    return { ok: true, stopped };
  }

  async function restartOne(request: ServiceRequest, found: Found): Promise<Failure | null> {
    const { service } = request;
    request.log(`restarting ${found.name}`);
    try {
      await found.container.restart({ t: stopTimeoutSeconds });
    } catch (error) {
      return { ok: false, reason: `cannot restart ${found.name}: ${message(error)}`, logTail: await containerLogTail(found.container) };
    }
    const info = await inspectContainer(found.container);
    const hostPort = service.port === null ? null : (service.expose ?? publishedPort(info, service.port));
    const health = await waitHealthy(found.container, {
      url: hostPort === null ? null : healthUrl(service, hostPort),
      timeoutMs: service.health?.timeoutMs ?? options.defaultHealthTimeoutMs,
      restartsBefore: info.RestartCount,
      signal: request.signal,
      docker,
    });
    if (health.ok) {
      request.log(`${found.name} is healthy after ${health.ms} ms`);
      return null;
    }
    const logTail = await containerLogTail(found.container);
    const reason = health.kind === 'canceled' ? 'restart canceled' : `${service.name} is not healthy after the restart: ${health.reason}`;
    return { ok: false, reason, logTail };
  }

  async function restart(request: ServiceRequest): Promise<Outcome> {
    const found = await serving(request);
    if (found.length === 0) return { ok: false, reason: `no container of ${request.service.name} in ${request.placement.env} to restart`, logTail: [] };
    for (const one of found) {
      const failure = await restartOne(request, one);
      if (failure) return failure;
    }
    options.logger?.info({ deploymentId: request.deploymentId, service: request.service.name }, 'restarted');
    return { ok: true };
  }

  /** Removes every container of the service (canaries too); `anonymous`: their anonymous volumes with them. */
  async function removeContainers(request: ServiceRequest, anonymous: boolean): Promise<{ ok: true; names: string[] } | Failure> {
    const list = await docker.listContainers({ all: true, filters: { label: labelFilter(request.placement, request.service.name) } });
    const names: string[] = [];
    for (const c of list) {
      const name = c.Names[0]?.replace(/^\//, '') ?? c.Id;
      try {
        if ((await removeContainer(docker.getContainer(c.Id), { v: anonymous })) === 'removed') {
          request.log(`removed ${name}`);
          names.push(name);
        }
      } catch (error) {
        return { ok: false, reason: `cannot remove ${name}: ${message(error)}`, logTail: [] };
      }
    }
    return { ok: true, names };
  }

  async function remove(request: ServiceRequest): Promise<Outcome<{ removed: number }>> {
    // Volumes stay: a service rolled back to before it first ran keeps its data.
    const removed = await removeContainers(request, false);
    return removed.ok ? { ok: true, removed: removed.names.length } : removed;
  }

  /** The containers, then the data volume by its name and every volume labelled with the service. */
  async function destroy(request: ServiceRequest): Promise<Outcome<{ removed: string[] }>> {
    const containers = await removeContainers(request, true);
    if (!containers.ok) return containers;
    const removed = containers.names.map((name) => `container ${name}`);
    const volumes = new Set([volumeName(request.placement, request.service.name)]);
    const labelled = await docker.listVolumes({ filters: { label: labelFilter(request.placement, request.service.name) } });
    // Podman answers a volume matching any one of several label filters: each label is checked here.
    const wanted = { [LABELS.app]: request.placement.app, [LABELS.env]: request.placement.env, [LABELS.service]: request.service.name };
    for (const volume of labelled.Volumes ?? []) {
      if (Object.entries(wanted).every(([key, value]) => volume.Labels?.[key] === value)) volumes.add(volume.Name);
    }
    for (const name of volumes) {
      try {
        await docker.getVolume(name).remove();
        request.log(`removed volume ${name}`);
        removed.push(`volume ${name}`);
      } catch (error) {
        if (!isNotFound(error)) return { ok: false, reason: `cannot remove volume ${name}: ${message(error)}`, logTail: [] };
      }
    }
    return { ok: true, removed };
  }

  return { stop, restart, remove, destroy };
}

/** Stopping a stopped container answers 304: already as wanted. */
function notModified(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 304;
}
