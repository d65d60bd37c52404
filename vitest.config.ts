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
    // CDK_VALIDATION=false: no CloudFormation rule check on each of the many synths here (3-4 s of CPU each);
    // test/infra/cdkSynth.test.ts runs the CLI's synth with it, as a deploy does.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CDK_VALIDATION: 'false' },
    projects: [
      // unit and infra are CPU work (type checks, lint, synths): two files at a time, first.
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], maxWorkers: 2 } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], maxWorkers: 2 } },
      {
        extends: true,
        test: {
          name: 'integration',
          // One file at a time, after the others: they share one DynamoDB Local and time leases and long polls.
          maxWorkers: 1,
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'test/unit/**', 'test/infra/**'],
          globalSetup: ['test/helpers/globalSetup.ts'],
        },
      },
    ],
  },
});
