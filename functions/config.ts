import { createPrivateKey } from 'node:crypto';
import { CONFIG_ENV } from './layout/env.js';
import type { TableName } from './layout/tables.js';

/**
 * Everything a handler needs to know about its environment, read once at cold
 * start. Features get this object (or parts of it) through their constructors
 * and never read `process.env` themselves.
 */
export interface BrookConfig {
  /** Physical table names. */
  readonly tables: Readonly<Record<TableName, string>>;
  /** The S3 bucket for log segments. */
  readonly bucket: string;
  readonly region: string;
  /** Set only for DynamoDB Local; in AWS the SDK finds the endpoint itself. */
  readonly dynamoDbEndpoint?: string;
  /** Set only for the S3 emulator. */
  readonly s3Endpoint?: string;
  /** How long a warm handler may trust a cached API-key lookup: bounds how late a revoke takes effect in other Lambda containers (docs/access.md). @default 5000 */
  readonly keyCacheTtlMs: number;
  /**
   * Batches larger than this (bytes, encoded) are written to S3 with a pointer
   * item in the log; smaller ones are stored in the log item itself. One S3
   * PUT costs what 8 KB of DynamoDB writes cost, so larger batches are cheaper
   * in S3 (docs/design.md, "Where a batch is stored"). @default 16384
   */
  readonly inlineBatchMaxBytes: number;
  /** The compactor leaves batches younger than this in DynamoDB. @default 300000 */
  readonly compactMinAgeMs: number;
  /** First retry delay of a failing subscription batch, doubling up to 60 times it. @default 1000 */
  readonly subscriptionBackoffMs: number;
  /**
   * Webhooks may use plain `http` and resolve to loopback, private or
   * link-local addresses: the local stack only. In AWS stages such targets
   * are refused (they would reach into the VPC or the metadata service). @default false
   */
  readonly allowPrivateTargets: boolean;
  /**
   * The private key that opens webhook signing secrets (PKCS#8 DER, base64):
   * given directly (the local stack, tests) or as the name of the SSM
   * SecureString that holds it (AWS, the dispatcher only).
   */
  readonly secretKey?: { readonly value: string } | { readonly parameterName: string };
  /** The public key that seals them (SPKI DER, base64). Without it, it is made from `secretKey.value`. */
  readonly secretPublicKey?: string;
  /** The state machine that wakes the dispatcher after a delay (AWS). Without it, wake-ups are timers in this process (local stack). */
  readonly wakeStateMachineArn?: string;
  /** Local stack only: Lambda targets run in this process, function ARN to `<module path>#<export>`. */
  readonly localLambdas?: Readonly<Record<string, string>>;
}

/** DynamoDB's item limit is 400 KB; keys and attributes need some of it. */
export const MAX_INLINE_BATCH_BYTES = 350_000;
export const DEFAULT_INLINE_BATCH_MAX_BYTES = 16_384;
export const DEFAULT_COMPACT_MIN_AGE_MS = 300_000;
export const DEFAULT_SUBSCRIPTION_BACKOFF_MS = 1_000;
/**
 * How long a warm Lambda container trusts a key it looked up: 0, so that a
 * revoke works at once everywhere, as docs/http.md promises (1 read unit per request).
 * A deployment may raise it, accepting that a revoked key works that long in
 * other containers.
 */
export const DEFAULT_KEY_CACHE_TTL_MS = 0;
/** The local stack runs every handler in one process, where a revoke clears the cache at once: it can cache. */
export const LOCAL_KEY_CACHE_TTL_MS = 5_000;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new ConfigError(`environment variable ${name} is required`);
  }
  return value;
}

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: string, fallback: number): number {
  const raw = optional(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`environment variable ${name} must be a non-negative integer, got "${raw}"`);
  }
  return value;
}

function flag(env: Env, name: string): boolean {
  const raw = optional(env, name);
  if (raw === undefined || raw === 'false' || raw === '0') return false;
  if (raw === 'true' || raw === '1') return true;
  throw new ConfigError(`environment variable ${name} must be true or false, got "${raw}"`);
}

function secretKey(env: Env): BrookConfig['secretKey'] | undefined {
  const value = optional(env, CONFIG_ENV.secretKey);
  if (value !== undefined) {
    try {
      createPrivateKey({ key: Buffer.from(value, 'base64'), format: 'der', type: 'pkcs8' });
    } catch {
      throw new ConfigError(`environment variable ${CONFIG_ENV.secretKey} must be a private key (PKCS#8 DER) in base64`);
    }
    return { value };
  }
  const parameterName = optional(env, CONFIG_ENV.secretKeyParameter);
  if (parameterName !== undefined) return { parameterName };
  // Only the functions that seal or open webhook secrets need it; they fail at first use without it.
  return undefined;
}

