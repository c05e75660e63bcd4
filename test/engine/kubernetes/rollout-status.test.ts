import { describe, expect, it } from 'vitest';
import {
  deploymentStatus,
  statefulSetStatus,
  type DeploymentLike,
  type RolloutStatus,
  type StatefulSetLike,
} from '../../../src/engine/targets/kubernetes/rollout-status.ts';

const deployment = (
  generation: number,
  replicas: number | undefined,
  status: NonNullable<DeploymentLike['status']>,
): DeploymentLike => ({
  metadata: { name: 'api', generation },
  spec: replicas === undefined ? {} : { replicas },
  status,
});

const progressing = (reason: string) => [{ type: 'Progressing', status: reason === 'ProgressDeadlineExceeded' ? 'False' : 'True', reason }];

describe('deployment rollout status, as kubectl rollout status judges it', () => {
  const cases: [string, DeploymentLike, RolloutStatus][] = [
    [
      'a spec change the controller has not seen yet',
      deployment(3, 2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2 }),
      { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' },
    ],
    [
      'no status at all (just created)',
      { metadata: { name: 'api', generation: 1 }, spec: { replicas: 1 } },
      { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' },
    ],
    [
      'the progress deadline passed',
      deployment(2, 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 1, availableReplicas: 2, conditions: progressing('ProgressDeadlineExceeded') }),
      { state: 'failed', message: 'deployment "api" exceeded its progress deadline' },
    ],
    [
      'the deadline is judged before the replica counts, even when they all look done',
      deployment(2, 1, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1, conditions: progressing('ProgressDeadlineExceeded') }),
      { state: 'failed', message: 'deployment "api" exceeded its progress deadline' },
    ],
    [
      'a stale deadline of an older generation is not judged',
      deployment(3, 1, { observedGeneration: 2, replicas: 1, updatedReplicas: 0, conditions: progressing('ProgressDeadlineExceeded') }),
      { state: 'waiting', message: 'Waiting for deployment spec update to be observed...' },
    ],
    [
      'new replicas still being created',
      deployment(2, 3, { observedGeneration: 2, replicas: 4, updatedReplicas: 1, availableReplicas: 3, conditions: progressing('ReplicaSetUpdated') }),
      { state: 'waiting', message: 'Waiting for deployment "api" rollout to finish: 1 out of 3 new replicas have been updated...' },
    ],
    [
      'no updated replicas yet (updatedReplicas omitted)',
      deployment(2, 1, { observedGeneration: 2, replicas: 1 }),
      { state: 'waiting', message: 'Waiting for deployment "api" rollout to finish: 0 out of 1 new replicas have been updated...' },
    ],
    [
      'old replicas still terminating',
      deployment(2, 2, { observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2 }),
      { state: 'waiting', message: 'Waiting for deployment "api" rollout to finish: 1 old replicas are pending termination...' },
    ],
    [
      'updated replicas not yet available',
      deployment(2, 2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 1 }),
      { state: 'waiting', message: 'Waiting for deployment "api" rollout to finish: 1 of 2 updated replicas are available...' },
    ],
    [
      'all updated, available, no old ones',
      deployment(2, 2, { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: progressing('NewReplicaSetAvailable') }),
      { state: 'done', message: 'deployment "api" successfully rolled out' },
    ],
    [
      'observedGeneration ahead of generation counts as observed',
      deployment(2, 1, { observedGeneration: 3, replicas: 1, updatedReplicas: 1, availableReplicas: 1 }),
      { state: 'done', message: 'deployment "api" successfully rolled out' },
    ],
    [
      'scaled to zero is done',
      deployment(4, 0, { observedGeneration: 4 }),
      { state: 'done', message: 'deployment "api" successfully rolled out' },
    ],
    [
      'no spec.replicas: the updated count is not compared',
      deployment(2, undefined, { observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 0 }),
      { state: 'waiting', message: 'Waiting for deployment "api" rollout to finish: 0 of 1 updated replicas are available...' },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(deploymentStatus(input)).toEqual(expected);
  });
});

const sts = (
  generation: number,
  spec: NonNullable<StatefulSetLike['spec']>,
  status: NonNullable<StatefulSetLike['status']>,
): StatefulSetLike => ({ metadata: { name: 'db', generation }, spec, status });

const rolling = (replicas: number, partition?: number): NonNullable<StatefulSetLike['spec']> => ({
  replicas,
  updateStrategy: { type: 'RollingUpdate', ...(partition === undefined ? {} : { rollingUpdate: { partition } }) },
});

describe('statefulset rollout status, as kubectl rollout status judges it', () => {
  const cases: [string, StatefulSetLike, RolloutStatus][] = [
    [
      'OnDelete strategy has no rollout status',
      sts(1, { replicas: 1, updateStrategy: { type: 'OnDelete' } }, { observedGeneration: 1, readyReplicas: 1 }),
      { state: 'failed', message: 'rollout status is only available for RollingUpdate strategy type' },
    ],
    [
      'never observed (observedGeneration 0)',
      sts(1, rolling(1), {}),
      { state: 'waiting', message: 'Waiting for statefulset spec update to be observed...' },
    ],
    [
      'a newer generation than observed',
      sts(3, rolling(1), { observedGeneration: 2, readyReplicas: 1 }),
      { state: 'waiting', message: 'Waiting for statefulset spec update to be observed...' },
    ],
    [
      'pods not ready',
      sts(2, rolling(3), { observedGeneration: 2, readyReplicas: 1, updatedReplicas: 1 }),
      { state: 'waiting', message: 'Waiting for 2 pods to be ready...' },
    ],
    [
      'partitioned rollout short of the partition',
      sts(2, rolling(3, 1), { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }),
      { state: 'waiting', message: 'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...' },
    ],
    [
      'partitioned rollout reached the partition',
      sts(2, rolling(3, 1), { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 }),
      { state: 'done', message: 'partitioned roll out complete: 2 new pods have been updated...' },
    ],
    [
      'partition 0 (the API server default): all pods updated',
      sts(2, rolling(2, 0), { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2 }),
      { state: 'done', message: 'partitioned roll out complete: 2 new pods have been updated...' },
    ],
    [
      'partition 0: ready but an old pod not yet replaced',
      sts(2, rolling(2, 0), { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1 }),
      { state: 'waiting', message: 'Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated...' },
    ],
    [
      'no rollingUpdate block: revisions still differ',
      sts(2, rolling(2), { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 1, currentRevision: 'db-1', updateRevision: 'db-2' }),
      { state: 'waiting', message: 'waiting for statefulset rolling update to complete 1 pods at revision db-2...' },
    ],
    [
      'no rollingUpdate block: revisions equal',
      sts(2, rolling(2), { observedGeneration: 2, readyReplicas: 2, updatedReplicas: 2, currentReplicas: 2, currentRevision: 'db-2', updateRevision: 'db-2' }),
      { state: 'done', message: 'statefulset rolling update complete 2 pods at revision db-2...' },
    ],
  ];
  it.each(cases)('%s', (_name, input, expected) => {
    expect(statefulSetStatus(input)).toEqual(expected);
  });
});
