import { describe, expect, it } from 'vitest';
import { podFailure, type ContainerStatusLike, type PodFailure, type PodLike } from '../../../src/engine/targets/kubernetes/pod-failure.ts';

const pod = (name: string, statuses: ContainerStatusLike[], extra: { init?: ContainerStatusLike[]; deleting?: boolean } = {}): PodLike => ({
  metadata: { name, ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}) },
  status: { containerStatuses: statuses, ...(extra.init ? { initContainerStatuses: extra.init } : {}) },
});

const waiting = (reason: string, message?: string, more: Partial<ContainerStatusLike> = {}): ContainerStatusLike => ({
  name: 'api',
  restartCount: 0,
  state: { waiting: { reason, ...(message ? { message } : {}) } },
  ...more,
});

const running: ContainerStatusLike = { name: 'api', restartCount: 0, state: { running: { startedAt: 'x' } } };

describe('early failure from pod states', () => {
  const cases: [string, PodLike[], PodFailure | null][] = [
    ['no pods yet', [], null],
    ['a pod without statuses (pending, unscheduled)', [{ metadata: { name: 'api-1' }, status: {} }], null],
    ['running', [pod('api-1', [running])], null],
    ['ContainerCreating is not a failure', [pod('api-1', [waiting('ContainerCreating')])], null],
    ['PodInitializing is not a failure', [pod('api-1', [waiting('PodInitializing')])], null],
    [
      'ImagePullBackOff',
      [pod('api-1', [waiting('ImagePullBackOff', 'Back-off pulling image "reg/api:1"')])],
      { pod: 'api-1', container: 'api', reason: 'ImagePullBackOff', message: 'Back-off pulling image "reg/api:1"', previousLogs: false, hasLogs: false },
    ],
    [
      'ErrImagePull',
      [pod('api-1', [waiting('ErrImagePull', 'rpc error: not found')])],
      { pod: 'api-1', container: 'api', reason: 'ErrImagePull', message: 'rpc error: not found', previousLogs: false, hasLogs: false },
    ],
    [
      'InvalidImageName',
      [pod('api-1', [waiting('InvalidImageName', 'Failed to apply default image tag "Bad:Name"')])],
      { pod: 'api-1', container: 'api', reason: 'InvalidImageName', message: 'Failed to apply default image tag "Bad:Name"', previousLogs: false, hasLogs: false },
    ],
    [
      'CreateContainerConfigError',
      [pod('api-1', [waiting('CreateContainerConfigError', 'secret "db" not found')])],
      {
        pod: 'api-1', container: 'api', reason: 'CreateContainerConfigError', previousLogs: false, hasLogs: false,
        message: 'secret "db" not found — the Secret db does not exist in the namespace: create it (kubectl create secret generic db …); Hoist does not create or read Secrets',
      },
    ],
    [
      'CreateContainerConfigError, a key missing from a Secret',
      [pod('api-1', [waiting('CreateContainerConfigError', "couldn't find key password in Secret shop-staging/shop-db")])],
      {
        pod: 'api-1', container: 'api', reason: 'CreateContainerConfigError', previousLogs: false, hasLogs: false,
        message: "couldn't find key password in Secret shop-staging/shop-db — the Secret shop-db in namespace shop-staging lacks the key password; add it (kubectl -n shop-staging edit secret shop-db); Hoist does not create or read Secrets",
      },
    ],
    [
      'CreateContainerConfigError, not about a Secret',
      [pod('api-1', [waiting('CreateContainerConfigError', 'configmap "app-config" not found')])],
      { pod: 'api-1', container: 'api', reason: 'CreateContainerConfigError', message: 'configmap "app-config" not found', previousLogs: false, hasLogs: false },
    ],
    [
      'CreateContainerError',
      [pod('api-1', [waiting('CreateContainerError', 'executable file not found')])],
      { pod: 'api-1', container: 'api', reason: 'CreateContainerError', message: 'executable file not found', previousLogs: false, hasLogs: false },
    ],
    [
      'CrashLoopBackOff: the previous instance has the logs',
      [
        pod('api-1', [
          waiting('CrashLoopBackOff', 'back-off 10s restarting failed container', {
            restartCount: 2,
            lastState: { terminated: { reason: 'Error', exitCode: 3 } },
          }),
        ]),
      ],
      {
        pod: 'api-1',
        container: 'api',
        reason: 'CrashLoopBackOff',
        message: 'back-off 10s restarting failed container (last exit: Error, code 3; restarted 2 times)',
        previousLogs: true,
        hasLogs: true,
      },
    ],
    [
      'CrashLoopBackOff without a message',
      [pod('api-1', [waiting('CrashLoopBackOff', undefined, { restartCount: 1, lastState: { terminated: { exitCode: 1 } } })])],
      {
        pod: 'api-1',
        container: 'api',
        reason: 'CrashLoopBackOff',
        message: 'back-off restarting failed container api (last exit: Error, code 1; restarted 1 times)',
        previousLogs: true,
        hasLogs: true,
      },
    ],
    [
      'terminated OOMKilled: the current instance',
      [pod('api-1', [{ name: 'api', restartCount: 0, state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }])],
      {
        pod: 'api-1',
        container: 'api',
        reason: 'OOMKilled',
        message: 'container api was killed for using more memory than its limit (exit code 137)',
        previousLogs: false,
        hasLogs: true,
      },
    ],
    [
      'OOMKilled last time, now in back-off: OOMKilled wins over CrashLoopBackOff',
      [pod('api-1', [waiting('CrashLoopBackOff', 'back-off', { restartCount: 3, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } })])],
      {
        pod: 'api-1',
        container: 'api',
        reason: 'OOMKilled',
        message: 'container api was killed for using more memory than its limit (exit code 137), restarted 3 times',
        previousLogs: true,
        hasLogs: true,
      },
    ],
    [
      'OOMKilled last time, running again',
      [pod('api-1', [{ ...running, restartCount: 1, lastState: { terminated: { reason: 'OOMKilled', exitCode: 137 } } }])],
      {
        pod: 'api-1',
        container: 'api',
        reason: 'OOMKilled',
        message: 'container api was killed for using more memory than its limit (exit code 137), restarted 1 times',
        previousLogs: true,
        hasLogs: true,
      },
    ],
    ['an earlier ordinary exit while running again is not a failure', [pod('api-1', [{ ...running, restartCount: 1, lastState: { terminated: { reason: 'Completed', exitCode: 0 } } }])], null],
    ['a pod being deleted is ignored', [pod('api-1', [waiting('ImagePullBackOff', 'x')], { deleting: true })], null],
    [
      'an init container failing',
      [pod('api-1', [waiting('PodInitializing')], { init: [{ name: 'migrate', state: { waiting: { reason: 'ErrImagePull', message: 'nope' } } }] })],
      { pod: 'api-1', container: 'migrate', reason: 'ErrImagePull', message: 'nope', previousLogs: false, hasLogs: false },
    ],
    [
      'several pods: the first by name',
      [pod('api-b', [waiting('CreateContainerConfigError', 'b')]), pod('api-a', [waiting('ImagePullBackOff', 'a')]), pod('api-0', [running])],
      { pod: 'api-a', container: 'api', reason: 'ImagePullBackOff', message: 'a', previousLogs: false, hasLogs: false },
    ],
  ];
  it.each(cases)('%s', (_name, pods, expected) => {
    expect(podFailure(pods)).toEqual(expected);
  });
});
