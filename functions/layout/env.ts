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
  subscriptionsTable: 'BROOK_SUBSCRIPTIONS_TABLE',
  bucket: 'BROOK_BUCKET',
  dynamoDbEndpoint: 'BROOK_DYNAMODB_ENDPOINT',
  s3Endpoint: 'BROOK_S3_ENDPOINT',
  keyCacheTtlMs: 'BROOK_KEY_CACHE_TTL_MS',
  inlineBatchMaxBytes: 'BROOK_INLINE_BATCH_MAX_BYTES',
  compactMinAgeMs: 'BROOK_COMPACT_MIN_AGE_MS',
  /** First retry delay of a failing subscription batch (doubling, capped at 60 times it). */
  subscriptionBackoffMs: 'BROOK_SUBSCRIPTION_BACKOFF_MS',
  /** `true` on the local stack only: webhooks may be plain `http` and resolve to loopback or private addresses. */
  allowPrivateTargets: 'BROOK_ALLOW_PRIVATE_TARGETS',
  /** The private key that opens webhook secrets, PKCS#8 DER in base64 (local stack and tests). */
  secretKey: 'BROOK_SECRET_KEY',
  /** The SSM SecureString parameter holding that private key (AWS: the dispatcher only). */
  secretKeyParameter: 'BROOK_SECRET_KEY_PARAMETER',
  /** The public key that seals webhook secrets, SPKI DER in base64 (AWS: the subscriptions API). */
  secretPublicKey: 'BROOK_SECRET_PUBLIC_KEY',
  /** The state machine that wakes the dispatcher after a delay (AWS): retries and batching windows. */
  wakeStateMachineArn: 'BROOK_WAKE_STATE_MACHINE_ARN',
  /** Local stack only: Lambda targets run in process, `{"<function ARN>": "<module path>#<export>"}`. */
  localLambdas: 'BROOK_LOCAL_LAMBDAS',
} as const;
