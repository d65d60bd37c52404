import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { ensureBucket, ensureTables, localConfig } from '../../local/setup.js';

export interface TestConfigOptions {
  /** @default 0: handlers re-read keys at once (a revoke takes effect immediately) */
  readonly keyCacheTtlMs?: number;
  /** First retry delay of subscriptions. @default 1000 */
  readonly subscriptionBackoffMs?: number;
  /** Lambda targets run in process: function ARN to `<module path>#<export>`. */
  readonly localLambdas?: Readonly<Record<string, string>>;
}

/** The emulators' endpoints from test/helpers/globalSetup.ts. */
export function emulatorEndpoints(): { dynamoDbEndpoint: string; s3Endpoint: string } {
  const dynamoDbEndpoint = inject('dynamoDbEndpoint');
  const s3Endpoint = inject('s3Endpoint');
  if (!dynamoDbEndpoint || !s3Endpoint) {
    throw new Error(
      'the emulators are not running: tests that need DynamoDB Local or s3rver belong to the ' +
        '"integration" project (any test/**/*.test.ts outside test/unit and test/infra)',
    );
  }
  return { dynamoDbEndpoint, s3Endpoint };
}

/**
 * A `BrookConfig` on the run's emulators with fresh tables (random name
 * prefix, so test files never see each other's data) and a fresh bucket.
 */
export async function createTestConfig(options: TestConfigOptions = {}): Promise<BrookConfig> {
  const config = localConfig({
    prefix: `brook-t-${randomBytes(5).toString('hex')}`,
    ...emulatorEndpoints(),
    keyCacheTtlMs: options.keyCacheTtlMs ?? 0,
    ...(options.subscriptionBackoffMs !== undefined ? { subscriptionBackoffMs: options.subscriptionBackoffMs } : {}),
    ...(options.localLambdas ? { localLambdas: options.localLambdas } : {}),
  });
  await Promise.all([ensureTables(config), ensureBucket(config)]);
  return config;
}
