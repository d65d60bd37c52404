import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundles, HANDLERS, type BuiltBundle } from '../../bench/bundles.js';
import { BUNDLE_BUDGET, BUNDLING_DEFAULTS, bundleBudgetOf } from '../../infra/constructs/defaults.js';

/** Strings only a client's own code contains: its protocol's service target or an operation only it has. */
const DYNAMODB_MARKER = 'DynamoDB_20120810';
const S3_MARKER = 'ListObjectsV2';
const SSM_MARKER = 'AmazonSSM';
/** What the default credential chain would bring (SSO, STS web identity, INI profiles). */
const CREDENTIAL_CHAIN_MARKERS = ['SSOClient', 'AssumeRoleWithWebIdentity', 'credential_process'];

/** Which SDK clients each handler may carry: the ones it calls, nothing else. */
const CLIENTS: Record<string, { dynamodb: boolean; s3: boolean; ssm: boolean }> = {
  health: { dynamodb: false, s3: false, ssm: false },
  fallback: { dynamodb: false, s3: false, ssm: false },
  topics: { dynamodb: true, s3: false, ssm: false },
  keys: { dynamodb: true, s3: false, ssm: false },
  // Serves the console's files from its bundle: no SDK at all.
  console: { dynamodb: false, s3: false, ssm: false },
  produce: { dynamodb: true, s3: true, ssm: false },
  fetch: { dynamodb: true, s3: true, ssm: false },
  groups: { dynamodb: true, s3: true, ssm: false },
  // Seals webhook secrets with the public key (no SSM); a reset to a timestamp may read a batch in S3.
  subscriptions: { dynamodb: true, s3: true, ssm: false },
  compactor: { dynamodb: true, s3: true, ssm: false },
  // Reads records (S3 for large batches and segments), opens webhook secrets (SSM).
  dispatcher: { dynamodb: true, s3: true, ssm: true },
  bootstrapAdminKey: { dynamodb: true, s3: false, ssm: true },
  bootstrapSecretKey: { dynamodb: false, s3: false, ssm: true },
  // Subscribes functions only: no webhook secret to seal, so no SSM.
  subscriptionResource: { dynamodb: true, s3: true, ssm: false },
};

describe('Lambda bundles (BUNDLING_DEFAULTS, as NodejsFunction builds them)', () => {
  let bundles: BuiltBundle[] = [];
  const code = new Map<string, string>();
  beforeAll(async () => {
    bundles = await buildBundles('cdk');
    for (const bundle of bundles) code.set(bundle.handler, readFileSync(bundle.file, 'utf8'));
  }, 60_000);

  it('are ESM, minified, with the require banner, and bundle the SDK', () => {
    expect(BUNDLING_DEFAULTS).toMatchObject({ format: 'esm', minify: true, mainFields: ['module', 'main'], externalModules: [] });
    expect(BUNDLING_DEFAULTS.banner).toContain('createRequire');
  });

  it('cover every handler in functions/handlers', () => {
    const files = readdirSync(fileURLToPath(new URL('../../functions/handlers/', import.meta.url))).map((file) => file.replace(/\.ts$/, ''));
    expect([...HANDLERS].sort()).toEqual(files.sort());
    expect(Object.keys(CLIENTS).sort()).toEqual(files.sort());
  });

  it.each(HANDLERS)(`keeps %s within its budget (${BUNDLE_BUDGET.maxBytes / 1024} KB, the dispatcher ${bundleBudgetOf('dispatcher') / 1024} KB)`, (handler) => {
    const bundle = bundles.find((b) => b.handler === handler)!;
    expect(bundle.bytes).toBeLessThanOrEqual(bundleBudgetOf(handler));
  });

  it.each(HANDLERS)('puts into %s only the SDK clients it uses, and no credential chain beyond the environment', (handler) => {
    const text = code.get(handler)!;
    const expected = CLIENTS[handler]!;
    expect(text.includes(DYNAMODB_MARKER), 'DynamoDB').toBe(expected.dynamodb);
    expect(text.includes(S3_MARKER), 'S3').toBe(expected.s3);
    expect(text.includes(SSM_MARKER), 'SSM').toBe(expected.ssm);
    for (const marker of CREDENTIAL_CHAIN_MARKERS) expect(text.includes(marker), marker).toBe(false);
    expect(text).not.toMatch(/from\s*"@aws-sdk\//);
  });
});
