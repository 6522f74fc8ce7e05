import { defineConfig } from 'vitest/config';

// Two projects: unit tests run without servers (Go builds their jsonnet engine once); integration
// tests get the real kube-apiserver and Loki from the harness global setup (test/harness/global-setup.ts).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          // The mixin's jsonnet engine, built from Go modules once (test/harness/jsonnet-engine.ts).
          globalSetup: ['test/harness/jsonnet-engine.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          // rules.test.ts renders the mixin too: the engine is built before any worker needs it.
          globalSetup: ['test/harness/global-setup.ts', 'test/harness/jsonnet-engine.ts'],
          // One API server and one Loki are shared, and some tests restart the
          // API server or cut its connections: run files one after another.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 1_800_000,
        },
      },
    ],
  },
});
