import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { actionsOf, logicalId, refersTo, STAGE_NAMES, statementsOfRole, synth } from './synth.js';

describe('Construct: BrookCompactor', () => {
  describe.each(STAGE_NAMES)('in %s', (stageName) => {
    const synthesized = synth(stageName);
    const { stack, template } = synthesized;
    const fn = stack.compactor.lambdaFunction;
    const fnId = logicalId(stack, fn);
    const statements = statementsOfRole(synthesized, logicalId(stack, fn.role!));
    const actionsOn = (resourceId: string) => statements.filter((s) => refersTo(s.Resource, resourceId)).flatMap(actionsOf);

    it('sweeps once a day from an EventBridge rule (an idle log costs 30 runs a month)', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 day)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      });
    });

    it('is triggered by appends: the log table streams keys, filtered to HEAD items, gathered for a minute', () => {
      const logId = logicalId(stack, stack.tables.log);
      template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'KEYS_ONLY' } });
      expect(synthesized.resources[logId]!.Properties?.StreamSpecification).toEqual({ StreamViewType: 'KEYS_ONLY' });
      for (const name of ['topics', 'groups', 'keys'] as const) {
        expect(synthesized.resources[logicalId(stack, stack.tables[name])]!.Properties?.StreamSpecification).toBeUndefined();
      }
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: fnId },
        EventSourceArn: { 'Fn::GetAtt': [logId, 'StreamArn'] },
        StartingPosition: 'LATEST',
        BatchSize: 10000,
        MaximumBatchingWindowInSeconds: 60,
        MaximumRetryAttempts: 2,
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { sk: { N: ['-1'] } } } }) }] },
      });
      const streamActions = statements.filter((s) => JSON.stringify(s.Resource).includes('StreamArn')).flatMap(actionsOf);
      expect(streamActions).toEqual(expect.arrayContaining(['dynamodb:GetRecords', 'dynamodb:GetShardIterator', 'dynamodb:DescribeStream']));
    });

    it('gives it five minutes, arm64 and Node.js 22, with no concurrency cap (a stream poller per shard must not throttle)', () => {
      expect(synthesized.resources[fnId]!.Properties).toMatchObject({ Timeout: 300, Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(synthesized.resources[fnId]!.Properties?.ReservedConcurrentExecutions).toBeUndefined();
    });

    it('sweeps once right after a deploy that changes it (asynchronously), so the lag alarm has a heartbeat from the start', () => {
      const triggers = Object.values(synthesized.resources).filter((r) => r.Type === 'Custom::Trigger');
      expect(triggers).toHaveLength(1);
      expect(triggers[0]!.Properties).toMatchObject({ InvocationType: 'Event' });
      expect(JSON.stringify(triggers[0]!.Properties?.HandlerArn)).toContain('CompactorFunctionCurrentVersion'); // the compactor's version: a changed function sweeps again
    });

    it('lets it write the log and the topics table, and delete in the bucket, but not read keys or groups', () => {
      const writes = ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:UpdateItem'];
      expect(actionsOn(logicalId(stack, stack.tables.log))).toEqual(expect.arrayContaining(writes));
      expect(actionsOn(logicalId(stack, stack.tables.topics))).toEqual(expect.arrayContaining(['dynamodb:Scan', 'dynamodb:DeleteItem']));
      expect(actionsOn(logicalId(stack, stack.bucket))).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject*']));
      expect(actionsOn(logicalId(stack, stack.tables.keys))).toEqual([]);
      expect(actionsOn(logicalId(stack, stack.tables.groups))).toEqual([]);
    });
  });
});
