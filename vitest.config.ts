import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // The end-to-end tests spend most of their time waiting for processes they started, not on a
    // core: two files a core keeps the machine busy (on 2 cores, 4 minutes of suite become 2).
    maxWorkers: 2 * availableParallelism(),
  },
});
