/**
 * The Deployment controller, after pkg/controller/deployment: one ReplicaSet per
 * pod template (`<deployment>-<pod-template-hash>`), found again when a template
 * comes back (a rollback re-uses the old ReplicaSet and gives it the next
 * revision), rolling updates within maxSurge/maxUnavailable, Recreate, pause,
 * and old ReplicaSets pruned beyond revisionHistoryLimit.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, deepEqual, hashOf, timestamp } from '../util.ts';
import { CONTROLLER_MANAGER, controlledBy, ownerReference, setCondition, type ControllerContext } from './common.ts';
import { desiredReplicas, maxSurge, maxUnavailable, pausedConditions, pausedStatus, rolloutStatus } from './deployment-status.ts';

const HASH_LABEL = 'pod-template-hash';
const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
const DESIRED = 'deployment.kubernetes.io/desired-replicas';
const MAX = 'deployment.kubernetes.io/max-replicas';
const NOT_COPIED = new Set(['kubectl.kubernetes.io/last-applied-configuration', REVISION, REVISION_HISTORY, DESIRED, MAX]);
const SOURCE = { component: 'deployment-controller' };

function withoutHash(template: Json): Json {
  const copy = clone(template ?? {});
  if (copy.metadata?.labels) delete copy.metadata.labels[HASH_LABEL];
  return copy;
}

function templateHash(template: Json, collisionCount = 0): string {
  return hashOf(withoutHash(template), collisionCount);
}

const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION] ?? 0);
const replicasOf = (rs: KubeObject): number => rs.spec?.replicas ?? 0;
const byAge = (a: KubeObject, b: KubeObject) => a.metadata.creationTimestamp.localeCompare(b.metadata.creationTimestamp) || a.metadata.name.localeCompare(b.metadata.name);

/** One Deployment's sync, with working copies of its ReplicaSets. */
class DeploymentSync {
  private readonly d: KubeObject;
  private newRS: KubeObject | undefined;
  private olds: KubeObject[];

  constructor(private readonly ctx: ControllerContext, deployment: KubeObject) {
    this.d = clone(deployment);
    const sets = controlledBy(ctx, 'ReplicaSet', deployment).map((rs) => clone(rs)).sort(byAge);
    this.newRS = sets.find((rs) => deepEqual(withoutHash(rs.spec?.template), withoutHash(this.d.spec?.template)));
    this.olds = sets.filter((rs) => rs !== this.newRS);
  }

  private get all(): KubeObject[] {
    return this.newRS ? [...this.olds, this.newRS] : this.olds;
  }

  run(): void {
    const paused = pausedConditions(this.ctx, this.d);
    if (paused) this.d.status = { ...this.d.status, conditions: paused };
    if (this.d.spec?.paused) return this.runPaused();
    if (this.d.spec?.strategy?.type === 'Recreate') this.recreate();
    else this.rolling();
    this.writeStatus(rolloutStatus(this.ctx, this.d, this.all, this.newRS));
  }

  private runPaused(): void {
    const active = this.all.filter((rs) => replicasOf(rs) > 0);
    const only = active.length === 1 ? active[0] : active.length === 0 ? this.newRS : undefined;
    if (only) this.scale(only, desiredReplicas(this.d));
    this.writeStatus(pausedStatus(this.ctx, this.d, this.all, this.newRS));
  }

  private rolling(): void {
    this.ensureNewRS();
    const newRS = this.newRS;
    if (!newRS) return;
    const replicas = desiredReplicas(this.d);
    if (replicas !== replicasOf(newRS)) {
      const target = replicasOf(newRS) > replicas ? replicas : this.newRSReplicas(newRS);
      if (target !== replicasOf(newRS)) return void this.scale(newRS, target);
    }
    if (this.scaleDownOld(newRS)) return;
    if (this.isComplete()) this.cleanup();
  }

