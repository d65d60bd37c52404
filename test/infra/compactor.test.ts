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

    it('runs the compactor handler every minute from an EventBridge rule', () => {
      // Assess
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [fnId, 'Arn'] } })],
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      });
    });

    it('gives it five minutes, arm64, Node.js 22 and exactly one concurrent run', () => {
      expect(synthesized.resources[fnId]!.Properties).toMatchObject({
        Timeout: 300,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        ReservedConcurrentExecutions: 1,
      });
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
