/**
 * Brook's defaults for each kind of resource, kept apart from the wiring (in
 * the manner of Solutions Constructs' `*-defaults.ts`). Constructs call these
 * and add only what is specific to one resource.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, StreamViewType, TableEncryption, type Attribute, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays, type LogGroupProps } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, BucketEncryption, type BucketProps, type LifecycleRule } from 'aws-cdk-lib/aws-s3';
import { BROOK_METRICS_NAMESPACE } from '../../functions/layout/metrics.js';
import type { KeyAttribute, TableLayout } from '../../functions/layout/tables.js';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LAMBDA_CREDENTIALS_ENTRY, LOCK_FILE, PROJECT_ROOT } from '../paths.js';
import type { ResolvedSettings } from '../settings.js';

/** The settings a construct reads (every one resolved, see `infra/settings.ts`). */
type StageConfig = ResolvedSettings;

/**
 * ESM bundles, minified, with source maps. The banner gives ESM code a
 * `require` for the CommonJS dependencies that still call it ("Dynamic require
 * of ... is not supported" otherwise).
 *
 * The AWS SDK is bundled, not left to the runtime: only the clients a handler
 * imports end up in its bundle, tree-shaken from their ES modules
 * (`mainFields`), and a bundle loads in about a third of the time the
 * runtime's own SDK takes (bench/bundles.ts, docs/deploy.md). The default
 * credential chain is replaced by the environment provider Lambda needs
 * (`functions/storage/lambdaCredentials.ts`), which drops the SSO/STS/INI/IMDS
 * providers and their nested clients from every bundle.
 */
export const BUNDLING_DEFAULTS: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  externalModules: [],
  esbuildArgs: { '--alias:@aws-sdk/credential-provider-node': LAMBDA_CREDENTIALS_ENTRY },
};

/**
 * What every handler's bundle must stay within (docs/deploy.md, "Bundle
 * budget"), measured by `bench/bundles.ts` and held by test/infra/bundles.test.ts.
 */
export const BUNDLE_BUDGET = {
  maxBytes: 600 * 1024,
  maxColdInitMs: 150,
  /**
   * The one exception: the dispatcher calls five AWS services (DynamoDB, S3
   * for tiered records and parking, SSM for the private key, Lambda for its
   * targets, Step Functions for its wake-ups), about 40 KB past the rest, and
   * checks the records a target answers with against the schema of
   * `POST /v1/transactions` (zod, about 110 KB more). It runs on stream
   * batches, not on a request; its cold init is held to the same 150 ms.
   */
  maxBytesOf: { dispatcher: 800 * 1024 } as Readonly<Record<string, number>>,
} as const;

/** The size a handler's bundle must stay within. */
export function bundleBudgetOf(handler: string): number {
  return BUNDLE_BUDGET.maxBytesOf[handler] ?? BUNDLE_BUDGET.maxBytes;
}

export type FunctionStageSettings = Pick<
  StageConfig,
  'name' | 'memorySize' | 'timeoutSeconds' | 'tracing' | 'logLevel' | 'logRetention' | 'removalPolicy'
>;

/** Every Brook function: Node.js 22 on Graviton, bundled by the local esbuild (no Docker). */
export function functionDefaults(stage: FunctionStageSettings): NodejsFunctionProps {
  return {
    runtime: Runtime.NODEJS_22_X,
    architecture: Architecture.ARM_64,
    handler: 'handler',
    memorySize: stage.memorySize,
    timeout: Duration.seconds(stage.timeoutSeconds),
    tracing: stage.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: LOCK_FILE,
    bundling: BUNDLING_DEFAULTS,
  };
}

/** Variables every function gets, whatever it does. */
export function functionEnvironmentDefaults(stage: Pick<StageConfig, 'logLevel' | 'name'>): Record<string, string> {
  return {
    NODE_OPTIONS: '--enable-source-maps',
    // The deployment's name: the `service` key of every log line and the one dimension of Brook's metrics.
    POWERTOOLS_SERVICE_NAME: stage.name,
    POWERTOOLS_METRICS_NAMESPACE: BROOK_METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: stage.logLevel,
  };
}

export function logGroupDefaults(stage: Pick<StageConfig, 'logRetention' | 'removalPolicy'>): LogGroupProps {
  return { retention: stage.logRetention, removalPolicy: stage.removalPolicy };
}

