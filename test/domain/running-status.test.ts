import { describe, expect, it } from 'vitest';
import { announcementOf, judgeRunning, runningPhrase, statusBeside, type RunningMemory, type RunningStatus, type WorkloadReading } from '../../src/domain/running-status.ts';
import type { ServiceStatus } from '../../src/domain/status.ts';

const workload = (over: Partial<WorkloadReading> = {}): WorkloadReading => ({ service: 'api', desired: 2, ready: 2, restarts: 0, failing: null, ...over });

describe('judgeRunning', () => {
  const cases: [string, Parameters<typeof judgeRunning>[0], ServiceStatus, Partial<RunningStatus> | null][] = [
    ['all ready', workload(), 'DEPLOYED', { state: 'RUNNING', ready: 2, desired: 2 }],
    ['some ready', workload({ ready: 1 }), 'DEPLOYED', { state: 'DEGRADED', ready: 1 }],
    ['none ready', workload({ ready: 0, restarts: 14 }), 'DEPLOYED', { state: 'DOWN', ready: 0, restarts: 14, reason: 'no replica is ready' }],
    ['a replica crash-looping, another ready', workload({ ready: 1, failing: 'CrashLoopBackOff (pod api-1)' }), 'DEPLOYED', { state: 'DOWN', reason: 'CrashLoopBackOff (pod api-1)' }],
    ['scaled to zero', workload({ desired: 0, ready: 0 }), 'DEPLOYED', { state: 'STOPPED' }],
    ['stopped by Hoist, containers still there', workload({ desired: 1, ready: 0 }), 'STOPPED', { state: 'STOPPED' }],
    ['being stopped', workload({ desired: 1, ready: 1 }), 'STOPPING', { state: 'STOPPED' }],
    ['target unreachable', { unreachable: 'connect ECONNREFUSED' }, 'DEPLOYED', { state: 'UNKNOWN', reason: 'connect ECONNREFUSED' }],
    ['nothing on the target after a deployment', null, 'DEPLOYED', { state: 'DOWN', desired: 0 }],
    ['nothing on the target after a failed first deployment', null, 'DEPLOYMENT_ERROR', { state: 'STOPPED' }],
    ['never deployed, nothing runs', null, 'NEVER_DEPLOYED', null],
    ['more ready than desired mid-rollout counts as all ready', workload({ desired: 1, ready: 2 }), 'DEPLOYING', { state: 'RUNNING', ready: 1, desired: 1 }],
  ];
  it.each(cases)('%s', (_name, reading, deployment, expected) => {
    const judged = judgeRunning(reading, deployment);
    if (expected === null) expect(judged).toBeNull();
    else expect(judged).toMatchObject(expected);
  });
});

describe('announcementOf', () => {
  const status = (state: RunningStatus['state']): RunningStatus => ({ state, ready: 0, desired: 1, restarts: 0, reason: null });
  const memory = (state: RunningMemory['state'], announcedDown: boolean): RunningMemory => ({ state, announcedDown });
  const cases: [string, RunningMemory | null, RunningStatus['state'], ServiceStatus, ReturnType<typeof announcementOf>][] = [
    ['falls after a successful deployment', memory('RUNNING', false), 'DOWN', 'DEPLOYED', { announce: 'down', announcedDown: true }],
    ['falls after a restart', memory('RUNNING', false), 'DOWN', 'RESTARTED', { announce: 'down', announcedDown: true }],
    ['already told', memory('DOWN', true), 'DOWN', 'DEPLOYED', { announce: null, announcedDown: true }],
    ['DOWN in the middle of a deployment', memory('RUNNING', false), 'DOWN', 'DEPLOYING', { announce: null, announcedDown: false }],
    ['DOWN after a failed deployment', null, 'DOWN', 'DEPLOYMENT_ERROR', { announce: null, announcedDown: false }],
    ['recovers after a told fall', memory('DOWN', true), 'RUNNING', 'DEPLOYED', { announce: 'recovered', announcedDown: false }],
    ['degraded after a told fall: not yet recovered', memory('DOWN', true), 'DEGRADED', 'DEPLOYED', { announce: null, announcedDown: true }],
    ['runs again after an untold fall', memory('DOWN', false), 'RUNNING', 'DEPLOYED', { announce: null, announcedDown: false }],
    ['target unreachable keeps the memory', memory('DOWN', true), 'UNKNOWN', 'DEPLOYED', { announce: null, announcedDown: true }],
    ['stopped on purpose forgets the fall', memory('DOWN', true), 'STOPPED', 'STOPPED', { announce: null, announcedDown: false }],
    ['first reading already DOWN after a deployment', null, 'DOWN', 'DEPLOYED', { announce: 'down', announcedDown: true }],
  ];
  it.each(cases)('%s', (_name, before, next, deployment, expected) => {
    expect(announcementOf(before, status(next), deployment)).toEqual(expected);
  });
});

describe('running phrases', () => {
  it('puts the running status beside the deployment status', () => {
    expect(statusBeside('DEPLOYED', { state: 'DOWN', ready: 0, desired: 2, restarts: 14, reason: null })).toBe('DEPLOYED · DOWN 0/2, 14 restarts');
    expect(statusBeside('DEPLOYED', { state: 'RUNNING', ready: 2, desired: 2, restarts: 1, reason: null })).toBe('DEPLOYED · RUNNING 2/2, 1 restart');
    expect(statusBeside('NEVER_DEPLOYED', null)).toBe('NEVER_DEPLOYED');
    expect(runningPhrase({ state: 'UNKNOWN', ready: 0, desired: 0, restarts: 0 })).toBe('UNKNOWN');
  });
});
