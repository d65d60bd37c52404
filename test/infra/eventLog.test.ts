import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { BrookEventLog } from '../../infra/constructs/BrookEventLog.js';
import { DEFAULT_SETTINGS } from '../../infra/settings.js';
import { NO_BUNDLING, SYNTH_TIMEOUT_MS } from './synth.js';

function embed(props: ConstructorParameters<typeof BrookEventLog>[2] = {}) {
  const stack = new Stack(new App({ context: NO_BUNDLING }), 'SomeoneElsesStack');
  const brook = new BrookEventLog(stack, 'Events', props);
  return { stack, brook };
}

describe('Construct: BrookEventLog (embedded in another app)', () => {
  it('keeps data by default: retained, recoverable, protected, versioned, private', () => {
    // Act
    const { stack, brook } = embed();
    const template = Template.fromStack(stack);

    // Assess
    expect(brook.settings).toEqual(DEFAULT_SETTINGS);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
    });
    for (const table of Object.values(template.findResources('AWS::DynamoDB::Table'))) expect(table.DeletionPolicy).toBe('Retain');
    template.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain', Properties: { VersioningConfiguration: { Status: 'Enabled' } } });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'brook' });
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'brook' });
  }, SYNTH_TIMEOUT_MS);

  it('takes a name for its API, alarms and dashboard, so two can live in one account', () => {
    const template = Template.fromStack(embed({ name: 'events' }).stack);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { Name: 'events' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'events-api5xx' });
  }, SYNTH_TIMEOUT_MS);

  it('refuses settings that could not deploy or would lose data', () => {
    expect(() => embed({ name: 'Events!' })).toThrow(/name "Events!"/);
    expect(() => embed({ autoDeleteObjects: true })).toThrow(/autoDeleteObjects needs removalPolicy DESTROY/);
    expect(() => embed({ autoDeleteObjects: true, removalPolicy: RemovalPolicy.DESTROY })).not.toThrow();
    expect(() => embed({ throttle: { rateLimit: 0, burstLimit: 10 } })).toThrow(/throttle/);
    expect(() => embed({ reservedConcurrency: { produce: 0 } })).toThrow(/reservedConcurrency.produce/);
  }, SYNTH_TIMEOUT_MS);
});
