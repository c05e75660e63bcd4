import { describe, expect, it } from 'vitest';
import { aggregateEnvironmentStatus } from '../../src/domain/aggregate.ts';
import type { ServiceStatus } from '../../src/domain/status.ts';
import { isFinal, isInProgress, isError } from '../../src/domain/status.ts';
import { orderServices } from '../../src/domain/service-order.ts';

describe('environment status aggregation', () => {
  const cases: [ServiceStatus[], ServiceStatus][] = [
    [[], 'NEVER_DEPLOYED'],
    [['NEVER_DEPLOYED', 'NEVER_DEPLOYED'], 'NEVER_DEPLOYED'],
    [['DEPLOYED', 'NEVER_DEPLOYED'], 'DEPLOYED'],
    [['DEPLOYED', 'DEPLOYED'], 'DEPLOYED'],
    [['DEPLOYED', 'BUILDING'], 'BUILDING'],
    [['DEPLOYMENT_ERROR', 'DEPLOYING'], 'DEPLOYING'],
    [['DEPLOYED', 'BUILD_ERROR'], 'BUILD_ERROR'],
    [['BUILD_ERROR', 'DEPLOYMENT_ERROR'], 'BUILD_ERROR'],
    [['STOPPED', 'DEPLOYED'], 'DEPLOYED'],
    [['STOPPED', 'STOPPED'], 'STOPPED'],
    [['RESTARTED', 'STOPPED'], 'DEPLOYED'],
    [['STOP_ERROR', 'STOPPED'], 'STOP_ERROR'],
    [['CANCELING', 'DEPLOYING'], 'CANCELING'],
    [['QUEUED', 'DEPLOYED'], 'QUEUED'],
    [['CANCELED', 'NEVER_DEPLOYED'], 'CANCELED'],
    [['CANCELED', 'DEPLOYED'], 'DEPLOYED'],
  ];
  it.each(cases)('%j → %s', (statuses, expected) => {
    expect(aggregateEnvironmentStatus(statuses)).toBe(expected);
  });
});

describe('status classes', () => {
  it.each([
    ['QUEUED', true, false, false],
    ['BUILDING', true, false, false],
    ['DEPLOYED', false, false, true],
    ['BUILD_ERROR', false, true, true],
    ['AWAITING_APPROVAL', true, false, false],
    ['REJECTED', false, false, true],
  ] as const)('%s: in progress %s, error %s, final %s', (status, progress, error, final) => {
    expect([isInProgress(status), isError(status), isFinal(status)]).toEqual([progress, error, final]);
  });
});

describe('service order', () => {
  const services = [
    { name: 'web', type: 'application' as const },
    { name: 'cache', type: 'container' as const },
    { name: 'db', type: 'database' as const },
    { name: 'report', type: 'cronjob' as const },
    { name: 'migrate', type: 'lifecycle-job' as const },
    { name: 'api', type: 'application' as const },
  ];
  it('runs databases, jobs, cronjobs, containers, then applications', () => {
    expect(orderServices(services).map((s) => s.name)).toEqual(['db', 'migrate', 'report', 'cache', 'api', 'web']);
  });
  it('stops in reverse', () => {
    expect(orderServices(services, 'stop').map((s) => s.name)).toEqual(['web', 'api', 'cache', 'report', 'migrate', 'db']);
  });
});
