import { defineConfig } from 'vitest/config';

// `npm run faults`: fault injection against the real tools. PILLARS_FAULTS=full for the long mode.
// The fault global setup owns the run's folder, the argv sampler and the final secret scan.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts', 'test/faults/global-setup.ts'],
    setupFiles: ['test/support/spawn-audit.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
    fileParallelism: false,
  },
});
