import { describe, expect, it } from 'vitest';
import { cpuCores, memoryBytes, resourceConflict, type Resources } from '../../src/domain/resources.ts';

const resources = (requests: Partial<Resources['requests']>, limits: Partial<Resources['limits']>): Resources => ({
  requests: { cpu: null, memory: null, ...requests },
  limits: { cpu: null, memory: null, ...limits },
});

describe('resource quantities', () => {
  it.each([
    ['500m', 0.5],
    ['1', 1],
    ['1.5', 1.5],
    ['2000m', 2],
    ['0.25', 0.25],
    ['1.5m', null],
    ['2 cores', null],
    ['-1', null],
    ['', null],
  ])('cpu %j is %j CPUs', (quantity, cores) => {
    expect(cpuCores(quantity)).toBe(cores);
  });

  it.each([
    ['256Mi', 268_435_456],
    ['1Gi', 1_073_741_824],
    ['512M', 512_000_000],
    ['1.5Gi', 1_610_612_736],
    ['64Ki', 65_536],
    ['1000', 1000],
    ['1 GB', null],
    ['256mi', null],
    ['Gi', null],
  ])('memory %j is %j bytes', (quantity, bytes) => {
    expect(memoryBytes(quantity)).toBe(bytes);
  });

  it.each([
    [resources({ cpu: '250m', memory: '128Mi' }, { cpu: '1', memory: '256Mi' }), null],
    [resources({ cpu: '1' }, { cpu: '1000m' }), null],
    [resources({ memory: '1Gi' }, {}), null],
    [resources({ cpu: '2' }, { cpu: '500m' }), 'the cpu request 2 is above its limit 500m'],
    [resources({ memory: '1Gi' }, { memory: '1000M' }), 'the memory request 1Gi is above its limit 1000M'],
  ])('a request above its limit is a conflict: %j', (given, conflict) => {
    expect(resourceConflict(given)).toBe(conflict);
  });
});
