import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end tests spend much of their time waiting for processes they started, not on a
    // core: one file more than there are cores keeps the machine busy without starving the tests
    // that time what they start (on 2 cores, the suite takes about 2.5 minutes instead of 5).
    maxWorkers: availableParallelism() + 1,
  },
});