export type TableStageSettings = Pick<StageConfig, 'removalPolicy' | 'pointInTimeRecovery' | 'deletionProtection'> & {
  /** A customer-managed key for the tables; without it, the AWS managed key. */
  readonly encryptionKey?: IKey;
};

/** A key attribute of a layout as CDK wants it. */
export function keyAttribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}

/** A table from its layout in `functions/layout/tables.ts`: on-demand, encrypted with the AWS managed key or the given one. */
export function tableProps(layout: TableLayout, stage: TableStageSettings): TableProps {
  return {
    partitionKey: keyAttribute(layout.partitionKey),
    ...(layout.sortKey ? { sortKey: keyAttribute(layout.sortKey) } : {}),
    ...(layout.timeToLiveAttribute ? { timeToLiveAttribute: layout.timeToLiveAttribute } : {}),
    ...(layout.streamKeys ? { stream: StreamViewType.KEYS_ONLY } : {}),
    billingMode: BillingMode.PAY_PER_REQUEST,
    ...(stage.encryptionKey
      ? { encryption: TableEncryption.CUSTOMER_MANAGED, encryptionKey: stage.encryptionKey }
      : { encryption: TableEncryption.AWS_MANAGED }),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: stage.pointInTimeRecovery },
    deletionProtection: stage.deletionProtection,
    removalPolicy: stage.removalPolicy,
  };
}

export type BucketStageSettings = Pick<
  StageConfig,
  'removalPolicy' | 'autoDeleteObjects' | 'bucketVersioning' | 'noncurrentVersionExpirationDays'
> & {
  /** A customer-managed key for the segments (the deployment's own key, as the tables'); without it, SSE-S3. */
  readonly encryptionKey?: IKey;
};

/**
 * The segment bucket: private, TLS only, encrypted with the deployment's
 * KMS key where it has one (with an S3 Bucket Key, so S3 asks KMS for a data
 * key now and then rather than on every object), SSE-S3 otherwise. Lifecycle
 * rules never expire a current object: everything under `batches/` and
 * `segments/` may be live data (a `batches/` object is part of the log until
 * the compactor rolls it into a segment, however late that run is), and S3
 * cannot tell an unreferenced object from a live one by age or prefix. So the
 * rules only abort abandoned multipart uploads and, when versioning is on,
 * remove old versions (what the compactor and retention deleted or replaced)
 * and the delete markers left alone.
 */
export function bucketProps(stage: BucketStageSettings): BucketProps {
  const lifecycleRules: LifecycleRule[] = [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }];
  if (stage.bucketVersioning) {
    lifecycleRules.push({
      id: 'ExpireOldVersions',
      noncurrentVersionExpiration: Duration.days(stage.noncurrentVersionExpirationDays),
      expiredObjectDeleteMarker: true,
    });
  }
  return {
    ...(stage.encryptionKey
      ? { encryption: BucketEncryption.KMS, encryptionKey: stage.encryptionKey, bucketKeyEnabled: true }
      : { encryption: BucketEncryption.S3_MANAGED }),
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: stage.bucketVersioning,
    removalPolicy: stage.removalPolicy,
    autoDeleteObjects: stage.autoDeleteObjects && stage.removalPolicy === RemovalPolicy.DESTROY,
    lifecycleRules,
  };
}

export type AccessLogBucketStageSettings = Pick<StageConfig, 'removalPolicy' | 'autoDeleteObjects' | 'logRetention'>;

/**
 * The bucket S3 writes the segment bucket's server access logs to: private,
 * TLS only, SSE-S3 (the only default encryption S3 log delivery writes to),
 * unversioned, logs expiring after the stage's `logRetention` (none with
 * `INFINITE`), and kept or deleted with the stack as the data is.
 */
export function accessLogBucketProps(stage: AccessLogBucketStageSettings): BucketProps {
  const expires = stage.logRetention !== RetentionDays.INFINITE;
  return {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: false,
    removalPolicy: stage.removalPolicy,
    autoDeleteObjects: stage.autoDeleteObjects && stage.removalPolicy === RemovalPolicy.DESTROY,
    lifecycleRules: [
      { id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ...(expires ? [{ id: 'ExpireAccessLogs', expiration: Duration.days(stage.logRetention) }] : []),
    ],
  };
}
