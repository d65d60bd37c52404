/**
 * The CDK app: `npx cdk synth -c stage=dev` (the default), `-c stage=staging`
 * or `-c stage=prod`. `BROOK_SKIP_BUNDLING=1` synthesizes without esbuild.
 * Tests call `buildApp` instead of going through the CLI.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Tags } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { DEFAULT_STAGE, getStageConfig } from './config.js';
import { BrookStack } from './BrookStack.js';

export interface BuiltApp {
  readonly app: App;
  /** The one stack of the app: `brook-<stage>`, at the construct path `<stage>/Brook`. */
  readonly stack: BrookStack;
}

/**
 * Builds the app for one stage. `stageName` defaults to the `stage` context
 * value (`-c stage=...`), then to `dev`; an unknown stage throws. `context`
 * is passed to the `App` (tests pass `{ 'aws:cdk:bundling-stacks': [] }` to
 * skip esbuild).
 *
 * The app holds exactly one stack, and at the top level of the cloud
 * assembly, so `cdk deploy -c stage=<name>` and `cdk destroy -c stage=<name>`
 * pick it without a stack selector. (A CDK `Stage` would put it in a nested
 * assembly, which the CLI never selects by default.) The stack still sits at
 * the construct path `<stage>/Brook` it always had, under a plain construct
 * named after the stage: its name, logical ids and path metadata are the
 * same as before, so stacks already deployed see no change.
 */
export function buildApp(stageName?: string, context: Record<string, unknown> = {}): BuiltApp {
  // BROOK_SKIP_BUNDLING=1 checks the templates without building bundles (it overrides what the CLI asks for).
  const skipBundling = process.env.BROOK_SKIP_BUNDLING === '1';
  const app = new App({ context, ...(skipBundling ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {}) });
  const name = stageName ?? contextStage(app) ?? DEFAULT_STAGE;
  const config = getStageConfig(name);
  const stack = new BrookStack(new Construct(app, config.name), 'Brook', {
    stackName: `brook-${config.name}`,
    description: `Brook event log (${config.name})`,
    ...(config.env ? { env: config.env } : {}),
    config,
  });
  Tags.of(stack).add('project', 'brook');
  Tags.of(stack).add('stage', config.name);
  return { app, stack };
}

function contextStage(app: App): string | undefined {
  const value: unknown = app.node.tryGetContext('stage');
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

const isEntryPoint = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isEntryPoint) {
  buildApp().app.synth();
}
