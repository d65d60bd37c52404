import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import type { FunctionName } from '../functions/layout/routes.js';
import type { TableName } from '../functions/layout/tables.js';
import type { StageConfig } from './config.js';
import type { AdminKeyBootstrap } from './constructs/AdminKeyBootstrap.js';
import type { BrookCompactor } from './constructs/BrookCompactor.js';
import { BrookEventLog } from './constructs/BrookEventLog.js';
import type { BrookHttpApi } from './constructs/BrookHttpApi.js';
import type { BrookMonitoring } from './constructs/BrookMonitoring.js';
import type { BrookSubscriptions } from './constructs/BrookSubscriptions.js';

export interface BrookStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * One deployment of Brook: a `BrookEventLog` named `brook-<stage>` with the
 * stage's settings, and the outputs an operator needs. `buildApp`
 * (`infra/app.ts`) makes it, named `brook-<stage>`.
 */
export class BrookStack extends Stack {
  readonly brook: BrookEventLog;
  readonly tables: Readonly<Record<TableName, Table>>;
  readonly bucket: Bucket;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly api: BrookHttpApi;
  readonly adminKey: AdminKeyBootstrap;
  readonly compactor: BrookCompactor;
  readonly subscriptions: BrookSubscriptions;
  readonly monitoring: BrookMonitoring | undefined;

  constructor(scope: Construct, id: string, props: BrookStackProps) {
    super(scope, id, props);
    const { env: _env, name, ...settings } = props.config;
    // The id 'Default' keeps the logical ids of the stack from before the construct existed (no replacement on upgrade).
    this.brook = new BrookEventLog(this, 'Default', { ...settings, name: `brook-${name}` });
    ({
      tables: this.tables,
      bucket: this.bucket,
      functions: this.functions,
      api: this.api,
      adminKey: this.adminKey,
      compactor: this.compactor,
      subscriptions: this.subscriptions,
      monitoring: this.monitoring,
    } = this.brook);

    const output = (outputId: string, description: string, value: string) =>
      new CfnOutput(this, outputId, { description, value });
    output('ApiUrl', 'Base URL of the Brook HTTP API', this.api.url);
    output(
      'AdminKeyParameterName',
      'SSM SecureString holding the admin API key (aws ssm get-parameter --name <name> --with-decryption --query Parameter.Value --output text)',
      this.adminKey.parameterName,
    );
    output('AdminKeyId', 'Public id of the admin API key', this.adminKey.keyId);
    output('SegmentBucketName', 'S3 bucket of log segments and large batches', this.bucket.bucketName);
    output('AccessLogBucketName', 'S3 bucket of the segment bucket\'s server access logs', this.brook.accessLogBucket.bucketName);
    for (const [table, resource] of Object.entries(this.tables)) {
      output(`${table.charAt(0).toUpperCase()}${table.slice(1)}TableName`, `DynamoDB table "${table}"`, resource.tableName);
    }
    if (this.monitoring) {
      output('DashboardUrl', 'CloudWatch dashboard of this deployment', this.monitoring.dashboardUrl);
      output('AlarmTopicArn', 'SNS topic every alarm notifies (subscribe to it)', this.monitoring.alarmTopic.topicArn);
    }
  }
}