  private recreate(): void {
    const active = this.olds.filter((rs) => replicasOf(rs) > 0);
    if (active.length > 0) return active.forEach((rs) => this.scale(rs, 0));
    const oldUids = new Set(this.olds.map((rs) => rs.metadata.uid));
    const oldPodsRunning = this.ctx.registry.store.list('Pod', this.d.metadata.namespace)
      .some((p) => oldUids.has(p.metadata.ownerReferences?.find((r) => r.controller)?.uid ?? '')
        && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed');
    if (oldPodsRunning) return;
    this.ensureNewRS();
    if (this.newRS) this.scale(this.newRS, desiredReplicas(this.d));
    if (this.isComplete()) this.cleanup();
  }

  /** NewRSNewReplicas: how far the new ReplicaSet may grow within maxSurge. */
  private newRSReplicas(newRS: KubeObject | undefined): number {
    const replicas = desiredReplicas(this.d);
    if (this.d.spec?.strategy?.type === 'Recreate') return replicas;
    const have = newRS ? replicasOf(newRS) : 0;
    const current = this.all.reduce((n, rs) => n + replicasOf(rs), 0);
    const maxTotal = replicas + maxSurge(this.d);
    if (current >= maxTotal) return have;
    return have + Math.min(maxTotal - current, replicas - have);
  }

  /** reconcileOldReplicaSets: scale old ReplicaSets down, unhealthy pods first, keeping minAvailable. */
  private scaleDownOld(newRS: KubeObject): boolean {
    const olds = this.olds.filter((rs) => replicasOf(rs) > 0);
    if (olds.length === 0) return false;
    const all = this.all.reduce((n, rs) => n + replicasOf(rs), 0);
    const minAvailable = desiredReplicas(this.d) - maxUnavailable(this.d);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = all - minAvailable - newUnavailable;
    if (maxScaledDown <= 0) return false;
    let cleaned = 0;
    for (const rs of olds) {
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (cleaned >= maxScaledDown || replicasOf(rs) === 0 || unhealthy <= 0) continue;
      const count = Math.min(maxScaledDown - cleaned, unhealthy);
      this.scale(rs, replicasOf(rs) - count);
      cleaned += count;
    }
    const available = this.all.reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    let scaledDown = 0;
    if (available > minAvailable) {
      const total = available - minAvailable;
      for (const rs of olds) {
        if (scaledDown >= total || replicasOf(rs) === 0) continue;
        const count = Math.min(replicasOf(rs), total - scaledDown);
        this.scale(rs, replicasOf(rs) - count);
        scaledDown += count;
      }
    }
    return cleaned + scaledDown > 0;
  }

  private isComplete(): boolean {
    const s = this.d.status ?? {};
    const replicas = desiredReplicas(this.d);
    return (s.updatedReplicas ?? 0) === replicas && (s.replicas ?? 0) === replicas && (s.availableReplicas ?? 0) === replicas
      && (s.observedGeneration ?? 0) >= (this.d.metadata.generation ?? 0);
  }

  /** Deletes the oldest unused ReplicaSets beyond revisionHistoryLimit. */
  private cleanup(): void {
    const limit = this.d.spec?.revisionHistoryLimit ?? 10;
    const unused = this.olds.filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of unused.slice(0, Math.max(0, unused.length - limit))) {
      this.ctx.deleter.deleteObject(rs, 'Background');
      this.olds = this.olds.filter((o) => o !== rs);
    }
  }

