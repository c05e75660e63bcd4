import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

/**
 * The files that run longest (each most of a minute or more on two CPUs, measured), started
 * first: left to vitest's own order on a clean clone (largest file first), the two randomized
 * runs, small files, started last and ran on alone for their whole length after every other
 * file had ended.
 */
const LONGEST = [
  'test/e2e/randomized-serial-cluster.test.ts',
  'test/e2e/randomized-serial.test.ts',
  'test/e2e/outage.test.ts',
  'test/e2e/resilience.test.ts',
  'test/e2e/concurrency.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const at = LONGEST.findIndex((name) => file.moduleId.endsWith(`/${name}`));
      return at === -1 ? LONGEST.length : at;
    };
    // A stable sort: the rest keep vitest's order (failed first, then longest as last measured, or largest).
    return sorted.sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end files build images and start worker processes: generous limits keep a
    // busy machine from failing them; each wait inside a test has its own deadline.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    // Three files at a time on two CPUs: most end-to-end time is spent waiting on the engine
    // (Podman), on timers and on other processes, and a third file fills that time.
    maxWorkers: 3,
    sequence: { sequencer: LongestFirst },
  },
});
