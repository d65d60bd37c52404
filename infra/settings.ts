import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { FunctionName } from '../functions/layout/routes.js';

/** The functions whose concurrency a deployment may reserve: any HTTP function (the compactor and the dispatcher have none: runs at once are safe). */
export type ConcurrencyLimitedFunction = FunctionName;

/** What the CloudWatch alarms watch for, and who hears about it. */
export interface AlarmSettings {
  /**
   * An address subscribed to the alarm topic (it must confirm the subscription).
   * @default none: subscribe what you use to the topic ARN in the stack outputs
   */
  readonly email?: string;
  /** API 5xx responses within 5 minutes that fire the alarm. @default 5 */
  readonly api5xxPer5Minutes?: number;
  /** Throttled API requests (429s) within 5 minutes that fire the alarm. @default 10 */
  readonly apiThrottlesPer5Minutes?: number;
  /** Hours without a finished compactor sweep (daily) before the lag alarm fires (24..168). @default 25 */
  readonly compactorLagHours?: number;
  /**
   * Minutes the oldest record of a subscription made with `subscribe()` may
   * wait (its `SubscriptionIteratorAge`) before that subscription's alarm fires.
   * @default 15
   */
  readonly subscriptionIteratorAgeMinutes?: number;
}

/**
 * Everything a deployment of Brook can be told, as plain data: the props of
 * `BrookEventLog` and the body of a stage in `infra/config.ts`. Every setting
 * has a default, and the defaults are the safe ones (data kept, recoverable,
 * private), so an app that embeds the construct with `{}` loses nothing by
 * accident.
 */
export interface BrookSettings {
  /**
   * Prefix of the few physical names Brook sets (API name, dashboard, alarm
   * names): `<name>-api`, ... Tables and bucket are named by CloudFormation.
   * @default 'brook'
   */
  readonly name?: string;
  /** What happens to tables, the buckets, the admin key parameter, the KMS key and log groups when the stack goes. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** Empty the segment bucket and its access-log bucket on stack deletion (only with `RemovalPolicy.DESTROY`). @default false */
  readonly autoDeleteObjects?: boolean;
  /** DynamoDB point-in-time recovery (35 days) on every table. @default true */
  readonly pointInTimeRecovery?: boolean;
  /** DynamoDB deletion protection on every table. @default true */
  readonly deletionProtection?: boolean;
  /** Keep old object versions in the segment bucket. @default true */
  readonly bucketVersioning?: boolean;
  /** Days before an overwritten or deleted segment version goes (with `bucketVersioning`). @default 30 */
  readonly noncurrentVersionExpirationDays?: number;
  /**
   * Encryption at rest of the data: `aws-managed` (tables with the
   * `aws/dynamodb` key, the segment bucket with SSE-S3; no key charge) or
   * `customer-managed` (one KMS key per deployment, rotated yearly, kept as
   * long as the data is, for the tables and the segment bucket, with an S3
   * Bucket Key). The access-log bucket is SSE-S3 either way (S3 log delivery
   * writes to nothing else).
   * @default 'aws-managed'
   */
  readonly tableEncryption?: 'aws-managed' | 'customer-managed';
  /** Retention of every Lambda log group, the API access log and the segment bucket's access logs. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** `POWERTOOLS_LOG_LEVEL` of the handlers. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Lambda memory, MB (CPU scales with it). @default 1024 */
  readonly memorySize?: number;
  /** Lambda timeout, seconds. API Gateway gives up after 30 s whatever this says. @default 10 */
  readonly timeoutSeconds?: number;
  /** X-Ray active tracing on the functions and the `POWERTOOLS_TRACE_*` switch. @default false */
  readonly tracing?: boolean;
  /** Default-stage throttling of the HTTP API (requests per second, and burst). @default { rateLimit: 1000, burstLimit: 2000 } */
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins a browser may call the API from; empty turns CORS off (the SDK and CLI need none). @default [] */
  readonly corsAllowedOrigins?: readonly string[];
  /**
   * How API Gateway admits a request. `apiKey`: every route is open at the
   * gateway and the handlers check `Authorization: Bearer <key>`. `iam`: the
   * AWS_IAM authorizer (SigV4) guards every route but `GET /v1/health`.
   * @default 'apiKey'
   */
  readonly auth?: 'apiKey' | 'iam';
  /**
   * The IAM role ARN that owns the first admin key (its principal). With
   * `auth: 'iam'` a bearer key never reaches the handlers, so a stage needs an
   * IAM admin to create keys and grants: set this to the operators' role.
   * Read at the first deploy only (an existing key keeps its principal).
   * @default 'admin' (a plain principal: a bearer-key admin)
   */
  readonly adminPrincipal?: string;
  /**
   * Alarms (to an SNS topic) and a dashboard. They have monthly prices of
   * their own whether or not anything happens (an alarm $0.10, a dashboard
   * $3 past the account's first three), so a stage that must cost nothing
   * when idle turns them off. @default true
   */
  readonly monitoring?: boolean;
  /**
   * Reserved concurrency per function: caps what one function can do to
   * DynamoDB and keeps account concurrency for the others. Unlisted functions
   * scale freely. The compactor and the dispatcher are never capped (a stream poller per shard, runs at once are safe).
   * @default {} (none reserved)
   */
  readonly reservedConcurrency?: Readonly<Partial<Record<ConcurrencyLimitedFunction, number>>>;
  /** Alarms: thresholds and an optional e-mail subscription. @default {} (the defaults of AlarmSettings) */
  readonly alarms?: AlarmSettings;
}

/** Settings with every default filled in: what the constructs read. */
export type ResolvedSettings = Required<Omit<BrookSettings, 'alarms' | 'adminPrincipal'>> &
  Pick<BrookSettings, 'adminPrincipal'> & { readonly alarms: Required<Omit<AlarmSettings, 'email'>> & Pick<AlarmSettings, 'email'> };

/** The defaults of `BrookSettings`, written once. */
export const DEFAULT_SETTINGS: ResolvedSettings = {
  name: 'brook',
  removalPolicy: RemovalPolicy.RETAIN,
  autoDeleteObjects: false,
  pointInTimeRecovery: true,
  deletionProtection: true,
  bucketVersioning: true,
  noncurrentVersionExpirationDays: 30,
  tableEncryption: 'aws-managed',
  logRetention: RetentionDays.ONE_MONTH,
  logLevel: 'INFO',
  memorySize: 1024,
  timeoutSeconds: 10,
  tracing: false,
  throttle: { rateLimit: 1000, burstLimit: 2000 },
  corsAllowedOrigins: [],
  auth: 'apiKey',
  monitoring: true,
  reservedConcurrency: {},
  alarms: { api5xxPer5Minutes: 5, apiThrottlesPer5Minutes: 10, compactorLagHours: 25, subscriptionIteratorAgeMinutes: 15 },
};

/** Fills every missing setting from `DEFAULT_SETTINGS`. */
export function resolveSettings(settings: BrookSettings): ResolvedSettings {
  return {
    ...DEFAULT_SETTINGS,
    ...definedOnly(settings),
    alarms: { ...DEFAULT_SETTINGS.alarms, ...definedOnly(settings.alarms ?? {}) },
  } as ResolvedSettings;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