  /** getNewReplicaSet: finds or creates the ReplicaSet of the current template and keeps revisions in order. */
  private ensureNewRS(): void {
    const nextRevision = Math.max(0, ...this.olds.map(revisionOf)) + 1;
    const conditions: Json[] = this.d.status?.conditions ?? [];
    const now = timestamp(this.ctx.clock.now());
    if (this.newRS) {
      const rs = this.newRS;
      if (revisionOf(rs) < nextRevision) {
        const annotations = { ...rs.metadata.annotations };
        if (annotations[REVISION]) {
          annotations[REVISION_HISTORY] = [annotations[REVISION_HISTORY], annotations[REVISION]].filter(Boolean).join(',');
        }
        annotations[REVISION] = String(nextRevision);
        rs.metadata.annotations = annotations;
        this.save(rs);
      }
      this.setDeploymentRevision(rs.metadata.annotations?.[REVISION] ?? '');
      if (!conditions.some((c) => c.type === 'Progressing') && this.d.spec?.progressDeadlineSeconds) {
        this.d.status = { ...this.d.status, conditions: setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${rs.metadata.name}"` }, now, true) };
      }
      return;
    }
    const collisions = this.d.status?.collisionCount ?? 0;
    const hash = templateHash(this.d.spec.template, collisions);
    const name = `${this.d.metadata.name}-${hash}`;
    if (this.ctx.registry.store.get('ReplicaSet', this.d.metadata.namespace, name)) {
      // Another template took this name: count the collision and try another hash next sync.
      this.d.status = { ...this.d.status, collisionCount: collisions + 1 };
      return;
    }
    const template = clone(this.d.spec.template);
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH_LABEL]: hash } };
    const annotations = Object.fromEntries(Object.entries((this.d.metadata.annotations ?? {}) as Record<string, string>).filter(([k]) => !NOT_COPIED.has(k)));
    const replicas = this.newRSReplicas(undefined);
    const created = this.ctx.registry.createInternal({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name, namespace: this.d.metadata.namespace, labels: template.metadata.labels,
        annotations: { ...annotations, [DESIRED]: String(desiredReplicas(this.d)), [MAX]: String(desiredReplicas(this.d) + maxSurge(this.d)), [REVISION]: String(nextRevision) },
        ownerReferences: [ownerReference(this.d)],
      },
      spec: {
        replicas,
        minReadySeconds: this.d.spec.minReadySeconds ?? 0,
        selector: { ...clone(this.d.spec.selector), matchLabels: { ...this.d.spec.selector?.matchLabels, [HASH_LABEL]: hash } },
        template,
      },
    }, CONTROLLER_MANAGER);
    this.newRS = clone(created);
    if (replicas > 0) this.ctx.events.record(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${name} to ${replicas}`, SOURCE);
    this.setDeploymentRevision(String(nextRevision));
    if (this.d.spec.progressDeadlineSeconds) {
      this.d.status = { ...this.d.status, conditions: setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${name}"` }, now, true) };
    }
  }

  private setDeploymentRevision(revision: string): void {
    if (!revision || this.d.metadata.annotations?.[REVISION] === revision) return;
    this.d.metadata.annotations = { ...this.d.metadata.annotations, [REVISION]: revision };
    const saved = this.ctx.registry.updateInternal(this.d, CONTROLLER_MANAGER);
    if (saved) this.d.metadata = clone(saved.metadata);
  }

  /** scaleReplicaSet: size and the desired/max annotations, with a ScalingReplicaSet event for a size change. */
  private scale(rs: KubeObject, replicas: number): void {
    const from = replicasOf(rs);
    const annotations = { ...rs.metadata.annotations, [DESIRED]: String(desiredReplicas(this.d)), [MAX]: String(desiredReplicas(this.d) + maxSurge(this.d)) };
    if (from === replicas && deepEqual(annotations, rs.metadata.annotations)) return;
    rs.spec.replicas = replicas;
    rs.metadata.annotations = annotations;
    this.save(rs);
    if (from !== replicas) {
      const direction = replicas > from ? 'up' : 'down';
      this.ctx.events.record(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} to ${replicas} from ${from}`, SOURCE);
    }
  }

  private save(rs: KubeObject): void {
    const saved = this.ctx.registry.updateInternal(rs, CONTROLLER_MANAGER);
    if (saved) rs.metadata = clone(saved.metadata);
  }

  private writeStatus(status: Json): void {
    const current = this.ctx.registry.store.get('Deployment', this.d.metadata.namespace, this.d.metadata.name);
    if (!current || deepEqual(current.status, status)) return;
    this.ctx.registry.updateInternal({ ...clone(current), status }, CONTROLLER_MANAGER, 'status');
  }
}

export function syncDeployments(ctx: ControllerContext): void {
  for (const d of ctx.registry.store.list('Deployment')) {
    if (!d.metadata.deletionTimestamp) new DeploymentSync(ctx, d).run();
  }
}

