import { RemovalPolicy } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';

/**
 * Everything that differs between deployments of Brook, as plain typed data
 * (in the manner of BLEA's `parameter.ts`). Pick one with `-c stage=<name>`;
 * the default is `dev`. Constructs read these values; they never branch on
 * the stage name.
 */
export interface StageConfig {
  /** Stage name: the stack is `brook-<name>`. Lower case letters, digits and dashes. */
  readonly name: string;
  /**
   * Where to deploy. Set it to pin a stage to one account and region.
   * @default environment-agnostic: the account and region of the CLI's credentials at deploy time
   */
  readonly env?: { readonly account?: string; readonly region?: string };
  /** What happens to tables, the bucket, the secret and log groups when the stack goes. */
  readonly removalPolicy: RemovalPolicy;
  /** Empty the segment bucket on stack deletion (only meaningful with `RemovalPolicy.DESTROY`). */
  readonly autoDeleteObjects: boolean;
  /** DynamoDB point-in-time recovery on every table. */
  readonly pointInTimeRecovery: boolean;
  /** DynamoDB deletion protection on every table. */
  readonly deletionProtection: boolean;
  /** Keep old object versions in the segment bucket. */
  readonly bucketVersioning: boolean;
  /** Retention of every Lambda log group. */
  readonly logRetention: RetentionDays;
  /** `POWERTOOLS_LOG_LEVEL` of the handlers. */
  readonly logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Lambda memory, MB (CPU scales with it). */
  readonly memorySize: number;
  /** Lambda timeout, seconds. API Gateway gives up after 30 s whatever this says. */
  readonly timeoutSeconds: number;
  /** X-Ray active tracing on the functions. */
  readonly tracing: boolean;
  /** Default-stage throttling of the HTTP API. */
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Origins a browser may call the API from; empty turns CORS off (the SDK and CLI need none). */
  readonly corsAllowedOrigins: readonly string[];
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
};

export const STAGES: Readonly<Record<string, StageConfig>> = { dev, prod };

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
