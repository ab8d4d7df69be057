// `npm run test:e2e`: the demo in real Chromium (test/e2e), kept apart from `npm test` because it builds
// the demo app and drives browsers.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/build-demo.setup.ts'],
    environment: 'node',
    pool: 'forks',
    // One file at a time: each starts Chromium and demo servers, and the machine has 2 cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
