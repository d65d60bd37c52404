import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/app.js';
import { BrookStack } from '../../infra/BrookStack.js';
import { getStageConfig, type StageConfig } from '../../infra/config.js';

/**
 * For a test that synthesizes a whole stack first in its file: a few seconds
 * alone, but far more on a machine busy with other test files.
 */
export const SYNTH_TIMEOUT_MS = 120_000;

/** Skips esbuild: the assertions read the template, not the bundles. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

export interface Synthesized {
  readonly stack: BrookStack;
  readonly template: Template;
  /** The template's resources, keyed by logical id. */
  readonly resources: Record<string, CfnResourceJson>;
}

export interface CfnResourceJson {
  Type: string;
  Properties?: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  DependsOn?: string[];
}

export interface PolicyStatementJson {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const cache = new Map<string, Synthesized>();

export type StageName = 'dev' | 'staging' | 'prod';
export const STAGE_NAMES: readonly StageName[] = ['dev', 'staging', 'prod'];
/** The stages with alarms and a dashboard (dev has none: it costs nothing when idle). */
export const MONITORED_STAGES: readonly StageName[] = STAGE_NAMES.filter((name) => getStageConfig(name).monitoring !== false);

/** The Brook stack of a stage, synthesized once per test file. */
export function synth(stageName: StageName): Synthesized {
  let result = cache.get(stageName);
  if (!result) {
    const { stack } = buildApp(stageName, NO_BUNDLING);
    result = synthesized(stack);
    cache.set(stageName, result);
  }
  return result;
}

/**
 * A stack built from a stage's config with some settings changed (e.g. `auth: 'iam'`),
 * and `extend` run on it before synthesis (e.g. to `subscribe()` functions of its own).
 */
export function synthWith(stageName: StageName, overrides: Partial<StageConfig>, extend?: (stack: BrookStack) => void): Synthesized {
  const app = new App({ context: NO_BUNDLING });
  const stack = new BrookStack(app, 'Brook', { config: { ...getStageConfig(stageName), ...overrides } });
  extend?.(stack);
  return synthesized(stack);
}

function synthesized(stack: BrookStack): Synthesized {
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources };
}

/** The logical id of a construct's CloudFormation resource (`construct` itself or its default child). */
export function logicalId(stack: BrookStack, construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return stack.getLogicalId(element);
}

/** Every statement of every IAM policy attached to the role with this logical id. */
export function statementsOfRole(synthesized: Synthesized, roleLogicalId: string): PolicyStatementJson[] {
  return Object.values(synthesized.resources)
    .filter((resource) => resource.Type === 'AWS::IAM::Policy')
    .filter((policy) => (policy.Properties?.Roles as unknown[]).some((role) => refersTo(role, roleLogicalId)))
    .flatMap((policy) => policy.Properties?.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** Whether a template value (Ref, Fn::GetAtt, Fn::Join ...) mentions the resource with this logical id. */
export function refersTo(value: unknown, id: string): boolean {
  const json = JSON.stringify(value);
  return json.includes(`{"Ref":"${id}"}`) || json.includes(`"Fn::GetAtt":["${id}",`);
}

export function actionsOf(statement: PolicyStatementJson): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}
