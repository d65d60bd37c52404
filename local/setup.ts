/**
 * Creates what a deployment's CDK stack would: the tables from TABLE_LAYOUTS
 * and the segment bucket. Idempotent: existing tables and buckets are kept
 * (their data too); only missing ones are created. Meant for DynamoDB Local
 * and s3rver (the local stack and the tests).
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { DEFAULT_COMPACT_MIN_AGE_MS, DEFAULT_SUBSCRIPTION_BACKOFF_MS, DEFAULT_INLINE_BATCH_MAX_BYTES, LOCAL_KEY_CACHE_TTL_MS, type BrookConfig } from '../functions/config.js';
import { createS3Client } from '../functions/storage/s3Client.js';
import { newSecretKeyPair } from '../functions/subscriptions/secretSealer.js';
import { TABLE_LAYOUTS, type TableLayout, type TableName } from '../functions/layout/tables.js';
import { DYNAMODB_LOCAL_CREDENTIALS } from './emulators.js';

const TABLE_NAMES = Object.keys(TABLE_LAYOUTS) as TableName[];

export interface LocalConfigOptions {
  /** Prefix of every physical name: tables `<prefix>-log`, ..., bucket `<prefix>-segments`. */
  readonly prefix: string;
  readonly dynamoDbEndpoint: string;
  readonly s3Endpoint: string;
  /** @default 'us-east-1' */
  readonly region?: string;
  /** @default LOCAL_KEY_CACHE_TTL_MS (5000; a revoke clears this process's cache at once) */
  readonly keyCacheTtlMs?: number;
  /** @default DEFAULT_INLINE_BATCH_MAX_BYTES (16384) */
  readonly inlineBatchMaxBytes?: number;
  /** @default DEFAULT_COMPACT_MIN_AGE_MS (300000) */
  readonly compactMinAgeMs?: number;
  /** @default DEFAULT_SUBSCRIPTION_BACKOFF_MS (1000) */
  readonly subscriptionBackoffMs?: number;
  /** Opens webhook secrets: a private key, PKCS#8 DER in base64. @default a new key pair (secrets sealed with it die with the process) */
  readonly secretKey?: string;
  /** Lambda targets run in process: function ARN to `<module path>#<export>`. */
  readonly localLambdas?: Readonly<Record<string, string>>;
}

/** A `BrookConfig` for the emulators, with names derived from `prefix`. */
export function localConfig(options: LocalConfigOptions): BrookConfig {
  const tables = Object.fromEntries(TABLE_NAMES.map((name) => [name, `${options.prefix}-${name}`])) as Record<
    TableName,
    string
  >;
  return {
    tables,
    bucket: `${options.prefix}-segments`,
    region: options.region ?? 'us-east-1',
    dynamoDbEndpoint: options.dynamoDbEndpoint,
    s3Endpoint: options.s3Endpoint,
    keyCacheTtlMs: options.keyCacheTtlMs ?? LOCAL_KEY_CACHE_TTL_MS,
    inlineBatchMaxBytes: options.inlineBatchMaxBytes ?? DEFAULT_INLINE_BATCH_MAX_BYTES,
    compactMinAgeMs: options.compactMinAgeMs ?? DEFAULT_COMPACT_MIN_AGE_MS,
    subscriptionBackoffMs: options.subscriptionBackoffMs ?? DEFAULT_SUBSCRIPTION_BACKOFF_MS,
    // The local stack delivers to webhooks on this machine.
    allowPrivateTargets: true,
    secretKey: { value: options.secretKey ?? newSecretKeyPair().privateKey },
    // Local mode: Lambda targets run in process, and only those mapped here.
    localLambdas: options.localLambdas ?? {},
  };
}

function dynamoDbClient(config: Pick<BrookConfig, 'region' | 'dynamoDbEndpoint'>): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...(config.dynamoDbEndpoint
      ? { endpoint: config.dynamoDbEndpoint, credentials: DYNAMODB_LOCAL_CREDENTIALS }
      : {}),
  });
}

/** The CreateTable input for one layout (on-demand billing, GSIs projecting all attributes). */
export function createTableInput(tableName: string, layout: TableLayout): ConstructorParameters<typeof CreateTableCommand>[0] {
  const attributes = new Map<string, AttributeDefinition>();
  const define = (key: { name: string; type: 'S' | 'N' }) => {
    attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  };
  define(layout.partitionKey);
  if (layout.sortKey) define(layout.sortKey);
  for (const index of layout.globalSecondaryIndexes ?? []) define(index.partitionKey);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes.values()],
    KeySchema: [
      { AttributeName: layout.partitionKey.name, KeyType: 'HASH' },
      ...(layout.sortKey ? [{ AttributeName: layout.sortKey.name, KeyType: 'RANGE' as const }] : []),
    ],
    ...(layout.globalSecondaryIndexes?.length
      ? {
          GlobalSecondaryIndexes: layout.globalSecondaryIndexes.map((index) => ({
            IndexName: index.indexName,
            KeySchema: [{ AttributeName: index.partitionKey.name, KeyType: 'HASH' as const }],
            Projection: { ProjectionType: 'ALL' as const },
          })),
        }
      : {}),
  };
}

async function ensureTable(client: DynamoDBClient, tableName: string, layout: TableLayout): Promise<void> {
  let exists = true;
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    exists = false;
  }
  if (!exists) {
    try {
      await client.send(new CreateTableCommand(createTableInput(tableName, layout)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error; // created meanwhile
    }
    await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { TableName: tableName });
  }
  if (layout.timeToLiveAttribute) {
    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (status !== 'ENABLED' && status !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { AttributeName: layout.timeToLiveAttribute, Enabled: true },
        }),
      );
    }
  }
}

/** Creates every table of `config.tables` that does not exist yet, and enables TTL where the layout has one. */
export async function ensureTables(config: Pick<BrookConfig, 'tables' | 'region' | 'dynamoDbEndpoint'>): Promise<void> {
  const client = dynamoDbClient(config);
  try {
    await Promise.all(TABLE_NAMES.map((name) => ensureTable(client, config.tables[name], TABLE_LAYOUTS[name])));
  } finally {
    client.destroy();
  }
}

/** Creates `config.bucket` if it does not exist yet. */
export async function ensureBucket(config: Pick<BrookConfig, 'bucket' | 'region' | 's3Endpoint'>): Promise<void> {
  const client = createS3Client(config);
  try {
    try {
      await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
      return;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw error;
    }
    try {
      await client.send(new CreateBucketCommand({ Bucket: config.bucket }));
    } catch (error) {
      const name = (error as Error).name;
      // s3rver answers BucketAlreadyExists for its own buckets; in AWS that means someone else's.
      const ours = name === 'BucketAlreadyOwnedByYou' || (name === 'BucketAlreadyExists' && config.s3Endpoint);
      if (!ours) throw error;
    }
  } finally {
    client.destroy();
  }
}
