import { describe, expect, it } from 'vitest';
import { aggregateEnvironmentStatus } from '../../src/domain/aggregate.ts';
import { isInProgress, PRE_RUN_STATUSES, SERVICE_STATUSES, type ServiceStatus } from '../../src/domain/status.ts';

interface BrowserAggregate {
  aggregateStatus(statuses: readonly string[]): string;
  isInProgress(status: string): boolean;
}

/** The browser's copy, loaded as the browser loads it: a plain ES module. */
const browser = (await import(new URL('../../src/http/dashboard/assets/aggregate.js', import.meta.url).href)) as BrowserAggregate;

describe('the board’s environment status in the browser', () => {
  it('agrees with Hoist’s own aggregate for every pair and triple of service statuses', () => {
    const combinations: ServiceStatus[][] = [[]];
    for (const a of SERVICE_STATUSES) {
      combinations.push([a]);
      for (const b of SERVICE_STATUSES) {
        combinations.push([a, b]);
        for (const c of ['DEPLOYED', 'STOPPED', 'NEVER_DEPLOYED'] as const) combinations.push([a, b, c]);
      }
    }
    const differing = combinations.filter((s) => browser.aggregateStatus(s) !== aggregateEnvironmentStatus(s));
    expect(differing).toEqual([]);
  });

  it('agrees on which deployment statuses are still in progress', () => {
    for (const status of [...SERVICE_STATUSES, ...PRE_RUN_STATUSES]) expect([status, browser.isInProgress(status)]).toEqual([status, isInProgress(status)]);
  });
});
