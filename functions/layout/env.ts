/**
 * The environment variables a deployment sets for the handlers, one per
 * setting: the CDK stack writes them, `functions/config.ts` reads them.
 * Runtime-free, so the CDK app can import it.
 */
export const CONFIG_ENV = {
  logTable: 'BROOK_LOG_TABLE',
  topicsTable: 'BROOK_TOPICS_TABLE',
  groupsTable: 'BROOK_GROUPS_TABLE',
  keysTable: 'BROOK_KEYS_TABLE',
  bucket: 'BROOK_BUCKET',
  dynamoDbEndpoint: 'BROOK_DYNAMODB_ENDPOINT',
  s3Endpoint: 'BROOK_S3_ENDPOINT',
  keyCacheTtlMs: 'BROOK_KEY_CACHE_TTL_MS',
  inlineBatchMaxBytes: 'BROOK_INLINE_BATCH_MAX_BYTES',
  compactMinAgeMs: 'BROOK_COMPACT_MIN_AGE_MS',
} as const;
