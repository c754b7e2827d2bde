import { defineConfig } from 'vitest/config';

// `npm run faults`: fault injection against the real tools. PILLARS_FAULTS=full for the long mode.
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    maxWorkers: 1,
  },
});
