/**
 * One container's life in the fake kubelet: image pull (with ErrImagePull and
 * ImagePullBackOff alternating under back-off), creation, running, exiting, and
 * restarts under CrashLoopBackOff — with the kubelet's events for each step.
 * Back-offs double from 10 s up to 300 s of fake time, as the kubelet's do.
 */
import type { Json, KubeObject } from '../types.ts';
import { fnv32a, randomHex, timestamp } from '../util.ts';
import type { Program } from './behaviours.ts';
import { NODE_NAME, type ControllerContext } from './common.ts';

export interface Instance {
  containerID: string;
  startedAt: number;
  finishedAt?: number;
  exitCode?: number;
  reason?: string;
  logs: string[];
  /** When each line of `logs` was written (missing: at `startedAt`, the image's own lines). */
  writtenAt?: number[];
}

export type ContainerPhase =
  | 'creating' | 'pull-error' | 'pull-backoff' | 'config-error' | 'running' | 'exited' | 'crash-backoff' | 'done';

export interface ContainerRuntime {
  name: string;
  image: string;
  program: Program;
  phase: ContainerPhase;
  since: number;
  until: number;
  pullFailures: number;
  pulled: boolean;
  restarts: number;
  instances: Instance[];
  lastWarningAt: number;
  /** Why the kubelet cannot create it now (CreateContainerConfigError), e.g. a Secret it references is missing. */
  configError?: string;
}

const SECOND = 1000;
const backoff = (attempt: number) => Math.min(10 * 2 ** Math.max(0, attempt - 1), 300) * SECOND;

/** `docker.io/library/nginx:1.25`: how containerd names an image in its messages. */
function imageReference(image: string): string {
  const [first = ''] = image.split('/');
  const withRegistry = image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
    ? image : `docker.io/${image.includes('/') ? image : `library/${image}`}`;
  return /:[^/]+$/.test(withRegistry) || withRegistry.includes('@') ? withRegistry : `${withRegistry}:latest`;
}

export function imageID(image: string): string {
  const digest = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => fnv32a(`${i}${image}`).toString(16).padStart(8, '0')).join('');
  return `${imageReference(image).replace(/:[^/:]+$/, '')}@sha256:${digest}`;
}

