/**
 * The CDK app: `npx cdk synth -c stage=dev` (the default), `-c stage=staging`
 * or `-c stage=prod`. `BROOK_SKIP_BUNDLING=1` synthesizes without esbuild.
 * Tests call `buildApp` instead of going through the CLI.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, Tags } from 'aws-cdk-lib';
import { DEFAULT_STAGE, getStageConfig } from './config.js';
import { BrookStage } from './BrookStage.js';

export interface BuiltApp {
  readonly app: App;
  readonly stage: BrookStage;
}

/**
 * Builds the app for one stage. `stageName` defaults to the `stage` context
 * value (`-c stage=...`), then to `dev`; an unknown stage throws. `context`
 * is passed to the `App` (tests pass `{ 'aws:cdk:bundling-stacks': [] }` to
 * skip esbuild).
 */
export function buildApp(stageName?: string, context: Record<string, unknown> = {}): BuiltApp {
  // BROOK_SKIP_BUNDLING=1 checks the templates without building bundles (it overrides what the CLI asks for).
  const skipBundling = process.env.BROOK_SKIP_BUNDLING === '1';
  const app = new App({ context, ...(skipBundling ? { postCliContext: { 'aws:cdk:bundling-stacks': [] } } : {}) });
  const name = stageName ?? contextStage(app) ?? DEFAULT_STAGE;
  const config = getStageConfig(name);
  const stage = new BrookStage(app, config.name, { ...(config.env ? { env: config.env } : {}), config });
  Tags.of(stage).add('project', 'brook');
  Tags.of(stage).add('stage', config.name);
  return { app, stage };
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
