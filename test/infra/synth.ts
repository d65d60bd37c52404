import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../infra/app.js';
import type { BrookStack } from '../../infra/BrookStack.js';

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

/** The Brook stack of a stage, synthesized once per test file. */
export function synth(stageName: 'dev' | 'prod'): Synthesized {
  let result = cache.get(stageName);
  if (!result) {
    const { stage } = buildApp(stageName, NO_BUNDLING);
    const template = Template.fromStack(stage.stack);
    result = { stack: stage.stack, template, resources: template.toJSON().Resources };
    cache.set(stageName, result);
  }
  return result;
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
