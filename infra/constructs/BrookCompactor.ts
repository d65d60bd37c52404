import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { TableName } from '../../functions/storage/tables.js';
import { COMPACTOR_ACCESS } from '../functionAccess.js';
import { BrookFunction } from './BrookFunction.js';
import type { FunctionStageSettings } from './defaults.js';
import { grantDataAccess } from './grants.js';

export interface BrookCompactorProps {
  readonly stage: FunctionStageSettings;
  readonly environment: Readonly<Record<string, string>>;
  readonly tables: Readonly<Record<TableName, ITable>>;
  readonly bucket: IBucket;
  /** How often it runs. @default 1 minute */
  readonly every?: Duration;
}

/**
 * The compactor Lambda on an EventBridge schedule: tiering to S3, retention,
 * removal of deleted topics. Two runs at once are safe (docs/design.md).
 */
export class BrookCompactor extends Construct {
  readonly lambdaFunction: NodejsFunction;
  readonly schedule: Rule;

  constructor(scope: Construct, id: string, props: BrookCompactorProps) {
    super(scope, id);
    const { lambdaFunction } = new BrookFunction(this, 'Function', {
      handlerName: 'compactor',
      description: 'Brook compactor: segments, retention, deleted topics',
      stage: props.stage,
      environment: props.environment,
      timeout: Duration.minutes(5),
      // One run at a time: two are safe, but they would only double the DynamoDB and S3 load.
      reservedConcurrentExecutions: 1,
    });
    this.lambdaFunction = lambdaFunction;
    grantDataAccess(lambdaFunction, COMPACTOR_ACCESS, props.tables, props.bucket);
    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the Brook compactor',
      schedule: Schedule.rate(props.every ?? Duration.minutes(1)),
      targets: [new LambdaFunction(lambdaFunction, { retryAttempts: 0 })],
    });
  }
}
