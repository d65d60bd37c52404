import { describe, expect, it, vi } from 'vitest';
import { TABLE_LAYOUTS, type TableName } from '../../functions/layout/tables.js';
import { actionsOf, logicalId, refersTo, STAGE_NAMES, statementsOfRole, synth, synthWith, SYNTH_TIMEOUT_MS } from './synth.js';

// Tests here synthesize stacks not cached yet (other stages, changed settings): see SYNTH_TIMEOUT_MS.
vi.setConfig({ testTimeout: SYNTH_TIMEOUT_MS });

describe('Construct: AdminKeyBootstrap', () => {
  const synthesized = synth('dev');
  const { stack, template, resources } = synthesized;
  const handler = stack.adminKey.handler.lambdaFunction;
  const handlerId = logicalId(stack, handler);

  it('keeps the admin key in an SSM SecureString the bootstrap makes: no Secrets Manager secret, no key in the template', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::SSM::Parameter', 0); // CloudFormation cannot write a SecureString
    expect(stack.adminKey.parameterName).toBe('/brook-dev/admin-key');
    expect(JSON.stringify(template.toJSON())).not.toMatch(/brook_[A-Za-z0-9_-]{43}/);
  });

  it('registers the key through a custom resource backed by the bootstrap function', () => {
    // Prepare
    const [resource] = Object.values(resources).filter((r) => r.Type === 'Custom::BrookAdminKey');

    // Act
    const serviceToken = resource?.Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] };
    const framework = resources[serviceToken['Fn::GetAtt'][0]]!;

    // Assess
    expect(resource?.Properties).toMatchObject({ ParameterName: '/brook-dev/admin-key', DeleteParameterOnDelete: 'true' }); // dev: DESTROY
    expect(framework.Type).toBe('AWS::Lambda::Function');
    expect(framework.Properties?.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN).toEqual({
      'Fn::GetAtt': [handlerId, 'Arn'],
    });
  });

  it('lets the bootstrap function get, put and delete its one parameter and get/put/update keys items, nothing more', () => {
    // Prepare
    const statements = statementsOfRole(synthesized, logicalId(stack, handler.role!));
    const keysId = logicalId(stack, stack.tables.keys);
    const otherTables = (Object.keys(TABLE_LAYOUTS) as TableName[]).filter((name) => name !== 'keys');

    // Assess
    const actionsOn = (id: string) => statements.filter((s) => refersTo(s.Resource, id)).flatMap(actionsOf);
    const ssm = statements.filter((s) => actionsOf(s).some((action) => action.startsWith('ssm:')));
    expect(ssm.flatMap(actionsOf).sort()).toEqual(['ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:PutParameter']);
    expect(JSON.stringify(ssm.map((s) => s.Resource))).toContain(':parameter/brook-dev/admin-key');
    expect(JSON.stringify(ssm.map((s) => s.Resource))).not.toContain('*');
    expect(actionsOn(keysId).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('kms:'))).toEqual([]); // dev: AWS-managed table keys
    for (const name of otherTables) expect(actionsOn(logicalId(stack, stack.tables[name]))).toEqual([]);
    expect(statements.flatMap(actionsOf).filter((action) => action.startsWith('s3:'))).toEqual([]);
  });
});

describe('Construct: AdminKeyBootstrap (prod, IAM)', () => {
  it("may use the tables' customer-managed KMS key in prod, which DynamoDB requires of the caller", () => {
    const synthesized = synth('prod');
    const { stack } = synthesized;
    const statements = statementsOfRole(synthesized, logicalId(stack, stack.adminKey.handler.lambdaFunction.role!));
    const kmsActions = statements.flatMap(actionsOf).filter((action) => action.startsWith('kms:'));
    expect(kmsActions).toEqual(expect.arrayContaining(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  it('keeps the parameter when the stack goes in prod (RETAIN), as it keeps the data', () => {
    const { resources } = synth('prod');
    const [resource] = Object.values(resources).filter((r) => r.Type === 'Custom::BrookAdminKey');
    expect(resource?.Properties).toMatchObject({ ParameterName: '/brook-prod/admin-key', DeleteParameterOnDelete: 'false' });
  });

  it('names the IAM admin role as the admin key principal, and refuses auth "iam" without one', () => {
    const role = 'arn:aws:iam::123456789012:role/brook-operators';
    const { resources } = synthWith('prod', { auth: 'iam', adminPrincipal: role });
    const [resource] = Object.values(resources).filter((r) => r.Type === 'Custom::BrookAdminKey');
    expect(resource?.Properties?.AdminPrincipal).toBe(role);
    expect(() => synthWith('prod', { auth: 'iam' })).toThrow(/adminPrincipal/);
    expect(() => synthWith('prod', { auth: 'iam', adminPrincipal: 'admin' })).toThrow(/adminPrincipal/);
  });
});

describe('Stack outputs', () => {
  it.each(STAGE_NAMES)('gives the API URL and where the admin key is, never the key (%s)', (stageName) => {
    // Prepare
    const { stack, template } = synth(stageName);

    // Act
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;

    // Assess
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AccessLogBucketName',
        'AdminKeyId',
        'AdminKeyParameterName',
        ...(stack.monitoring ? ['AlarmTopicArn', 'DashboardUrl'] : []),
        'ApiUrl',
        'GroupsTableName',
        'KeysTableName',
        'LogTableName',
        'SegmentBucketName',
        'SubscriptionsTableName',
        'TopicsTableName',
      ].sort(),
    );
    expect(outputs.SegmentBucketName!.Value).toEqual({ Ref: logicalId(stack, stack.bucket) });
    expect(outputs.AccessLogBucketName!.Value).toEqual({ Ref: logicalId(stack, stack.brook.accessLogBucket) });
    expect(outputs.LogTableName!.Value).toEqual({ Ref: logicalId(stack, stack.tables.log) });
    if (stack.monitoring) {
      expect(outputs.AlarmTopicArn!.Value).toEqual({ Ref: logicalId(stack, stack.monitoring.alarmTopic) });
      expect(JSON.stringify(outputs.DashboardUrl!.Value)).toContain(`#dashboards:name=brook-${stageName}`);
    }
    expect(JSON.stringify(outputs.ApiUrl!.Value)).toContain(logicalId(stack, stack.api.httpApi));
    expect(outputs.AdminKeyParameterName!.Value).toBe(`/brook-${stageName}/admin-key`);
    const values = JSON.stringify(Object.values(outputs).map((output) => output.Value));
    expect(values).not.toMatch(/resolve:secretsmanager|resolve:ssm-secure|brook_[A-Za-z0-9_-]{43}/);
  });
});
