/**
 * Brook's defaults for each kind of resource, kept apart from the wiring (in
 * the manner of Solutions Constructs' `*-defaults.ts`). Constructs call these
 * and add only what is specific to one resource.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, TableEncryption, type Attribute, type TableProps } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { OutputFormat, type BundlingOptions, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { LogGroupProps } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, BucketEncryption, type BucketProps } from 'aws-cdk-lib/aws-s3';
import type { KeyAttribute, TableLayout } from '../../functions/storage/tables.js';
import type { StageConfig } from '../config.js';
import { LOCK_FILE, PROJECT_ROOT } from '../paths.js';

/** Name Powertools puts in every log line and metric. */
export const SERVICE_NAME = 'brook';

/**
 * ESM bundles, minified, with source maps. The banner gives ESM code a
 * `require` for the CommonJS dependencies that still call it ("Dynamic require
 * of ... is not supported" otherwise). The Lambda runtime provides the AWS SDK.
 */
export const BUNDLING_DEFAULTS: BundlingOptions = {
  format: OutputFormat.ESM,
  minify: true,
  sourceMap: true,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
  externalModules: ['@aws-sdk/*'],
};

export type FunctionStageSettings = Pick<
  StageConfig,
  'memorySize' | 'timeoutSeconds' | 'tracing' | 'logLevel' | 'logRetention' | 'removalPolicy'
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
export function functionEnvironmentDefaults(stage: Pick<StageConfig, 'logLevel'>): Record<string, string> {
  return {
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_LOG_LEVEL: stage.logLevel,
  };
}

export function logGroupDefaults(stage: Pick<StageConfig, 'logRetention' | 'removalPolicy'>): LogGroupProps {
  return { retention: stage.logRetention, removalPolicy: stage.removalPolicy };
}

export type TableStageSettings = Pick<StageConfig, 'removalPolicy' | 'pointInTimeRecovery' | 'deletionProtection'>;

/** A key attribute of a layout as CDK wants it. */
export function keyAttribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: key.type === 'S' ? AttributeType.STRING : AttributeType.NUMBER };
}

/** A table from its layout in `functions/storage/tables.ts`: on-demand, encrypted with the AWS managed key. */
export function tableProps(layout: TableLayout, stage: TableStageSettings): TableProps {
  return {
    partitionKey: keyAttribute(layout.partitionKey),
    ...(layout.sortKey ? { sortKey: keyAttribute(layout.sortKey) } : {}),
    ...(layout.timeToLiveAttribute ? { timeToLiveAttribute: layout.timeToLiveAttribute } : {}),
    billingMode: BillingMode.PAY_PER_REQUEST,
    encryption: TableEncryption.AWS_MANAGED,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: stage.pointInTimeRecovery },
    deletionProtection: stage.deletionProtection,
    removalPolicy: stage.removalPolicy,
  };
}

export type BucketStageSettings = Pick<StageConfig, 'removalPolicy' | 'autoDeleteObjects' | 'bucketVersioning'>;

/** The segment bucket: private, TLS only, S3-managed encryption. */
export function bucketProps(stage: BucketStageSettings): BucketProps {
  return {
    encryption: BucketEncryption.S3_MANAGED,
    blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
    enforceSSL: true,
    versioned: stage.bucketVersioning,
    removalPolicy: stage.removalPolicy,
    autoDeleteObjects: stage.autoDeleteObjects && stage.removalPolicy === RemovalPolicy.DESTROY,
    lifecycleRules: [{ id: 'AbortIncompleteUploads', abortIncompleteMultipartUploadAfter: Duration.days(1) }],
  };
}
