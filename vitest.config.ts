import { defineConfig } from 'vitest/config';

// Integration tests start real Chromium, redis-server and ffmpeg; two cores is the budget.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    teardownTimeout: 20_000,
  },
});
