import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // End-to-end files build images and start worker processes: generous limits keep a
    // busy machine from failing them; each wait inside a test has its own deadline.
    testTimeout: 180_000,
    hookTimeout: 120_000,
    fileParallelism: true,
    // Two files at a time: the engine (Podman) and the worker processes share the CPUs.
    maxWorkers: 2,
  },
});
