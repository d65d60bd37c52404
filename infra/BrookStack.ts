import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { FUNCTION_NAMES, ROUTES, type FunctionName } from '../functions/http/routes.js';
import type { TableName } from '../functions/storage/tables.js';
import type { StageConfig } from './config.js';
import { AdminKeyBootstrap } from './constructs/AdminKeyBootstrap.js';
import { BrookCompactor } from './constructs/BrookCompactor.js';
import { BrookFunction } from './constructs/BrookFunction.js';
import { BrookHttpApi } from './constructs/BrookHttpApi.js';
import { BrookTables } from './constructs/BrookTables.js';
import { grantDataAccess } from './constructs/grants.js';
import { SegmentBucket } from './constructs/SegmentBucket.js';
import { FUNCTION_ACCESS, FUNCTION_TIMEOUT_SECONDS } from './functionAccess.js';

export interface BrookStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * One deployment of Brook: the tables, the segment bucket, one function per
 * handler with least-privilege grants from `FUNCTION_ACCESS`, the HTTP API in
 * front of them, and the bootstrapped admin key. Build it through `BrookStage`.
 */
export class BrookStack extends Stack {
  readonly tables: Readonly<Record<TableName, Table>>;
  readonly bucket: Bucket;
  readonly functions: Readonly<Record<FunctionName, NodejsFunction>>;
  readonly api: BrookHttpApi;
  readonly adminKey: AdminKeyBootstrap;
  readonly compactor: BrookCompactor;

  constructor(scope: Construct, id: string, props: BrookStackProps) {
    super(scope, id, props);
    const { config } = props;

    const tables = new BrookTables(this, 'Tables', config);
    const segments = new SegmentBucket(this, 'Segments', config);
    this.tables = tables.tables;
    this.bucket = segments.bucket;
    const environment = { ...tables.environment(), ...segments.environment() };

    const functions = {} as Record<FunctionName, NodejsFunction>;
    for (const name of FUNCTION_NAMES) {
      const { lambdaFunction } = new BrookFunction(this, `${pascal(name)}Function`, {
        handlerName: name,
        description: `Brook ${name} handler (${config.name})`,
        stage: config,
        environment,
        ...(FUNCTION_TIMEOUT_SECONDS[name] ? { timeout: Duration.seconds(FUNCTION_TIMEOUT_SECONDS[name]) } : {}),
      });
      grantDataAccess(lambdaFunction, FUNCTION_ACCESS[name], this.tables, this.bucket);
      functions[name] = lambdaFunction;
    }
    this.functions = functions;

    this.api = new BrookHttpApi(this, 'Api', {
      apiName: `brook-${config.name}`,
      routes: ROUTES,
      handlers: functions,
      fallback: functions.fallback,
      throttle: config.throttle,
      corsAllowedOrigins: config.corsAllowedOrigins,
    });

    this.compactor = new BrookCompactor(this, 'Compactor', {
      stage: config,
      environment,
      tables: this.tables,
      bucket: this.bucket,
    });

    this.adminKey = new AdminKeyBootstrap(this, 'AdminKey', {
      stage: config,
      keysTable: this.tables.keys,
      environment,
    });

    new CfnOutput(this, 'ApiUrl', { description: 'Base URL of the Brook HTTP API', value: this.api.url });
    new CfnOutput(this, 'AdminKeySecretArn', {
      description:
        'Secret holding the admin API key (aws secretsmanager get-secret-value --secret-id <arn> --query SecretString)',
      value: this.adminKey.secret.secretArn,
    });
    new CfnOutput(this, 'AdminKeyId', { description: 'Public id of the admin API key', value: this.adminKey.keyId });
  }
}

function pascal(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}
