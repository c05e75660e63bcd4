import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { EnvironmentReading, WorkloadReading } from '../../domain/running-status.ts';
import type { Placement, RunningWatch } from '../ports.ts';
import { inspectContainer } from '../docker/client.ts';
import { labelFilter, LABELS } from './container-spec.ts';

export interface DockerRunningOptions {
  logger?: Logger;
  /** The first wait before connecting again to an engine that did not answer (doubled up to 5 s; default 250 ms). */
  retryMs?: number;
}

interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { Attributes?: Record<string, string> };
}

/**
 * What runs in one environment on a Docker engine: its serving containers (label
 * `io.hoist.role=service`, one or more per service), counted per service. A container that
 * runs is ready; one the engine keeps restarting is failing; restarts are the engine's count.
 */
export async function readEnvironment(docker: Dockerode, placement: Placement): Promise<WorkloadReading[]> {
  const listed = await docker.listContainers({ all: true, filters: { label: [...labelFilter(placement), `${LABELS.role}=service`] } });
  const byService = new Map<string, WorkloadReading>();
  for (const container of listed) {
    const service = container.Labels[LABELS.service];
    if (service === undefined) continue;
    const reading = byService.get(service) ?? { service, desired: 0, ready: 0, restarts: 0, failing: null };
    byService.set(service, reading);
    const info = await inspectContainer(docker.getContainer(container.Id)).catch(() => null);
    // Removed between the list and now: a replaced container, no longer counted.
    if (info === null) continue;
    reading.desired += 1;
    reading.restarts += info.RestartCount ?? 0;
    const unhealthy = info.State.Health?.Status === 'unhealthy';
    if (info.State.Running && !info.State.Restarting && !unhealthy) reading.ready += 1;
    if (info.State.Restarting) reading.failing ??= `container ${info.Name.replace(/^\//, '')} keeps restarting (last exit code ${info.State.ExitCode})`;
  }
  return [...byService.values()].sort((a, b) => a.service.localeCompare(b.service));
}

/**
 * Follows the engine's container events for Hoist's serving containers and reads an
 * environment again when one of its containers changes (each environment read by one read at
 * a time, a change during a read reads it once more). A broken event stream makes every
 * environment UNKNOWN until the engine answers again; then all are read afresh.
 */
export function watchDockerRunning(
  docker: Dockerode,
  placements: readonly Placement[],
  onReading: (placement: Placement, reading: EnvironmentReading) => void,
  options: DockerRunningOptions = {},
): RunningWatch {
  const firstRetry = options.retryMs ?? 250;
  const keyOf = (app: string, env: string) => `${app}\n${env}`;
  const byKey = new Map(placements.map((p) => [keyOf(p.app, p.env), p]));
  const reading = new Map<string, Promise<void>>();
  const dirty = new Set<string>();
  let stream: NodeJS.ReadableStream | null = null;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let failures = 0;

  function read(key: string): void {
    const placement = byKey.get(key);
    if (placement === undefined || stopped) return;
    if (reading.has(key)) {
      dirty.add(key);
      return;
    }
    const done = readEnvironment(docker, placement)
      .then(
        (workloads) => ({ ok: true as const, workloads }),
        (error: unknown) => ({ ok: false as const, reason: `the engine did not answer: ${error instanceof Error ? error.message : String(error)}` }),
      )
      .then((result) => {
        if (!stopped) onReading(placement, result);
      })
      .finally(() => {
        reading.delete(key);
        if (dirty.delete(key)) read(key);
      });
    reading.set(key, done);
  }

  function unreachable(reason: string): void {
    for (const placement of placements) onReading(placement, { ok: false, reason });
  }

  function retry(reason: string): void {
    stream = null;
    if (stopped) return;
    failures += 1;
    if (failures === 1) options.logger?.warn({ reason }, 'engine events stopped; connecting again');
    unreachable(`the engine did not answer: ${reason}`);
    retryTimer = setTimeout(connect, Math.min(firstRetry * 2 ** (failures - 1), 5_000));
  }

  function connect(): void {
    retryTimer = null;
    if (stopped) return;
    docker.getEvents({ filters: { type: ['container'], label: [`${LABELS.role}=service`] } }).then(
      (events) => {
        if (stopped) {
          (events as unknown as { destroy?: () => void }).destroy?.();
          return;
        }
        if (failures > 0) options.logger?.info('engine events follow again');
        failures = 0;
        stream = events;
        let buffered = '';
        events.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          let newline = buffered.indexOf('\n');
          while (newline >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line !== '') onEvent(line);
            newline = buffered.indexOf('\n');
          }
        });
        events.on('error', (error: Error) => retry(error.message));
        events.on('end', () => retry('the event stream ended'));
        // Read after the stream is open: no change falls between the read and the first event.
        for (const key of byKey.keys()) read(key);
      },
      (error: unknown) => retry(error instanceof Error ? error.message : String(error)),
    );
  }

  function onEvent(line: string): void {
    let event: EngineEvent;
    try {
      event = JSON.parse(line) as EngineEvent;
    } catch {
      return;
    }
    const attributes = event.Actor?.Attributes ?? {};
    const app = attributes[LABELS.app];
    const env = attributes[LABELS.env];
    if (app !== undefined && env !== undefined) read(keyOf(app, env));
  }

  connect();
  return {
    async stop() {
      stopped = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      const current = stream as unknown as { destroy?: () => void } | null;
      stream = null;
      current?.destroy?.();
      await Promise.allSettled([...reading.values()]);
    },
  };
}
