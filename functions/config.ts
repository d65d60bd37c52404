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
}

/** DynamoDB's item limit is 400 KB; keys and attributes need some of it. */
export const MAX_INLINE_BATCH_BYTES = 350_000;
export const DEFAULT_INLINE_BATCH_MAX_BYTES = 16_384;
export const DEFAULT_COMPACT_MIN_AGE_MS = 300_000;
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
    },
    bucket: required(env, CONFIG_ENV.bucket),
    region: optional(env, 'AWS_REGION') ?? 'us-east-1',
    ...(dynamoDbEndpoint ? { dynamoDbEndpoint } : {}),
    ...(s3Endpoint ? { s3Endpoint } : {}),
    keyCacheTtlMs: integer(env, CONFIG_ENV.keyCacheTtlMs, DEFAULT_KEY_CACHE_TTL_MS),
    inlineBatchMaxBytes: Math.min(integer(env, CONFIG_ENV.inlineBatchMaxBytes, DEFAULT_INLINE_BATCH_MAX_BYTES), MAX_INLINE_BATCH_BYTES),
    compactMinAgeMs: integer(env, CONFIG_ENV.compactMinAgeMs, DEFAULT_COMPACT_MIN_AGE_MS),
  };
}

/** The environment that makes `loadConfig` return `config` (used by the local stack and tests). */
export function configToEnv(config: BrookConfig): Record<string, string> {
  return {
    [CONFIG_ENV.logTable]: config.tables.log,
    [CONFIG_ENV.topicsTable]: config.tables.topics,
    [CONFIG_ENV.groupsTable]: config.tables.groups,
    [CONFIG_ENV.keysTable]: config.tables.keys,
    [CONFIG_ENV.bucket]: config.bucket,
    AWS_REGION: config.region,
    ...(config.dynamoDbEndpoint ? { [CONFIG_ENV.dynamoDbEndpoint]: config.dynamoDbEndpoint } : {}),
    ...(config.s3Endpoint ? { [CONFIG_ENV.s3Endpoint]: config.s3Endpoint } : {}),
    [CONFIG_ENV.keyCacheTtlMs]: String(config.keyCacheTtlMs),
    [CONFIG_ENV.inlineBatchMaxBytes]: String(config.inlineBatchMaxBytes),
    [CONFIG_ENV.compactMinAgeMs]: String(config.compactMinAgeMs),
  };
}
