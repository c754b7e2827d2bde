import { defineConfig } from 'vitest/config';

// One runner for every Node-side test and for the browser tests (playwright-core drives Debian's
// Chromium from inside ordinary test files). Real components make tests slow to start, so the
// timeouts are generous; the fault and benchmark suites have their own entry points.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    exclude: ['test/faults/**', 'test/fixtures/**', '**/node_modules/**'],
    // Creates the test CA and sets NODE_EXTRA_CA_CERTS before the workers are forked (test/README.md).
    globalSetup: ['test/support/global-setup.ts'],
    // every program a worker starts must be one scripts/programs.mjs found (and so proved packaged)
    setupFiles: ['test/support/spawn-audit.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    fileParallelism: true,
    reporters: ['default'],
  },
});
