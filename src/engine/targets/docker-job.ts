import type Dockerode from 'dockerode';
import { durationText } from '../../domain/duration.ts';
import { isNotFound, removeContainer } from '../docker/client.ts';
import type { Outcome, RolloutRequest } from '../ports.ts';
import { containerLogTail } from './container-health.ts';
import { containerName, createOptions, labelFilter, LABELS, type ContainerPlan } from './container-spec.ts';

/** How long a job may run when its spec (recorded before `timeout` existed) does not say. */
const DEFAULT_JOB_TIMEOUT_MS = 600_000;
/** The most of a job's output copied into the deployment log. */
const OUTPUT_LINES = 1_000;
const TAIL_LINES = 30;

export interface JobRun {
  docker: Dockerode;
  request: RolloutRequest;
}

type Ending = { kind: 'exited'; code: number } | { kind: 'timeout' } | { kind: 'canceled' };

/**
 * Runs a lifecycle job as one container to completion: exit 0 is success; a non-zero exit, the
 * timeout or a cancel fails it with its last lines. Its output goes to the deployment log, and
 * the container is removed afterwards, whatever happened.
 */
export async function runJobContainer({ docker, request }: JobRun): Promise<Outcome> {
  const { placement, service, signal } = request;
  const log = (line: string) => request.log(line);
  const timeoutMs = service.timeoutMs ?? DEFAULT_JOB_TIMEOUT_MS;
  const plan: ContainerPlan = {
    placement,
    service,
    deploymentId: request.deploymentId,
    image: request.image,
    version: request.version,
    role: 'job',
    hostPort: null,
    replica: 0,
    volume: null,
    ...(request.secrets ? { secrets: request.secrets } : {}),
  };
  const name = containerName(plan);
  // A run left by an interrupted attempt (a process that died) goes first.
  for (const info of await docker.listContainers({ all: true, filters: { label: labelFilter(placement, service.name) } })) {
    if (info.Labels[LABELS.role] === 'job') await removeContainer(docker.getContainer(info.Id));
  }

  const container = await docker.createContainer(createOptions(plan));
  try {
    try {
      await container.start();
    } catch (error) {
      const reason = `${service.name}: cannot start ${name}: ${error instanceof Error ? error.message.trim() : String(error)}`;
      return { ok: false, reason, logTail: await containerLogTail(container, TAIL_LINES) };
    }
    log(`started ${name} (${request.image}); it may run for ${durationText(timeoutMs)}`);
    const started = Date.now();
    const ending = await waitForEnd(container, timeoutMs, signal);
    const output = await containerLogTail(container, OUTPUT_LINES);
    for (const line of output) log(`${name} | ${line}`);
    const logTail = output.slice(-TAIL_LINES);
    switch (ending.kind) {
      case 'exited':
        if (ending.code === 0) {
          log(`${name} finished after ${Date.now() - started} ms`);
          return { ok: true };
        }
        return { ok: false, reason: `${service.name} failed: the job exited with code ${ending.code}`, logTail };
      case 'timeout':
        return { ok: false, reason: `${service.name} failed: the job did not finish within ${durationText(timeoutMs)} and was stopped`, logTail };
      case 'canceled':
        return { ok: false, reason: 'rollout canceled', logTail };
    }
  } finally {
    await removeContainer(container);
    log(`removed ${name}`);
  }
}

/** The container's exit, or the timeout or a cancel (after which the container is killed and its end awaited). */
async function waitForEnd(container: Dockerode.Container, timeoutMs: number, signal: AbortSignal): Promise<Ending> {
  const exited = container.wait().then((result: { StatusCode: number }): Ending => ({ kind: 'exited', code: result.StatusCode }));
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const cut = new Promise<Ending>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    onAbort = () => resolve({ kind: 'canceled' });
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    const ending = await Promise.race([exited, cut]);
    if (ending.kind !== 'exited') {
      await container.kill().catch((error: unknown) => {
        // Already gone by itself: what counts is that it is not running any more.
        if ((error as { statusCode?: number }).statusCode !== 409 && !isNotFound(error)) throw error;
      });
      await exited.catch(() => undefined);
    }
    return ending;
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
