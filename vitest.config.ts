import { defineConfig } from 'vitest/config';

// `unit` needs nothing but Node; `integration` (OpenBao, Temporal, the CLI, a browser) gets the global set-up that
// starts a shared OpenBao. `npm run test:unit` therefore works on a machine with no servers at all. `unit-node-crypto`
// runs the codec's own unit tests again without the native AES-GCM module, so the fallback stays proven too.
export default defineConfig({
  test: {
    // Integration tests start real OpenBao and Temporal servers; startup alone can take several seconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Child processes (servers) and process-wide state are simpler to reason about in forks than in threads.
    pool: 'forks',
    // CI machines have 2 cores, and each integration file may run its own servers next to the shared one.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'unit-node-crypto',
          env: { TEST_NATIVE_AEAD: 'off' },
          setupFiles: ['test/support/native-aead-mode.ts'],
          include: [
            'test/unit/encryption-codec.test.ts',
            'test/unit/sealing-primitives.test.ts',
            'test/unit/test-vectors.test.ts',
            'test/unit/decoder-fuzz.test.ts',
            'test/unit/native-aead.test.ts',
            'test/unit/aead-engine.test.ts',
          ],
        },
      },
      {
        // The codec server's protocol tests again against the express app alone (`createApp`, as users mount it);
        // `unit` runs them against the lean handler `startServer` puts in front of it.
        extends: true,
        test: {
          name: 'unit-express-app',
          env: { TEST_SERVER_HANDLER: 'express' },
          include: ['test/unit/codec-server-*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
        },
      },
    ],
  },
});
