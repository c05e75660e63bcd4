import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { inspectContainer, removeContainer } from '../docker/client.ts';
import type { Outcome, RolloutRequest } from '../ports.ts';
import { containerLogTail, healthUrl, waitHealthy, type HealthResult } from './container-health.ts';
import { containerName, createOptions, labelFilter, LABELS, publishedPort, type ContainerPlan } from './container-spec.ts';

export interface ContainerRollout {
  docker: Dockerode;
  request: RolloutRequest;
  /** A database's data volume: the old container stops before the new one starts on it. */
  volume: { name: string; path: string } | null;
  stopTimeoutSeconds: number;
  defaultHealthTimeoutMs: number;
  logger?: Logger;
}

interface Entry {
  container: Dockerode.Container;
  name: string;
}
interface OldEntry extends Entry {
  running: boolean;
  replica: number;
}
type Failure = { ok: false; reason: string; logTail: string[] };

/**
 * Replaces a service's containers with `replicas` new ones. Without a fixed host port or a
 * volume, one replica at a time: each new one healthy (on an ephemeral port) before one old one
 * stops, so never fewer than the wanted count run. A fixed host port or a database's volume
 * can't be held by two containers: the old one stops, the new one starts in its place (after a
 * canary on an ephemeral port, for a port). On any failure (or cancel) the new containers go and
 * the old ones run again.
 */