function localLambdas(env: Env): Record<string, string> | undefined {
  const raw = optional(env, CONFIG_ENV.localLambdas);
  if (raw === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError(`environment variable ${CONFIG_ENV.localLambdas} must be a JSON object of function ARN to "<module>#<export>"`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
    throw new ConfigError(`environment variable ${CONFIG_ENV.localLambdas} must be a JSON object of function ARN to "<module>#<export>"`);
  }
  return parsed as Record<string, string>;
}

/** Reads and checks the configuration; fails fast with a message naming the variable. */
export function loadConfig(env: Env = process.env): BrookConfig {
  const dynamoDbEndpoint = optional(env, CONFIG_ENV.dynamoDbEndpoint);
  const s3Endpoint = optional(env, CONFIG_ENV.s3Endpoint);
  return {
    tables: {
      log: required(env, CONFIG_ENV.logTable),
      topics: required(env, CONFIG_ENV.topicsTable),
      groups: required(env, CONFIG_ENV.groupsTable),
      keys: required(env, CONFIG_ENV.keysTable),
      subscriptions: required(env, CONFIG_ENV.subscriptionsTable),
    },
    bucket: required(env, CONFIG_ENV.bucket),
    region: optional(env, 'AWS_REGION') ?? 'us-east-1',
    ...(dynamoDbEndpoint ? { dynamoDbEndpoint } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    keyCacheTtlMs: integer(env, CONFIG_ENV.keyCacheTtlMs, DEFAULT_KEY_CACHE_TTL_MS),
    inlineBatchMaxBytes: Math.min(integer(env, CONFIG_ENV.inlineBatchMaxBytes, DEFAULT_INLINE_BATCH_MAX_BYTES), MAX_INLINE_BATCH_BYTES),
    compactMinAgeMs: integer(env, CONFIG_ENV.compactMinAgeMs, DEFAULT_COMPACT_MIN_AGE_MS),
    subscriptionBackoffMs: integer(env, CONFIG_ENV.subscriptionBackoffMs, DEFAULT_SUBSCRIPTION_BACKOFF_MS),
    allowPrivateTargets: flag(env, CONFIG_ENV.allowPrivateTargets),
    ...(secretKey(env) ? { secretKey: secretKey(env)! } : {}),
    ...(optional(env, CONFIG_ENV.secretPublicKey) ? { secretPublicKey: optional(env, CONFIG_ENV.secretPublicKey)! } : {}),
    ...(optional(env, CONFIG_ENV.wakeStateMachineArn) ? { wakeStateMachineArn: optional(env, CONFIG_ENV.wakeStateMachineArn)! } : {}),
    ...(localLambdas(env) ? { localLambdas: localLambdas(env)! } : {}),
  };
}

/** The environment that makes `loadConfig` return `config` (used by the local stack and tests). */
export function configToEnv(config: BrookConfig): Record<string, string> {
  return {
    [CONFIG_ENV.logTable]: config.tables.log,
    [CONFIG_ENV.topicsTable]: config.tables.topics,
    [CONFIG_ENV.groupsTable]: config.tables.groups,
    [CONFIG_ENV.keysTable]: config.tables.keys,
    [CONFIG_ENV.subscriptionsTable]: config.tables.subscriptions,
    [CONFIG_ENV.bucket]: config.bucket,
    AWS_REGION: config.region,
    ...(config.dynamoDbEndpoint ? { [CONFIG_ENV.dynamoDbEndpoint]: config.dynamoDbEndpoint } : {}),
    ...(config.s3Endpoint ? { [CONFIG_ENV.s3Endpoint]: config.s3Endpoint } : {}),
    [CONFIG_ENV.keyCacheTtlMs]: String(config.keyCacheTtlMs),
    [CONFIG_ENV.inlineBatchMaxBytes]: String(config.inlineBatchMaxBytes),
    [CONFIG_ENV.compactMinAgeMs]: String(config.compactMinAgeMs),
    [CONFIG_ENV.subscriptionBackoffMs]: String(config.subscriptionBackoffMs),
    [CONFIG_ENV.allowPrivateTargets]: String(config.allowPrivateTargets),
    ...(config.secretKey && 'value' in config.secretKey ? { [CONFIG_ENV.secretKey]: config.secretKey.value } : {}),
    ...(config.secretKey && 'parameterName' in config.secretKey ? { [CONFIG_ENV.secretKeyParameter]: config.secretKey.parameterName } : {}),
    ...(config.secretPublicKey ? { [CONFIG_ENV.secretPublicKey]: config.secretPublicKey } : {}),
    ...(config.wakeStateMachineArn ? { [CONFIG_ENV.wakeStateMachineArn]: config.wakeStateMachineArn } : {}),
    ...(config.localLambdas ? { [CONFIG_ENV.localLambdas]: JSON.stringify(config.localLambdas) } : {}),
  };
}
