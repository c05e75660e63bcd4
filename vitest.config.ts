import { defineConfig } from 'vitest/config';

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
  },
});