function pullErrorMessage(image: string): string {
  const ref = imageReference(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": failed to resolve reference "${ref}": ${ref}: not found`;
}

export function newContainer(name: string, image: string, program: Program, now: number): ContainerRuntime {
  return {
    name, image, program, phase: 'creating', since: now, until: 0, pullFailures: 0, pulled: false, restarts: 0,
    instances: [], lastWarningAt: 0,
  };
}

export class ContainerStepper {
  constructor(private readonly ctx: ControllerContext, private readonly pod: KubeObject) {}

  private event(c: ContainerRuntime, type: 'Normal' | 'Warning', reason: string, message: string): void {
    this.ctx.events.record(this.pod, type, reason, message, { component: 'kubelet', host: NODE_NAME }, `spec.containers{${c.name}}`);
  }

  private enter(c: ContainerRuntime, phase: ContainerPhase, now: number): void {
    c.phase = phase;
    c.since = now;
  }

  private failPull(c: ContainerRuntime, now: number): void {
    c.pullFailures++;
    this.enter(c, 'pull-error', now);
    this.event(c, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${pullErrorMessage(c.image)}`);
    this.event(c, 'Warning', 'Failed', 'Error: ErrImagePull');
  }

  private start(c: ContainerRuntime, now: number): void {
    c.instances.push({ containerID: `containerd://${randomHex(32)}`, startedAt: now, logs: [...c.program.logs] });
    this.enter(c, 'running', now);
    this.event(c, 'Normal', 'Created', `Created container: ${c.name}`);
    this.event(c, 'Normal', 'Started', `Started container ${c.name}`);
  }

  private restarts(c: ContainerRuntime, exitCode: number): boolean {
    const policy = this.pod.spec?.restartPolicy ?? 'Always';
    return policy === 'Always' || (policy === 'OnFailure' && exitCode !== 0);
  }

  /**
   * What the kubelet says when a Secret the container's `envFrom` or `env` references (and does
   * not mark optional) is not there, in its wording; undefined when every one resolves.
   */
  private missingReference(c: ContainerRuntime): string | undefined {
    const spec: Json = (this.pod.spec?.containers ?? []).find((x: Json) => x.name === c.name) ?? {};
    const namespace = this.pod.metadata.namespace ?? 'default';
    const secret = (name: string): Json => this.ctx.registry.store.get('Secret', namespace, name);
    for (const from of spec.envFrom ?? []) {
      const ref = from.secretRef;
      if (ref && !ref.optional && !secret(ref.name)) return `secret "${ref.name}" not found`;
    }
    for (const variable of spec.env ?? []) {
      const ref = variable.valueFrom?.secretKeyRef;
      if (!ref || ref.optional) continue;
      const found = secret(ref.name);
      if (!found) return `secret "${ref.name}" not found`;
      if (!(ref.key in (found.data ?? {})) && !(ref.key in (found.stringData ?? {}))) return `couldn't find key ${ref.key} in Secret ${namespace}/${ref.name}`;
    }
    return undefined;
  }

  /** Moves the container along its program to fake time `now`. */
  step(c: ContainerRuntime, now: number): void {
    const instance = c.instances.at(-1);
    switch (c.phase) {
      case 'creating':
        this.event(c, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
        if (c.program.pullFails) return this.failPull(c, now);
        c.pulled = true;
        this.event(c, 'Normal', 'Pulled', `Successfully pulled image "${c.image}" in 512ms (512ms including waiting). Image size: 27812743 bytes.`);
        c.configError = c.program.configError ?? this.missingReference(c);
        if (c.configError) {
          this.enter(c, 'config-error', now);
          c.lastWarningAt = now;
          return this.event(c, 'Warning', 'Failed', `Error: ${c.configError}`);
        }
        return this.start(c, now);
      case 'pull-error':
        if (now < c.since + SECOND) return;
        this.enter(c, 'pull-backoff', now);
        c.until = now + backoff(c.pullFailures);
        this.event(c, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`);
        return this.event(c, 'Warning', 'Failed', 'Error: ImagePullBackOff');
      case 'pull-backoff':
        if (now < c.until) return;
        this.event(c, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
        return this.failPull(c, now);
      case 'config-error':
        if (now < c.lastWarningAt + 10 * SECOND) return;
        c.lastWarningAt = now;
        // The kubelet tries again: a Secret created meanwhile lets the container start.
        c.configError = c.program.configError ?? this.missingReference(c);
        if (!c.configError) return this.start(c, now);
        return this.event(c, 'Warning', 'Failed', `Error: ${c.configError}`);
      case 'running':
        if (!instance) return;
        if (c.program.exitAfter !== undefined && now >= instance.startedAt + c.program.exitAfter * SECOND) {
          instance.finishedAt = now;
          instance.exitCode = c.program.exitCode;
          instance.reason = c.program.exitReason;
          return this.enter(c, this.restarts(c, c.program.exitCode) ? 'exited' : 'done', now);
        }
        if (c.program.readyAfter === null && now >= c.lastWarningAt + 10 * SECOND) {
          c.lastWarningAt = now;
          this.event(c, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503');
        }
        return;
      case 'exited':
        if (now < c.since + SECOND) return;
        this.enter(c, 'crash-backoff', now);
        c.until = now + backoff(c.restarts + 1);
        return this.event(c, 'Warning', 'BackOff',
          `Back-off restarting failed container ${c.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.pod.metadata.uid})`);
      case 'crash-backoff':
        if (now < c.until) return;
        c.restarts++;
        this.event(c, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`);
        return this.start(c, now);
      case 'done':
        return;
    }
  }

  /** Stops a running container for a pod being deleted. */
  kill(c: ContainerRuntime, now: number): void {
    const instance = c.instances.at(-1);
    if (c.phase !== 'running' || !instance) return;
    this.event(c, 'Normal', 'Killing', `Stopping container ${c.name}`);
    instance.finishedAt = now;
    instance.exitCode = 0;
    instance.reason = 'Completed';
    this.enter(c, 'done', now);
  }
}

const terminated = (i: Instance) => ({
  terminated: {
    exitCode: i.exitCode ?? 0, reason: i.reason ?? 'Completed',
    startedAt: timestamp(i.startedAt), finishedAt: timestamp(i.finishedAt ?? i.startedAt), containerID: i.containerID,
  },
});

export function isContainerReady(c: ContainerRuntime, now: number): boolean {
  const instance = c.instances.at(-1);
  return c.phase === 'running' && instance !== undefined && c.program.readyAfter !== null
    && now >= instance.startedAt + c.program.readyAfter * SECOND;
}

/** The containerStatuses entry for this container at fake time `now`. */
export function containerStatus(c: ContainerRuntime, pod: KubeObject, now: number): object {
  const last = c.instances.at(-1);
  const previous = c.instances.at(-2);
  let state: object;
  let lastState: object = previous ? terminated(previous) : {};
  switch (c.phase) {
    case 'creating': state = { waiting: { reason: 'ContainerCreating' } }; break;
    case 'pull-error': state = { waiting: { reason: 'ErrImagePull', message: pullErrorMessage(c.image) } }; break;
    case 'pull-backoff': state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } }; break;
    case 'config-error': state = { waiting: { reason: 'CreateContainerConfigError', message: c.configError } }; break;
    case 'running': state = { running: { startedAt: timestamp(last?.startedAt ?? now) } }; break;
    case 'crash-backoff':
      state = {
        waiting: {
          reason: 'CrashLoopBackOff',
          message: `back-off ${Math.round((c.until - c.since) / SECOND)}s restarting failed container=${c.name} pod=${pod.metadata.name}_${pod.metadata.namespace}(${pod.metadata.uid})`,
        },
      };
      lastState = last ? terminated(last) : {};
      break;
    case 'exited':
    case 'done':
      state = last ? terminated(last) : { waiting: { reason: 'ContainerCreating' } };
      break;
  }
  return {
    name: c.name,
    state,
    lastState,
    ready: isContainerReady(c, now),
    restartCount: c.restarts,
    image: c.image,
    imageID: c.pulled ? imageID(c.image) : '',
    ...(last ? { containerID: last.containerID } : {}),
    started: c.phase === 'running',
  };
}
