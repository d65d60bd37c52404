import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement, type Grant } from 'aws-cdk-lib/aws-iam';
import { FilterCriteria, FilterRule, StartingPosition, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { CONFIG_ENV } from '../../functions/layout/env.js';
import { HEAD_SORT_KEY, type TableName } from '../../functions/layout/tables.js';
import { CONFIG_SORT_KEY } from '../../functions/subscriptions/subscriptionItems.js';
import { DISPATCHER_ACCESS } from '../functionAccess.js';
import type { ResolvedSettings } from '../settings.js';
import { BrookFunction } from './BrookFunction.js';
import type { FunctionStageSettings } from './defaults.js';
import { grantDataAccess } from './grants.js';
import { SecretKeyBootstrap } from './SecretKeyBootstrap.js';
import { defaultSubscriptionName, SubscriptionRegistrar, type SubscribeOptions } from './SubscriptionRegistrar.js';
import { WakeStateMachine, wakeStateMachineArn } from './WakeStateMachine.js';

export interface BrookSubscriptionsProps {
  readonly stage: FunctionStageSettings & Pick<ResolvedSettings, 'name' | 'removalPolicy'>;
  /** What `loadConfig()` needs in the functions (every `BROOK_*` table and bucket name). */
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<TableName, ITable>>;
  readonly bucket: IBucket;
  /** How often the dispatcher sweeps every active subscription (what a lost trigger or wake-up left). @default 1 day */
  readonly sweepEvery?: Duration;
}

/**
 * Push delivery of topics' records to Lambda functions and webhooks, like a
 * Kinesis event source mapping (docs/deploy.md, "Subscriptions"):
 *
 * - the dispatcher Lambda (`DISPATCHER_ACCESS`, five minutes), which delivers,
 *   and writes the records targets answer with (in a transaction with the
 *   position, so it writes the log and the bucket as produce does);
 * - a trigger on the log table's stream (HEAD items: appends), so that
 *   records go out within about a second of their append, and one on the
 *   subscriptions table's stream (settings items: created, resumed, reset);
 * - the wake state machine (`WakeStateMachine`): retries and batching
 *   windows that end without a new append;
 * - a daily sweep over every active subscription;
 * - the secret key that seals webhook secrets (`SecretKeyBootstrap`).
 *
 * Nothing polls: an idle deployment costs the daily sweep. The dispatcher may
 * invoke no function until `subscribe()` (or `grantDeliveryTo()`) allows it one.
 */
export class BrookSubscriptions extends Construct {
  readonly dispatcher: NodejsFunction;
  /** The dispatcher's trigger: the log table's stream, HEAD items only. */
  readonly trigger: DynamoEventSource;
  /** Its other trigger: the subscriptions table's stream, settings items written (created, altered, reset). */
  readonly changeTrigger: DynamoEventSource;
  readonly sweep: Rule;
  readonly wake: WakeStateMachine;
  readonly secretKey: SecretKeyBootstrap;

  private readonly props: BrookSubscriptionsProps;
  private readonly names: string[] = [];
  private registrar: SubscriptionRegistrar | undefined;

  constructor(scope: Construct, id: string, props: BrookSubscriptionsProps) {
    super(scope, id);
    this.props = props;
    this.secretKey = new SecretKeyBootstrap(this, 'SecretKey', { stage: props.stage });
    // Named, so that the dispatcher knows its ARN before it exists: it invokes the dispatcher, a reference back would be a cycle.
    const stateMachineName = `${props.stage.name}-dispatcher-wake`;
    const stateMachineArn = wakeStateMachineArn(this, stateMachineName);

    const { lambdaFunction } = new BrookFunction(this, 'Dispatcher', {
      handlerName: 'dispatcher',
      description: 'Brook dispatcher: delivers subscribed topics to functions and webhooks',
      stage: props.stage,
      environment: {
        ...props.environment,
        [CONFIG_ENV.wakeStateMachineArn]: stateMachineArn,
        [CONFIG_ENV.secretKeyParameter]: this.secretKey.parameterName,
      },
      timeout: Duration.minutes(5),
      // No reserved concurrency: leases keep two runs off the same partition, and a cap would throttle the stream.
    });
    this.dispatcher = lambdaFunction;
    grantDataAccess(lambdaFunction, DISPATCHER_ACCESS, props.tables, props.bucket);
    this.secretKey.grantRead(lambdaFunction);
    lambdaFunction.addToRolePolicy(new PolicyStatement({ actions: ['states:StartExecution'], resources: [stateMachineArn] }));

    this.wake = new WakeStateMachine(this, 'Wake', { stateMachineName, dispatcher: lambdaFunction });

    // The log table's second stream reader (the compactor is the first). DynamoDB Streams serve
    // at most two readers per shard without throttling: a third trigger on this stream would need a fan-out.
    this.trigger = new DynamoEventSource(props.tables.log, {
      startingPosition: StartingPosition.LATEST,
      batchSize: 1000,
      // Deliver within about a second of an append, not after a batching window.
      maxBatchingWindow: Duration.seconds(0),
      // A failing batch is dropped after two retries: the sweep, and the delivery items, catch up.
      retryAttempts: 2,
      bisectBatchOnError: false,
      filters: [FilterCriteria.filter({ dynamodb: { Keys: { sk: { N: FilterRule.isEqual(String(HEAD_SORT_KEY)) } } } })],
    });
    lambdaFunction.addEventSource(this.trigger);
    // A subscription created, resumed or reset may have records to deliver now, with no append to come.
    this.changeTrigger = new DynamoEventSource(props.tables.subscriptions, {
      startingPosition: StartingPosition.LATEST,
      batchSize: 100,
      maxBatchingWindow: Duration.seconds(0),
      retryAttempts: 2,
      bisectBatchOnError: false,
      filters: [FilterCriteria.filter({ eventName: FilterRule.or('INSERT', 'MODIFY'), dynamodb: { Keys: { sk: { S: FilterRule.isEqual(CONFIG_SORT_KEY) } } } })],
    });
    lambdaFunction.addEventSource(this.changeTrigger);

    this.sweep = new Rule(this, 'Sweep', {
      description: 'Brook dispatcher: the sweep over every active subscription',
      schedule: Schedule.rate(props.sweepEvery ?? Duration.days(1)),
      targets: [new LambdaFunction(lambdaFunction, { retryAttempts: 0 })],
    });
  }

  /**
   * Subscribes `target` to `topic` at deploy time (see `BrookEventLog.subscribe()`):
   * lets the dispatcher invoke that function (and nothing else), and makes
   * the subscription with a `Custom::BrookSubscription`. Returns its name.
   */
  subscribe(topic: string, target: IFunction, options: SubscribeOptions = {}): string {
    const name = options.name ?? defaultSubscriptionName(topic, target);
    if (this.names.includes(name)) throw new Error(`subscribe(): a subscription named "${name}" is already in this deployment (pass options.name)`);
    this.registrar ??= new SubscriptionRegistrar(this, 'Registrar', {
      stage: this.props.stage,
      environment: this.props.environment,
      tables: this.props.tables,
      bucket: this.props.bucket,
    });
    const resource = this.registrar.register(this, name, topic, target, options);
    // The grant is in place before the subscription exists, so its first delivery is allowed.
    this.grantDeliveryTo(target).applyBefore(resource);
    this.names.push(name);
    return name;
  }

  /** The names `subscribe()` registered, in order. */
  get registered(): readonly string[] {
    return [...this.names];
  }

  /**
   * Lets the dispatcher invoke `target` (`lambda:InvokeFunction` on it only):
   * what a subscription made with the API (`POST /v1/subscriptions`) to a
   * function needs. `subscribe()` does it for its own.
   */
  grantDeliveryTo(target: IFunction): Grant {
    return target.grantInvoke(this.dispatcher);
  }

  /** The function behind `Custom::BrookSubscription`; `undefined` until the first `subscribe()`. */
  get registrarFunction(): NodejsFunction | undefined {
    return this.registrar?.handler.lambdaFunction;
  }
}
