import { Duration } from 'aws-cdk-lib';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerEntry } from '../paths.js';
import {
  functionDefaults,
  functionEnvironmentDefaults,
  logGroupDefaults,
  type FunctionStageSettings,
} from './defaults.js';

export interface BrookFunctionProps {
  /** The handler: its entry is `functions/handlers/<handlerName>.ts`, exporting `handler`. */
  readonly handlerName: string;
  readonly stage: FunctionStageSettings;
  /** Variables on top of the defaults (`NODE_OPTIONS`, `POWERTOOLS_*`). */
  readonly environment?: Readonly<Record<string, string>>;
  readonly description?: string;
  /** @default the stage's `timeoutSeconds` */
  readonly timeout?: Duration;
  /** Concurrent executions reserved (and so also the most it may run). @default none: unreserved */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * One Lambda function of Brook with its own log group. Bundled from
 * TypeScript by `NodejsFunction` with `BUNDLING_DEFAULTS`; grants are the
 * caller's business.
 */
export class BrookFunction extends Construct {
  readonly lambdaFunction: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BrookFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'LogGroup', logGroupDefaults(props.stage));
    this.lambdaFunction = new NodejsFunction(this, 'Function', {
      ...functionDefaults(props.stage),
      entry: handlerEntry(props.handlerName),
      logGroup: this.logGroup,
      environment: { ...functionEnvironmentDefaults(props.stage), ...props.environment },
      ...(props.description ? { description: props.description } : {}),
      ...(props.timeout ? { timeout: props.timeout } : {}),
      ...(props.reservedConcurrentExecutions !== undefined
        ? { reservedConcurrentExecutions: props.reservedConcurrentExecutions }
        : {}),
    });
  }
}