export async function rollOutContainers(options: ContainerRollout): Promise<Outcome> {
  const { docker, request, volume } = options;
  const { placement, service, signal } = request;
  const log = (line: string) => request.log(line);
  const canceled = (): Failure => ({ ok: false, reason: 'rollout canceled', logTail: [] });
  const exposed = service.port === null ? null : service.expose;
  const ephemeral = service.port === null ? null : ('ephemeral' as const);
  const timeoutMs = service.health?.timeoutMs ?? options.defaultHealthTimeoutMs;
  const plan = (role: ContainerPlan['role'], hostPort: ContainerPlan['hostPort'], replica = 0): ContainerPlan => ({
    placement,
    service,
    deploymentId: request.deploymentId,
    image: request.image,
    version: request.version,
    role,
    hostPort,
    replica,
    volume,
    ...(request.secrets ? { secrets: request.secrets } : {}),
  });

  const remove = async ({ container, name }: Entry): Promise<void> => {
    if ((await removeContainer(container)) === 'removed') log(`removed ${name}`);
  };

  const old: OldEntry[] = [];
  for (const info of await docker.listContainers({ all: true, filters: { label: labelFilter(placement, service.name) } })) {
    const entry = { container: docker.getContainer(info.Id), name: info.Names[0]?.replace(/^\//, '') ?? info.Id };
    const role = info.Labels[LABELS.role];
    // Leftovers of an earlier attempt at this deployment, canaries and job runs of interrupted ones.
    if (info.Labels[LABELS.deployment] === String(request.deploymentId) || role === 'canary' || role === 'job') await remove(entry);
    else old.push({ ...entry, running: info.State === 'running', replica: Number(info.Labels[LABELS.replica] ?? 0) || 0 });
  }
  old.sort((a, b) => a.replica - b.replica);

  const created: Entry[] = [];
  const stopped: OldEntry[] = [];
  const portOf = async (container: Dockerode.Container): Promise<number | null> =>
    service.port === null ? null : publishedPort(await inspectContainer(container), service.port);

  const stopOld = async (entry: OldEntry): Promise<void> => {
    log(`stopping ${entry.name}`);
    stopped.push(entry);
    await entry.container.stop({ t: options.stopTimeoutSeconds }).catch(ignoreNotModified);
  };

  const startAgain = async ({ container, name }: OldEntry): Promise<void> => {
    const restartsBefore = (await inspectContainer(container)).RestartCount;
    await container.start().catch(ignoreNotModified);
    log(`started ${name} again`);
    const port = exposed ?? (await portOf(container));
    // Report back only once the old version answers again (a cancel must not cut this short).
    const health = await waitHealthy(container, {
      url: port === null ? null : healthUrl(service, port),
      timeoutMs,
      restartsBefore,
      signal: new AbortController().signal,
      docker,
    });
    log(health.ok ? `${name} is healthy again` : `${name} is not healthy again: ${health.reason}`);
  };

  /** Puts things back as they were. A held port or volume must be freed first; else the old ones serve before the new ones go. */
  const revert = async (): Promise<void> => {
    const swap = exposed !== null || volume !== null;
    if (swap) for (const entry of created.splice(0)) await remove(entry);
    for (const entry of stopped.splice(0)) await startAgain(entry);
    for (const entry of created.splice(0)) await remove(entry);
  };

  const start = async (p: ContainerPlan): Promise<Entry & { error: string | null }> => {
    const name = containerName(p);
    const container = await docker.createContainer(createOptions(p));
    created.push({ container, name });
    const error = await container.start().then(
      () => null,
      (cause: unknown) => (cause instanceof Error ? cause.message.trim() : String(cause)),
    );
    return { container, name, error };
  };

  const check = async ({ container, name }: Entry, hostPort: number | null): Promise<HealthResult> => {
    const url = hostPort === null ? null : healthUrl(service, hostPort);
    log(url === null ? `waiting for ${name} to keep running` : `health check: GET ${url}`);
    return waitHealthy(container, { url, timeoutMs, signal, docker });
  };

  /** Starts one new container and waits for it; a failure is reported, the revert is the caller's. */
  const startHealthy = async (p: ContainerPlan, fixedPort: number | null): Promise<Entry | Failure> => {
    const started = await start(p);
    let health: HealthResult;
    if (started.error !== null) {
      // The engine refuses to start when the host port is taken (by anything).
      const reason = fixedPort === null ? started.error : `cannot start on 127.0.0.1:${fixedPort}: ${started.error}`;
      health = { ok: false, kind: 'exited', reason };
    } else {
      log(fixedPort === null ? `started ${started.name} (${request.image})` : `started ${started.name} on 127.0.0.1:${fixedPort}`);
      health = await check(started, fixedPort ?? (await portOf(started.container)));
    }
    if (health.ok) {
      log(fixedPort === null ? `${started.name} is healthy after ${health.ms} ms` : `${started.name} is healthy on 127.0.0.1:${fixedPort}`);
      return started;
    }
    if (health.kind === 'canceled') return canceled();
    const logTail = await containerLogTail(started.container);
    const reason = `${service.name} is not healthy: ${health.reason}`;
    log(reason);
    for (const line of logTail) log(`${started.name} | ${line}`);
    return { ok: false, reason, logTail };
  };

  const swap = async (): Promise<Failure | null> => {
    // A canary on an ephemeral port first: the old version keeps its port until the new one proved itself.
    const canary = exposed !== null && volume === null ? await startHealthy(plan('canary', 'ephemeral'), null) : null;
    if (canary !== null && 'ok' in canary) return canary;
    if (signal.aborted) return canceled();
    for (const entry of old.filter((o) => o.running)) await stopOld(entry);
    if (service.replicas === 0) return null;
    const final = await startHealthy(plan('service', exposed ?? ephemeral), exposed);
    if ('ok' in final) return final;
    if (canary !== null) await remove(canary);
    return null;
  };

  const rolling = async (): Promise<Failure | null> => {
    const running = old.filter((o) => o.running);
    for (let replica = 0; replica < service.replicas; replica++) {
      if (signal.aborted) return canceled();
      const next = await startHealthy(plan('service', ephemeral, replica), null);
      if ('ok' in next) return next;
      // One more new replica serves: one old one may go.
      const outgoing = running.shift();
      if (outgoing) await stopOld(outgoing);
    }
    for (const entry of running.splice(0)) await stopOld(entry);
    return null;
  };

  try {
    const failure = exposed !== null || volume !== null ? await swap() : await rolling();
    if (failure) {
      await revert();
      return failure;
    }
    // The new version serves: the old containers go.
    for (const entry of old) await remove(entry);
    return { ok: true };
  } catch (error) {
    // Put the old version back before reporting an engine failure or a cancel.
    await revert().catch((revertError: unknown) => options.logger?.error({ err: revertError, deploymentId: request.deploymentId }, 'revert failed'));
    if (signal.aborted) return canceled();
    throw error;
  }
}

/** Starting a running container or stopping a stopped one answers 304: already as wanted. */
export function ignoreNotModified(error: unknown): void {
  if ((error as { statusCode?: number }).statusCode !== 304) throw error;
}
