import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 90_000,
    hookTimeout: 90_000,
    // one browser at a time: the machines are small
    fileParallelism: false,
    // a page answers in well under a second here, but a loaded 2-core CI machine may take longer
    expect: { poll: { timeout: 10_000 } },
  },
});
