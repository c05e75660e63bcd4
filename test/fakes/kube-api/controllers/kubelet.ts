/**
 * The scheduler and the one node's kubelet: binds new pods to `fake-node`, runs
 * their containers as their images' behaviours say, writes pod status (phase,
 * conditions, containerStatuses), serves logs, and finishes graceful deletions.
 * Init containers complete at once.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, deepEqual, timestamp } from '../util.ts';
import { programOf, type Behaviours, type Program } from './behaviours.ts';
import { NODE_NAME, type ControllerContext } from './common.ts';
import {
  containerStatus, ContainerStepper, isContainerReady, newContainer, type ContainerRuntime, type Instance,
} from './container-runtime.ts';

interface PodRuntime {
  containers: ContainerRuntime[];
  ip: string;
  startedAt: number;
  killedAt?: number;
}

export type LogsOutcome = { ok: true; instance: Instance } | { ok: false; message: string };

const HOST_IP = '10.0.0.10';

export class Kubelet {
  private readonly pods = new Map<string, PodRuntime>();
  private nextIp = 2;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly behaviours: Behaviours,
    private readonly podReadySeconds: number,
  ) {}

  tick(): void {
    const now = this.ctx.clock.now();
    for (const pod of this.ctx.registry.store.list('Pod')) {
      if (pod.metadata.deletionTimestamp) this.terminate(pod, now);
      else this.sync(this.schedule(pod), now);
    }
    for (const uid of this.pods.keys()) {
      if (!this.ctx.registry.store.byUid(uid)) this.pods.delete(uid);
    }
  }

  /** The instance `?previous=` asks for, or why there is none (the kubelet's wording). */
  logs(pod: KubeObject, container: string, previous: boolean): LogsOutcome {
    const c = this.pods.get(pod.metadata.uid)?.containers.find((x) => x.name === container);
    const podName = pod.metadata.name;
    if (previous) {
      const instance = c && (c.phase === 'crash-backoff' ? c.instances.at(-1) : c.instances.at(-2));
      return instance ? { ok: true, instance } : { ok: false, message: `previous terminated container "${container}" in pod "${podName}" not found` };
    }
    const instance = c?.phase === 'crash-backoff' ? undefined : c?.instances.at(-1);
    if (instance) return { ok: true, instance };
    const reason = !c || c.phase === 'creating' ? 'ContainerCreating'
      : c.phase === 'pull-error' || c.phase === 'pull-backoff' ? "image can't be pulled"
        : c.phase === 'config-error' ? 'CreateContainerConfigError' : 'CrashLoopBackOff';
    return { ok: false, message: `container "${container}" in pod "${podName}" is waiting to start: ${reason}` };
  }

  /**
   * Running pods' containers whose image matches take up another program: a healthy pod starts
   * crash-looping (its running instance exits at the next tick), a crash-looping one runs well
   * from its next restart. Returns how many containers changed.
   */
  reprogram(pattern: string | RegExp, program: (image: string) => Program): number {
    let changed = 0;
    for (const runtime of this.pods.values()) {
      for (const c of runtime.containers) {
        if (typeof pattern === 'string' ? !c.image.includes(pattern) : !pattern.test(c.image)) continue;
        c.program = program(c.image);
        changed++;
      }
    }
    return changed;
  }

  /** Appends a line to a running container's output (the pod's only container when none is named). */
  write(pod: KubeObject, line: string, container?: string): boolean {
    const runtime = this.pods.get(pod.metadata.uid);
    const c = container === undefined ? (runtime?.containers.length === 1 ? runtime.containers[0] : undefined) : runtime?.containers.find((x) => x.name === container);
    const instance = c?.phase === 'running' ? c.instances.at(-1) : undefined;
    if (!instance || instance.finishedAt !== undefined) return false;
    const stamps = instance.writtenAt ?? instance.logs.map(() => instance.startedAt);
    instance.logs.push(line);
    instance.writtenAt = [...stamps, this.ctx.clock.now()];
    return true;
  }

  /** Whether the container's current instance has stopped (a followed log ends). */
  instanceEnded(uid: string, container: string): boolean {
    const c = this.pods.get(uid)?.containers.find((x) => x.name === container);
    return !c || c.instances.at(-1)?.finishedAt !== undefined;
  }

  private schedule(pod: KubeObject): KubeObject {
    if (pod.spec?.nodeName) return pod;
    const next = clone(pod);
    next.spec.nodeName = NODE_NAME;
    const bound = this.ctx.registry.updateInternal(next, 'kube-scheduler') ?? pod;
    this.ctx.events.record(bound, 'Normal', 'Scheduled', `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${NODE_NAME}`, { component: 'default-scheduler' });
    return bound;
  }

  private runtimeOf(pod: KubeObject, now: number): PodRuntime {
    let runtime = this.pods.get(pod.metadata.uid);
    if (!runtime) {
      const jobPod = pod.metadata.ownerReferences?.some((r) => r.kind === 'Job') ?? false;
      const containers = (pod.spec?.containers ?? []).map((c: Json) => newContainer(
        c.name, c.image, programOf(this.behaviours.for(c.image ?? '', jobPod), this.podReadySeconds), now));
      runtime = { containers, ip: this.allocateIp(), startedAt: now };
      this.pods.set(pod.metadata.uid, runtime);
    }
    return runtime;
  }

  private sync(pod: KubeObject, now: number): void {
    const runtime = this.runtimeOf(pod, now);
    const stepper = new ContainerStepper(this.ctx, pod);
    for (const c of runtime.containers) stepper.step(c, now);
    this.writeStatus(pod, runtime, now);
  }

  private terminate(pod: KubeObject, now: number): void {
    const runtime = this.pods.get(pod.metadata.uid);
    if (runtime && runtime.killedAt === undefined) {
      runtime.killedAt = now;
      const stepper = new ContainerStepper(this.ctx, pod);
      for (const c of runtime.containers) stepper.kill(c, now);
    }
    // Containers stop promptly on SIGTERM: the pod goes a fake second after the kill, or at its deadline.
    const deadline = Math.min(Date.parse(pod.metadata.deletionTimestamp as string), (runtime?.killedAt ?? now) + 1000);
    if (now >= deadline) {
      this.ctx.deleter.removeNow(pod);
      this.pods.delete(pod.metadata.uid);
    }
  }

  private writeStatus(pod: KubeObject, runtime: PodRuntime, now: number): void {
    const status = this.statusOf(pod, runtime, now);
    if (deepEqual(status, pod.status)) return;
    this.ctx.registry.updateInternal({ ...clone(pod), status }, 'kubelet', 'status');
  }

  private statusOf(pod: KubeObject, runtime: PodRuntime, now: number): Json {
    const containers = runtime.containers;
    const done = containers.every((c) => c.phase === 'done');
    const phase = done
      ? (containers.every((c) => c.instances.at(-1)?.exitCode === 0) ? 'Succeeded' : 'Failed')
      : containers.every((c) => c.instances.length > 0) ? 'Running' : 'Pending';
    const unready = containers.filter((c) => !isContainerReady(c, now)).map((c) => c.name);
    const started = timestamp(runtime.startedAt);
    const previous: Json[] = pod.status?.conditions ?? [];
    const condition = (type: string, ok: boolean, reason?: string, message?: string) => {
      const status = ok ? 'True' : 'False';
      const old = previous.find((c) => c.type === type);
      return {
        type, status, lastProbeTime: null,
        lastTransitionTime: old?.status === status ? old.lastTransitionTime : timestamp(now),
        ...(reason ? { reason } : {}), ...(message ? { message } : {}),
      };
    };
    const finished = phase === 'Succeeded' || phase === 'Failed';
    const readyReason = finished ? 'PodCompleted' : 'ContainersNotReady';
    const readyMessage = finished ? undefined : `containers with unready status: [${unready.join(' ')}]`;
    const ready = unready.length === 0 && !finished;
    const initContainers: Json[] = pod.spec?.initContainers ?? [];
    return {
      phase,
      conditions: [
        condition('PodReadyToStartContainers', !finished),
        condition('Initialized', true),
        ready ? condition('Ready', true) : condition('Ready', false, readyReason, readyMessage),
        ready ? condition('ContainersReady', true) : condition('ContainersReady', false, readyReason, readyMessage),
        { type: 'PodScheduled', status: 'True', lastProbeTime: null, lastTransitionTime: started },
      ],
      hostIP: HOST_IP,
      hostIPs: [{ ip: HOST_IP }],
      podIP: runtime.ip,
      podIPs: [{ ip: runtime.ip }],
      startTime: started,
      ...(initContainers.length > 0 ? {
        initContainerStatuses: initContainers.map((c) => ({
          name: c.name, image: c.image, imageID: '', ready: true, restartCount: 0, started: false, lastState: {},
          state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: started, finishedAt: started } },
        })),
      } : {}),
      containerStatuses: containers.map((c) => containerStatus(c, pod, now)),
      qosClass: pod.status?.qosClass ?? 'BestEffort',
    };
  }

  private allocateIp(): string {
    const n = this.nextIp++;
    return `10.244.${Math.floor(n / 254)}.${(n % 254) + 1}`;
  }
}
