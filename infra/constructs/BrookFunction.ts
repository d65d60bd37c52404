import { Duration } from 'aws-cdk-lib';
import { NodejsFunction, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { handlerEntry } from '../paths.js';
import {
  BUNDLING_DEFAULTS,
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
  /**
   * Directories copied into the bundle after esbuild, by name in the bundle:
   * `{ console: '/abs/dist/console' }` puts `console/` next to `index.mjs`.
   * Bundling fails when a directory has no `index.html` (not built).
   */
  readonly bundleDirectories?: Readonly<Record<string, string>>;
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
      ...(props.bundleDirectories ? { bundling: bundlingWithDirectories(props.bundleDirectories) } : {}),
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

/** `BUNDLING_DEFAULTS` plus an `afterBundling` hook copying `directories` into the output. */
function bundlingWithDirectories(directories: Readonly<Record<string, string>>): BundlingOptions {
  return {
    ...BUNDLING_DEFAULTS,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (_inputDir: string, outputDir: string) =>
        Object.entries(directories).flatMap(([name, source]) => [
          `test -f "${source}/index.html" || { echo "${source} is not built: run npm run build" >&2; exit 1; }`,
          `cp -R "${source}" "${outputDir}/${name}"`,
        ]),
    },
  };
}
