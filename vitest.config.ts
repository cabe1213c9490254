import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    // A native addon and its librdkafka threads: each test file in a process of its own.
    pool: 'forks',
    poolOptions: { forks: { execArgv: ['--expose-gc'], maxForks: 2, minForks: 1 } },
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // The JSON report feeds the one-line summary that .ci/run prints.
    reporters: ['default', ['json', { outputFile: 'test-results/results.json' }]],
  },
});
