import { defineConfig } from 'vitest/config'

// Unit tests live next to each package; cross-process tests in test/. Browser e2e tests spawn real
// servers and Chromium, so the suite runs files in a few forks, not one per core.
export default defineConfig({
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'relay/test/**/*.test.ts',
      'vessel-node/test/**/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', 'test/bench/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
