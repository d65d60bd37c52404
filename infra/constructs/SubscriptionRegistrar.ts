import { CustomResource, Duration, Token } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Provider } from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { isValidGroupName, isValidTopicName } from '../../protocol/names.js';
import type { TableName } from '../../functions/layout/tables.js';
import { SUBSCRIPTION_RESOURCE_ACCESS } from '../functionAccess.js';
import { BrookFunction } from './BrookFunction.js';
import { logGroupDefaults, type FunctionStageSettings } from './defaults.js';
import { grantDataAccess } from './grants.js';

/** The CloudFormation type of a subscription made by `BrookEventLog.subscribe()`. */
export const SUBSCRIPTION_RESOURCE_TYPE = 'Custom::BrookSubscription';

/**
 * The limits of a subscription's settings, checked at synth time (the same
 * as the API's, `SUBSCRIPTION_LIMITS` of functions/subscriptions/subscriptionRoutes.ts,
 * which the CDK app cannot load; test/infra/subscriptions.test.ts holds them equal).
 */
export const SUBSCRIBE_LIMITS = {
  maxBatchSize: 10_000,
  maxBatchingWindowMs: 300_000,
  maxRetries: 10_000,
  minRecordAgeMs: 60_000,
} as const;

/** How `BrookEventLog.subscribe()` delivers a topic's records to a function: the settings of the subscription it makes. */
export interface SubscribeOptions {
  /**
   * The subscription's name (1 to 255 of `[A-Za-z0-9._-]`), unique in the deployment.
   * @default `<topic>-<the function's construct id>`, other characters replaced by `-`
   */
  readonly name?: string;
  /** Records per invocation, 1 to 10,000. @default 100 */
  readonly batchSize?: number;
  /** How long a partition may wait to fill a batch, up to 5 minutes. @default Duration.seconds(0): as soon as records are there */
  readonly maxBatchingWindow?: Duration;
  /** Retries of a failing batch before its records are parked or dropped; -1 retries forever. @default 10 */
  readonly maxRetries?: number;
  /** Records older than this are parked or dropped instead of retried (at least a minute). @default no limit */
  readonly maxRecordAge?: Duration;
  /** The topic records that exhaust their retries are parked on (it must exist). @default none: they are dropped and counted */
  readonly onFailure?: string;
  /** Where a new subscription starts in each partition (read at creation only). @default 'latest' */
  readonly startAt?: 'earliest' | 'latest';
}

export interface SubscriptionRegistrarProps {
  readonly stage: FunctionStageSettings;
  /** What `loadConfig()` needs in the function (every `BROOK_*` table and bucket name). */
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<TableName, ITable>>;
  readonly bucket: IBucket;
}

/**
 * Subscriptions made at deploy time: the function behind
 * `Custom::BrookSubscription` (functions/handlers/subscriptionResource.ts,
 * with `SUBSCRIPTION_RESOURCE_ACCESS`), its `Provider`, and one custom
 * resource per `register()`. A subscription is made, altered and deleted
 * with the stack, through the same code as `POST /v1/subscriptions`.
 */
export class SubscriptionRegistrar extends Construct {
  readonly handler: BrookFunction;
  private readonly provider: Provider;

  constructor(scope: Construct, id: string, props: SubscriptionRegistrarProps) {
    super(scope, id);
    this.handler = new BrookFunction(this, 'Handler', {
      handlerName: 'subscriptionResource',
      description: 'Brook: makes, alters and deletes the subscriptions of the stack (CloudFormation custom resource)',
      stage: props.stage,
      environment: props.environment,
      timeout: Duration.minutes(1),
    });
    grantDataAccess(this.handler.lambdaFunction, SUBSCRIPTION_RESOURCE_ACCESS, props.tables, props.bucket);
    this.provider = new Provider(this, 'Provider', {
      onEventHandler: this.handler.lambdaFunction,
      logGroup: new LogGroup(this, 'ProviderLogGroup', logGroupDefaults(props.stage)),
    });
  }

  /**
   * A `Custom::BrookSubscription` in `scope`: the subscription `name` of
   * `topic` to `target`. Its construct id comes from the name, so that the
   * same name is always the same resource (an update, never a replacement
   * whose clean-up would delete the subscription it just adopted).
   */
  register(scope: Construct, name: string, topic: string, target: IFunction, options: SubscribeOptions): CustomResource {
    return new CustomResource(scope, `Subscription-${name}`, {
      serviceToken: this.provider.serviceToken,
      resourceType: SUBSCRIPTION_RESOURCE_TYPE,
      properties: subscriptionProperties(name, topic, target, options),
    });
  }
}

/** The name `subscribe()` gives a subscription without one: `<topic>-<the function's construct id>`, sanitized. */
export function defaultSubscriptionName(topic: string, target: IFunction): string {
  return `${topic}-${target.node.id}`.replace(/[^A-Za-z0-9._-]/g, '-');
}

/** The custom resource's properties (functions/handlers/subscriptionResource.ts, `SubscriptionProperties`); refuses what the API would. */
function subscriptionProperties(name: string, topic: string, target: IFunction, options: SubscribeOptions): Record<string, string | number> {
  const refuse = (message: string) => new Error(`subscribe(): ${message}`);
  if (Token.isUnresolved(name) || !isValidGroupName(name)) {
    throw refuse(`the name "${name}" must be 1 to 255 of [A-Za-z0-9._-], known at synth time (pass options.name)`);
  }
  if (!Token.isUnresolved(topic) && !isValidTopicName(topic)) throw refuse(`"${topic}" is not a topic name`);
  const { batchSize, maxRetries, onFailure, startAt } = options;
  const windowMs = options.maxBatchingWindow?.toMilliseconds();
  const recordAgeMs = options.maxRecordAge?.toMilliseconds();
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= SUBSCRIBE_LIMITS.maxBatchSize)) {
    throw refuse(`batchSize must be a whole number from 1 to ${SUBSCRIBE_LIMITS.maxBatchSize}`);
  }
  if (windowMs !== undefined && windowMs > SUBSCRIBE_LIMITS.maxBatchingWindowMs) throw refuse('maxBatchingWindow must be at most 5 minutes');
  if (maxRetries !== undefined && !(Number.isInteger(maxRetries) && maxRetries >= -1 && maxRetries <= SUBSCRIBE_LIMITS.maxRetries)) {
    throw refuse(`maxRetries must be -1 (forever) or a whole number up to ${SUBSCRIBE_LIMITS.maxRetries}`);
  }
  if (recordAgeMs !== undefined && recordAgeMs < SUBSCRIBE_LIMITS.minRecordAgeMs) throw refuse('maxRecordAge must be at least a minute');
  if (onFailure !== undefined && onFailure === topic) throw refuse('onFailure must not be the subscribed topic: parked records would be delivered again');
  return {
    Name: name,
    Topic: topic,
    FunctionArn: target.functionArn,
    ...(batchSize !== undefined ? { BatchSize: batchSize } : {}),
    ...(windowMs !== undefined ? { MaxBatchingWindowMs: windowMs } : {}),
    ...(maxRetries !== undefined ? { MaxRetries: maxRetries } : {}),
    ...(recordAgeMs !== undefined ? { MaxRecordAgeMs: recordAgeMs } : {}),
    ...(onFailure !== undefined ? { OnFailureTopic: onFailure } : {}),
    ...(startAt !== undefined ? { StartAt: startAt } : {}),
  };
}
