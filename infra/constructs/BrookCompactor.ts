import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { InvocationType, Trigger } from 'aws-cdk-lib/triggers';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { TableName } from '../../functions/layout/tables.js';
import { COMPACTOR_ACCESS } from '../functionAccess.js';
import { BrookFunction } from './BrookFunction.js';
import type { FunctionStageSettings } from './defaults.js';
import { HEAD_SORT_KEY } from '../../functions/layout/tables.js';
import { grantDataAccess } from './grants.js';

export interface BrookCompactorProps {
  readonly stage: FunctionStageSettings;
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<TableName, ITable>>;
  readonly bucket: IBucket;
  /** How often it sweeps every partition (retention of idle topics, late batches). @default 1 day */
  readonly sweepEvery?: Duration;
  /** How long appends may gather before the stream invokes it. @default 1 minute */
  readonly batchingWindow?: Duration;
}

/**
 * The compactor Lambda: tiering to S3, retention, removal of deleted topics.
 * Appends trigger it through the log table's stream (HEAD items only, their
 * keys, gathered for `batchingWindow`), and an EventBridge rule sweeps every
 * partition once per `sweepEvery`. An idle log therefore costs only the sweep,
 * where a per-minute schedule cost 43,200 runs a month. Two runs at once are
 * safe (docs/design.md).
 */
export class BrookCompactor extends Construct {
  readonly lambdaFunction: NodejsFunction;
  readonly schedule: Rule;
  readonly trigger: DynamoEventSource;
  /** A sweep right after each deploy that changes the function, so the lag alarm has its heartbeat from the start. */
  readonly firstSweep: Trigger;

  constructor(scope: Construct, id: string, props: BrookCompactorProps) {
    super(scope, id);
    const { lambdaFunction } = new BrookFunction(this, 'Function', {
      handlerName: 'compactor',
      description: 'Brook compactor: segments, retention, deleted topics',
      stage: props.stage,
      environment: props.environment,
      timeout: Duration.minutes(5),
      // No reserved concurrency: the stream has a poller per shard, and runs at once are safe (they race
      // only on conditional writes); a cap of 1 would throttle overlapping shards and the sweep.
    });
    this.lambdaFunction = lambdaFunction;
    grantDataAccess(lambdaFunction, COMPACTOR_ACCESS, props.tables, props.bucket);
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Brook compactor: the sweep over every partition',
      schedule: Schedule.rate(props.sweepEvery ?? Duration.days(1)),
      targets: [new LambdaFunction(lambdaFunction, { retryAttempts: 0 })],
    });
    // Reading a stream for a Lambda trigger is free; filtered-out records are not invocations.
    this.trigger = new DynamoEventSource(props.tables.log, {
      startingPosition: StartingPosition.LATEST,
      batchSize: 10_000,
      maxBatchingWindow: props.batchingWindow ?? Duration.minutes(1),
      // A batch that keeps failing is dropped: the sweep passes over those partitions anyway.
      retryAttempts: 2,
      filters: [FilterCriteria.filter({ dynamodb: { Keys: { sk: { N: FilterRule.isEqual(String(HEAD_SORT_KEY)) } } } })],
    });
    lambdaFunction.addEventSource(this.trigger);
    this.firstSweep = new Trigger(this, 'FirstSweep', {
      handler: lambdaFunction,
      invocationType: InvocationType.EVENT, // the deploy does not wait for it
      executeOnHandlerChange: true,
    });
  }
}
