import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Synthesizes the stack with real bundling once per run: tests load the shipped index.mjs files.
    globalSetup: ['test/support/bundles-setup.ts'],
    // Integration tests start DynamoDB Local (a JVM) and local HTTP servers: give them room on shared machines.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: {
      // The SDK must never reach a real AWS account from a test.
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'eu-central-1',
      AWS_EC2_METADATA_DISABLED: 'true',
      POWERTOOLS_DEV: 'true',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
  },
});
