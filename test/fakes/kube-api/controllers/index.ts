/**
 * The control plane's loop: every tick (real ms) each controller syncs once
 * against the fake clock, in the order a change usually flows — Deployment,
 * ReplicaSet, StatefulSet, Job, CronJob, then scheduler and kubelet, the
 * ingress controller and cert-manager, volume binding and garbage collection.
 */
import { Behaviours } from './behaviours.ts';
import type { ControllerContext } from './common.ts';
import { syncCronJobs } from './cronjob.ts';
import { syncDeployments } from './deployment.ts';
import { bindClaims, collectGarbage } from './garbage-collector.ts';
import { IngressControllers, type IngressOptions } from './ingress.ts';
import { syncJobs } from './job.ts';
import { Kubelet } from './kubelet.ts';
import { syncReplicaSets } from './replicaset.ts';
import { StatefulSetController } from './statefulset.ts';

export class ControlPlane {
  readonly behaviours = new Behaviours();
  readonly kubelet: Kubelet;
  /** Failures inside a tick: kept (and the loop goes on) so a test can see them. */
  readonly errors: Error[] = [];
  /** The ingress controller and cert-manager. */
  readonly ingress: IngressControllers;
  private readonly statefulSets: StatefulSetController;
  private timer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly ctx: ControllerContext, podReadySeconds: number, ingress: IngressOptions = {}) {
    this.kubelet = new Kubelet(ctx, this.behaviours, podReadySeconds);
    this.statefulSets = new StatefulSetController(ctx);
    this.ingress = new IngressControllers(ctx, ingress);
  }

  start(tickMs: number): void {
    this.timer = setInterval(() => this.tick(), tickMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Called after every tick (for waits in tests). */
  onTick(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  tick(): void {
    try {
      syncDeployments(this.ctx);
      syncReplicaSets(this.ctx);
      this.statefulSets.tick();
      syncJobs(this.ctx);
      syncCronJobs(this.ctx);
      this.kubelet.tick();
      this.ingress.tick();
      bindClaims(this.ctx);
      collectGarbage(this.ctx);
    } catch (error) {
      this.errors.push(error as Error);
    }
    for (const listener of [...this.listeners]) listener();
  }
}
