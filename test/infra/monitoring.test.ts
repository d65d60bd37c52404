import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { BROOK_METRICS } from '../../functions/layout/metrics.js';
import { FUNCTION_NAMES } from '../../functions/layout/routes.js';
import { TABLE_LAYOUTS } from '../../functions/layout/tables.js';
import { logicalId, MONITORED_STAGES, synth, synthWith, type CfnResourceJson, type Synthesized, SYNTH_TIMEOUT_MS } from './synth.js';

// Tests here synthesize stacks not cached yet (other stages, changed settings): see SYNTH_TIMEOUT_MS.
vi.setConfig({ testTimeout: SYNTH_TIMEOUT_MS });

const TABLE_COUNT = Object.keys(TABLE_LAYOUTS).length;
/**
 * Errors and throttles per function (the HTTP ones, the compactor and the dispatcher), API 5xx and 429,
 * compactor lag, one per table. (Subscriptions made with `subscribe()` add two each: test/infra/subscriptions.test.ts.)
 */
const EXPECTED_ALARMS = 2 * (FUNCTION_NAMES.length + 2) + 2 + 1 + TABLE_COUNT;

function alarms(synthesized: Synthesized): CfnResourceJson[] {
  return Object.values(synthesized.resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
}

function alarmNamed(synthesized: Synthesized, suffix: string): Record<string, any> {
  const found = alarms(synthesized).filter((alarm) => alarm.Properties?.AlarmName === `${synthesized.stack.brook.settings.name}-${suffix}`);
  expect(found, suffix).toHaveLength(1);
  return found[0]!.Properties!;
}

describe('Construct: BrookMonitoring', () => {
  it('is off in dev: no alarm, dashboard or topic, so an idle dev stage pays for none', () => {
    const { stack, template } = synth('dev');
    expect(stack.monitoring).toBeUndefined();
    for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::Dashboard', 'AWS::SNS::Topic']) template.resourceCountIs(type, 0);
    expect(MONITORED_STAGES).toEqual(['staging', 'prod']);
  });

  describe.each(MONITORED_STAGES)('in %s', (stageName) => {
    const synthesized = synth(stageName);
    const { stack, template } = synthesized;
    const topicId = logicalId(stack, stack.monitoring!.alarmTopic);

    it(`has ${EXPECTED_ALARMS} alarms, each notifying the alarm topic when it fires and when it clears`, () => {
      expect(alarms(synthesized)).toHaveLength(EXPECTED_ALARMS);
      for (const alarm of alarms(synthesized)) {
        expect(alarm.Properties?.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.Properties?.OKActions).toEqual([{ Ref: topicId }]);
      }
      template.resourceCountIs('AWS::SNS::Topic', 1);
    });

    it('alarms on API 5xx and on 429s counted from the access log', () => {
      expect(alarmNamed(synthesized, 'api5xx')).toMatchObject({
        Namespace: 'AWS/ApiGateway',
        MetricName: '5xx',
        Statistic: 'Sum',
        Period: 300,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.api.httpApi) } }],
      });
      expect(alarmNamed(synthesized, 'api-throttles')).toMatchObject({
        Namespace: 'Brook',
        MetricName: 'ApiThrottled',
        Threshold: 10,
        Dimensions: [{ Name: 'ApiId', Value: { Ref: logicalId(stack, stack.api.httpApi) } }],
      });
    });

    it.each([...FUNCTION_NAMES, 'compactor', 'dispatcher'])('alarms on errors and throttles of the %s function', (name) => {
      const others = { compactor: stack.compactor.lambdaFunction, dispatcher: stack.subscriptions.dispatcher };
      const fn = name in others ? others[name as keyof typeof others] : stack.functions[name as (typeof FUNCTION_NAMES)[number]];
      const dimensions = [{ Name: 'FunctionName', Value: { Ref: logicalId(stack, fn) } }];
      expect(alarmNamed(synthesized, `${name.toLowerCase()}-errors`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1, Dimensions: dimensions });
      expect(alarmNamed(synthesized, `${name.toLowerCase()}-throttles`)).toMatchObject({ Namespace: 'AWS/Lambda', MetricName: 'Throttles', Dimensions: dimensions });
    });

    it('alarms when no daily compactor sweep finished for 25 hours, missing data counting as lag', () => {
      expect(alarmNamed(synthesized, 'compactor-lag')).toMatchObject({
        Namespace: 'Brook',
        MetricName: BROOK_METRICS.compactorSweeps.name,
        Dimensions: [{ Name: 'service', Value: `brook-${stageName}` }],
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        Period: 3600,
        EvaluationPeriods: 25,
        TreatMissingData: 'breaching',
      });
    });

    it.each(Object.keys(TABLE_LAYOUTS))('alarms on DynamoDB throttle events of the %s table', (name) => {
      const alarm = alarmNamed(synthesized, `${name}-table-throttles`);
      const metrics = JSON.stringify(alarm.Metrics);
      expect(metrics).toContain('ReadThrottleEvents');
      expect(metrics).toContain('WriteThrottleEvents');
      expect(metrics).toContain(`{"Ref":"${logicalId(stack, stack.tables[name as keyof typeof TABLE_LAYOUTS])}"}`);
    });

    it('has a dashboard of the API, the functions, the tables and Brook\'s own metrics', () => {
      // Prepare
      const dashboards = Object.values(synthesized.resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Dashboard');

      // Act
      const body = JSON.stringify(dashboards[0]?.Properties?.DashboardBody).replaceAll('\\"', '"');

      // Assess
      expect(dashboards).toHaveLength(1);
      expect(dashboards[0]!.Properties?.DashboardName).toBe(`brook-${stageName}`);
      for (const text of ['AWS/ApiGateway', 'Latency', 'AWS/Lambda', 'Duration', 'ConcurrentExecutions', 'AWS/DynamoDB', 'ConsumedWriteCapacityUnits', 'ConsumedReadCapacityUnits', 'ThrottleEvents']) {
        expect(body.includes(text), text).toBe(true);
      }
      const unescaped = body.replaceAll('\\', '');
      for (const metric of Object.values(BROOK_METRICS)) {
        // A subscription's metrics are searched for: a line per subscription (made with the API or the stack).
        const shown = 'dimension' in metric
          ? `SEARCH('{Brook,service,${metric.dimension}} service="brook-${stageName}" MetricName="${metric.name}"'`
          : `"Brook","${metric.name}","service","brook-${stageName}"`;
        expect(unescaped.includes(shown), metric.name).toBe(true);
      }
      expect(body).toContain(`"${logicalId(stack, stack.subscriptions.dispatcher)}"`);
    });

    it('refuses any publish to the alarm topic that does not come over TLS', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Principal: '*',
              Action: 'sns:Publish',
              Resource: { Ref: topicId },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it("lets CloudWatch publish to the topic for this deployment's alarms only (the topic policy replaces SNS's default one)", () => {
      // Prepare
      const policies = Object.values(synthesized.resources).filter((resource) => resource.Type === 'AWS::SNS::TopicPolicy');
      const name = `brook-${stageName}`;

      // Act
      const allows = (policies[0]!.Properties?.PolicyDocument.Statement as Record<string, any>[]).filter((statement) => statement.Effect === 'Allow');

      // Assess
      expect(policies).toHaveLength(1);
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: { Ref: topicId },
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: { 'aws:SourceArn': Match.anyValue() },
              },
            }),
          ]),
        },
      });
      expect(allows).toHaveLength(1);
      const sourceArn = JSON.stringify(allows[0]!.Condition.ArnLike['aws:SourceArn']);
      expect(sourceArn).toContain(`:alarm:${name}-*`);
      expect(sourceArn).toContain(':cloudwatch:');
      // Every alarm falls under that pattern, or its notifications would be refused.
      for (const alarm of alarms(synthesized)) expect(alarm.Properties?.AlarmName).toMatch(new RegExp(`^${name}-`));
    });

    it('subscribes no e-mail unless the stage names one', () => {
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  it('subscribes the configured e-mail address to the alarm topic', () => {
    const { stack, template } = synthWith('prod', { alarms: { email: 'ops@example.com' } });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: logicalId(stack, stack.monitoring!.alarmTopic) },
    });
  });

  it('refuses a compactor lag bound the daily sweep cannot meet, or CloudWatch cannot evaluate', () => {
    expect(() => synthWith('prod', { alarms: { compactorLagHours: 12 } })).toThrow(/compactorLagHours/);
    expect(() => synthWith('prod', { alarms: { compactorLagHours: 169 } })).toThrow(/compactorLagHours/);
  });

  it('takes thresholds from the stage config', () => {
    const custom = synthWith('prod', { alarms: { api5xxPer5Minutes: 50, compactorLagHours: 49 } });
    expect(alarmNamed(custom, 'api5xx').Threshold).toBe(50);
    expect(alarmNamed(custom, 'compactor-lag').EvaluationPeriods).toBe(49);
    expect(alarmNamed(custom, 'api-throttles').Threshold).toBe(10);
  });

  it('lets the compactor emit its heartbeat: the function gets the Brook namespace and its service name', () => {
    const { stack, resources } = synth('prod');
    expect(resources[logicalId(stack, stack.compactor.lambdaFunction)]!.Properties?.Environment.Variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'brook-prod',
      POWERTOOLS_METRICS_NAMESPACE: 'Brook',
    });
  });

  it('names alarms after the deployment', () => {
    for (const alarm of alarms(synth('staging'))) expect(alarm.Properties?.AlarmName).toMatch(/^brook-staging-/);
  });
});
