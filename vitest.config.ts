import { defineConfig } from 'vitest/config';

// Integration tests start real Chromium, redis-server and ffmpeg; two cores is the budget.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    teardownTimeout: 20_000,
  },
});
