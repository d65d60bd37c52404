import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { AlarmSettings, BrookSettings } from './settings.js';

/**
 * Everything that differs between deployments of Brook, as plain typed data
 * (in the manner of BLEA's `parameter.ts`). Pick one with `-c stage=<name>`;
 * the default is `dev`. Constructs read these values; they never branch on
 * the stage name. A stage is the `BrookEventLog` settings (documented, with
 * their defaults, in `infra/settings.ts`), with the ones that matter most
 * made explicit for every stage.
 */
export interface StageConfig extends BrookSettings {
  /** Stage name: the stack is `brook-<name>`. Lower case letters, digits and dashes. */
  readonly name: string;
  /**
   * Where to deploy. Set it to pin a stage to one account and region.
   * @default environment-agnostic: the account and region of the CLI's credentials at deploy time
   */
  readonly env?: { readonly account?: string; readonly region?: string };
  readonly removalPolicy: RemovalPolicy;
  readonly autoDeleteObjects: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly deletionProtection: boolean;
  readonly bucketVersioning: boolean;
  readonly logRetention: RetentionDays;
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  readonly memorySize: number;
  readonly timeoutSeconds: number;
  readonly tracing: boolean;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  readonly corsAllowedOrigins: readonly string[];
  readonly auth: 'apiKey' | 'iam';
  readonly alarms: AlarmSettings;
}

export const DEFAULT_STAGE = 'dev';

/** A throwaway stage: everything goes with the stack, logs are short-lived. */
const dev: StageConfig = {
  name: 'dev',
  removalPolicy: RemovalPolicy.DESTROY,
  autoDeleteObjects: true,
  pointInTimeRecovery: false,
  deletionProtection: false,
  bucketVersioning: false,
  logRetention: RetentionDays.ONE_WEEK,
  logLevel: 'DEBUG',
  memorySize: 512,
  timeoutSeconds: 10,
  tracing: false,
  throttle: { rateLimit: 100, burstLimit: 200 },
  corsAllowedOrigins: ['*'],
  auth: 'apiKey',
  tableEncryption: 'aws-managed',
  // Nothing to pay while idle: no alarms, no dashboard (both are billed by the month).
  monitoring: false,
  alarms: {},
};

/**
 * A rehearsal of prod: data is kept (a mistaken `cdk destroy` loses nothing)
 * and recoverable, but the bucket keeps no old versions and there is no
 * deletion protection, so a stack can be rebuilt at will.
 */
const staging: StageConfig = {
  name: 'staging',
  removalPolicy: RemovalPolicy.RETAIN,
  autoDeleteObjects: false,
  pointInTimeRecovery: true,
  deletionProtection: false,
  bucketVersioning: false,
  logRetention: RetentionDays.TWO_WEEKS,
  logLevel: 'INFO',
  memorySize: 1024,
  timeoutSeconds: 10,
  tracing: true,
  throttle: { rateLimit: 200, burstLimit: 400 },
  corsAllowedOrigins: [],
  auth: 'apiKey',
  tableEncryption: 'aws-managed',
  reservedConcurrency: { groups: 20 },
  alarms: {},
};

/** Data outlives the stack; tables can be restored to any second of the last 35 days. */
const prod: StageConfig = {
  name: 'prod',
  removalPolicy: RemovalPolicy.RETAIN,
  autoDeleteObjects: false,
  pointInTimeRecovery: true,
  deletionProtection: true,
  bucketVersioning: true,
  logRetention: RetentionDays.ONE_MONTH,
  logLevel: 'INFO',
  memorySize: 1024,
  timeoutSeconds: 10,
  tracing: true,
  throttle: { rateLimit: 1000, burstLimit: 2000 },
  corsAllowedOrigins: [],
  auth: 'apiKey',
  tableEncryption: 'customer-managed',
  // Group traffic is heartbeats: cap it so that a crowd of consumers cannot starve produce and fetch of DynamoDB.
  reservedConcurrency: { groups: 50 },
  noncurrentVersionExpirationDays: 30,
  alarms: { api5xxPer5Minutes: 5, apiThrottlesPer5Minutes: 10, compactorLagHours: 25, subscriptionIteratorAgeMinutes: 15 },
};

export const STAGES: Readonly<Record<string, StageConfig>> = { dev, staging, prod };

export class UnknownStageError extends Error {
  override readonly name = 'UnknownStageError';
}

/** The configuration of stage `name`; throws naming the known stages when there is none. */
export function getStageConfig(name: string): StageConfig {
  const config = Object.hasOwn(STAGES, name) ? STAGES[name] : undefined;
  if (!config) {
    throw new UnknownStageError(
      `unknown stage "${name}": choose one of ${Object.keys(STAGES).join(', ')} (cdk synth -c stage=<name>)`,
    );
  }
  return config;
}
