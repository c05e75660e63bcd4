/**
 * A Deployment's status as pkg/controller/deployment computes it
 * (calculateStatus, syncRolloutStatus, checkPausedConditions): the replica
 * counts, Available (MinimumReplicasAvailable / MinimumReplicasUnavailable) and
 * Progressing (NewReplicaSetCreated, FoundNewReplicaSet, ReplicaSetUpdated,
 * NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused,
 * DeploymentResumed), with lastUpdateTime moving whenever progress is made.
 */
import type { Json, KubeObject } from '../types.ts';
import { clone, omitZero, resolveIntOrPercent, timestamp } from '../util.ts';
import { setCondition, type ControllerContext } from './common.ts';

const MAX_INT32 = 2147483647;

export function desiredReplicas(d: KubeObject): number {
  return d.spec?.replicas ?? 1;
}

function isRollingUpdate(d: KubeObject): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge (rounded up) and maxUnavailable (rounded down); both 0 means one unavailable. */
function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const replicas = desiredReplicas(d);
  const ru = d.spec?.strategy?.rollingUpdate ?? {};
  const surge = resolveIntOrPercent(ru.maxSurge ?? '25%', replicas, true);
  const unavailable = resolveIntOrPercent(ru.maxUnavailable ?? '25%', replicas, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

export function maxSurge(d: KubeObject): number {
  return isRollingUpdate(d) ? fenceposts(d).surge : 0;
}

export function maxUnavailable(d: KubeObject): number {
  const replicas = desiredReplicas(d);
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  return Math.min(fenceposts(d).unavailable, replicas);
}

function hasProgressDeadline(d: KubeObject): boolean {
  const seconds = d.spec?.progressDeadlineSeconds;
  return seconds !== undefined && seconds !== null && seconds !== MAX_INT32;
}

const sum = (sets: KubeObject[], pick: (rs: KubeObject) => number | undefined) => sets.reduce((n, rs) => n + (pick(rs) ?? 0), 0);

function progressing(conditions: Json[]): Json {
  return conditions.find((c) => c.type === 'Progressing');
}

/** calculateStatus: counts from the ReplicaSets, the Available condition. */
function calculateStatus(d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined, now: string): Json {
  const available = sum(all, (rs) => rs.status?.availableReplicas);
  const status: Json = {
    observedGeneration: d.metadata.generation,
    replicas: sum(all, (rs) => rs.status?.replicas),
    updatedReplicas: newRS ? newRS.status?.replicas ?? 0 : 0,
    readyReplicas: sum(all, (rs) => rs.status?.readyReplicas),
    availableReplicas: available,
    unavailableReplicas: Math.max(0, sum(all, (rs) => rs.spec?.replicas) - available),
    conditions: clone(d.status?.conditions ?? []),
    ...(d.status?.collisionCount !== undefined ? { collisionCount: d.status.collisionCount } : {}),
  };
  const minimum = available >= desiredReplicas(d) - maxUnavailable(d);
  status.conditions = setCondition(status.conditions, minimum
    ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
    : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
  now, true);
  return status;
}

function complete(d: KubeObject, status: Json): boolean {
  const replicas = desiredReplicas(d);
  return status.updatedReplicas === replicas && status.replicas === replicas && status.availableReplicas === replicas
    && status.observedGeneration >= (d.metadata.generation ?? 0);
}

function madeProgress(d: KubeObject, status: Json): boolean {
  const old = d.status ?? {};
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = status.replicas - status.updatedReplicas;
  return status.updatedReplicas > (old.updatedReplicas ?? 0) || newOld < oldOld
    || status.readyReplicas > (old.readyReplicas ?? 0) || status.availableReplicas > (old.availableReplicas ?? 0);
}

function timedOut(d: KubeObject, conditions: Json[], nowMs: number): boolean {
  const condition = progressing(conditions);
  if (!condition || condition.reason === 'NewReplicaSetAvailable') return false;
  if (condition.reason === 'ProgressDeadlineExceeded') return true;
  return Date.parse(condition.lastUpdateTime) + d.spec.progressDeadlineSeconds * 1000 < nowMs;
}

/** syncRolloutStatus: the status to write after this sync's scaling. */
export function rolloutStatus(ctx: ControllerContext, d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Json {
  const nowMs = ctx.clock.now();
  const now = timestamp(nowMs);
  const status = calculateStatus(d, all, newRS, now);
  if (!hasProgressDeadline(d)) status.conditions = status.conditions.filter((c: Json) => c.type !== 'Progressing');
  const current = progressing(d.status?.conditions ?? []);
  const settled = status.replicas === status.updatedReplicas && current?.reason === 'NewReplicaSetAvailable';
  const rs = newRS ? `ReplicaSet "${newRS.metadata.name}"` : `Deployment "${d.metadata.name}"`;
  if (hasProgressDeadline(d) && !settled && !d.spec?.paused) {
    if (complete(d, status)) {
      status.conditions = setCondition(status.conditions,
        { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `${rs} has successfully progressed.` }, now, true);
    } else if (madeProgress(d, status)) {
      // Progress moves lastUpdateTime even when the reason stays ReplicaSetUpdated.
      const condition = {
        type: 'Progressing', status: 'True', lastUpdateTime: now,
        lastTransitionTime: current?.status === 'True' ? current.lastTransitionTime : now,
        reason: 'ReplicaSetUpdated', message: `${rs} is progressing.`,
      };
      status.conditions = [...status.conditions.filter((c: Json) => c.type !== 'Progressing'), condition];
    } else if (timedOut(d, status.conditions, nowMs)) {
      status.conditions = setCondition(status.conditions,
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `${rs} has timed out progressing.` }, now, true);
    }
  }
  return omitZero(status, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']);
}

/** Status without rollout progress (a paused Deployment's sync). */
export function pausedStatus(ctx: ControllerContext, d: KubeObject, all: KubeObject[], newRS: KubeObject | undefined): Json {
  const status = calculateStatus(d, all, newRS, timestamp(ctx.clock.now()));
  return omitZero(status, ['observedGeneration', 'replicas', 'updatedReplicas', 'readyReplicas', 'availableReplicas', 'unavailableReplicas']);
}

/** checkPausedConditions: Progressing Unknown with DeploymentPaused / DeploymentResumed. */
export function pausedConditions(ctx: ControllerContext, d: KubeObject): Json[] | undefined {
  if (!hasProgressDeadline(d)) return undefined;
  const conditions: Json[] = d.status?.conditions ?? [];
  const reason = progressing(conditions)?.reason;
  const now = timestamp(ctx.clock.now());
  if (d.spec?.paused && reason !== 'DeploymentPaused') {
    return setCondition(clone(conditions), { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now, true);
  }
  if (!d.spec?.paused && reason === 'DeploymentPaused') {
    return setCondition(clone(conditions), { type: 'Progressing', status: 'Unknown', reason: 'DeploymentResumed', message: 'Deployment is resumed' }, now, true);
  }
  return undefined;
}
