/**
 * Rollout status judged exactly as `kubectl rollout status` does (kubectl's
 * DeploymentStatusViewer and StatefulSetStatusViewer), with kubectl's messages (without
 * their trailing newline). Pure: it reads the object as the API server returned it.
 */

export type RolloutStatus =
  | { state: 'waiting'; message: string }
  | { state: 'done'; message: string }
  | { state: 'failed'; message: string };

/** The fields of a Deployment the judgement reads. */
export interface DeploymentLike {
  metadata?: { name?: string; generation?: number };
  spec?: { replicas?: number | null };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type?: string; status?: string; reason?: string; message?: string }>;
  };
}

export interface StatefulSetLike {
  metadata?: { name?: string; generation?: number };
  spec?: {
    replicas?: number | null;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number | null } | null };
  };
  status?: {
    observedGeneration?: number;
    readyReplicas?: number;
    updatedReplicas?: number;
    currentReplicas?: number;
    updateRevision?: string;
    currentRevision?: string;
  };
}

/** The Progressing condition's reason once a Deployment exceeded its progress deadline. */
const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';

export function deploymentStatus(deployment: DeploymentLike): RolloutStatus {
  const name = deployment.metadata?.name ?? '';
  const generation = deployment.metadata?.generation ?? 0;
  const status = deployment.status ?? {};
  if (generation <= (status.observedGeneration ?? 0)) {
    const progressing = status.conditions?.find((c) => c.type === 'Progressing');
    if (progressing?.reason === TIMED_OUT_REASON) {
      return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline` };
    }
    const replicas = deployment.spec?.replicas;
    const updated = status.updatedReplicas ?? 0;
    if (replicas != null && updated < replicas) {
      return {
        state: 'waiting',
        message: `Waiting for deployment "${name}" rollout to finish: ${updated} out of ${replicas} new replicas have been updated...`,
      };
    }
    const total = status.replicas ?? 0;
    if (total > updated) {
      return {
        state: 'waiting',
        message: `Waiting for deployment "${name}" rollout to finish: ${total - updated} old replicas are pending termination...`,
      };
    }
    const available = status.availableReplicas ?? 0;
    if (available < updated) {
      return {
        state: 'waiting',
        message: `Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`,
      };
    }
    return { state: 'done', message: `deployment "${name}" successfully rolled out` };
  }
  return { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' };
}

export function statefulSetStatus(sts: StatefulSetLike): RolloutStatus {
  const strategy = sts.spec?.updateStrategy;
  // kubectl reports this as an error that ends the wait: nothing to watch for OnDelete.
  if (strategy?.type !== 'RollingUpdate') {
    return { state: 'failed', message: 'rollout status is only available for RollingUpdate strategy type' };
  }
  const status = sts.status ?? {};
  const observed = status.observedGeneration ?? 0;
  if (observed === 0 || (sts.metadata?.generation ?? 0) > observed) {
    return { state: 'waiting', message: 'Waiting for statefulset spec update to be observed...' };
  }
  const replicas = sts.spec?.replicas;
  const ready = status.readyReplicas ?? 0;
  if (replicas != null && ready < replicas) {
    return { state: 'waiting', message: `Waiting for ${replicas - ready} pods to be ready...` };
  }
  const updated = status.updatedReplicas ?? 0;
  // As in Go, a present rollingUpdate (the API server defaults it to { partition: 0 }) decides.
  if (strategy.rollingUpdate != null) {
    const partition = strategy.rollingUpdate.partition;
    if (replicas != null && partition != null && updated < replicas - partition) {
      return {
        state: 'waiting',
        message: `Waiting for partitioned roll out to finish: ${updated} out of ${replicas - partition} new pods have been updated...`,
      };
    }
    return { state: 'done', message: `partitioned roll out complete: ${updated} new pods have been updated...` };
  }
  if (status.updateRevision !== status.currentRevision) {
    return {
      state: 'waiting',
      message: `waiting for statefulset rolling update to complete ${updated} pods at revision ${status.updateRevision ?? ''}...`,
    };
  }
  return {
    state: 'done',
    message: `statefulset rolling update complete ${status.currentReplicas ?? 0} pods at revision ${status.currentRevision ?? ''}...`,
  };
}
