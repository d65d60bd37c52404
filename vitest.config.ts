import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Three projects: `unit` (no network), `infra` (CDK
 * assertions) and `integration` (everything else under test/), which alone
 * starts the emulators: one DynamoDB Local and one s3rver for the whole run,
 * from test/helpers/globalSetup.ts, and only when one of its files is queued.
 * `npm test -- --project unit` runs the unit tests without Java.
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'] } },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**', 'test/infra/**'],
          globalSetup: ['test/helpers/globalSetup.ts'],
        },
      },
    ],
  },
});
