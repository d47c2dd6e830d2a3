import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file starts its own Git server and roots; two at a time suits a 2-core machine.
    // The hardening suite loads the machine on purpose, so `npm test` runs it after the rest,
    // alone, where it cannot slow the timing of the watcher's tests.
    maxWorkers: 2,
  },
});
