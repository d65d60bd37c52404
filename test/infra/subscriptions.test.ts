import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { Code, Function as LambdaFunction, Runtime, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { CONFIG_ENV } from '../../functions/layout/env.js';
import { BROOK_METRICS } from '../../functions/layout/metrics.js';
import { HEAD_SORT_KEY, SUBSCRIPTIONS_BY_TOPIC_INDEX, TABLE_LAYOUTS, type TableName } from '../../functions/layout/tables.js';
import { SUBSCRIPTION_LIMITS } from '../../functions/subscriptions/subscriptionRoutes.js';
import type { BrookStack } from '../../infra/BrookStack.js';
import { SUBSCRIBE_LIMITS } from '../../infra/constructs/SubscriptionRegistrar.js';
import { DISPATCHER_ACCESS, SUBSCRIPTION_RESOURCE_ACCESS, tableAccess, type FunctionAccess } from '../../infra/functionAccess.js';
import {
  actionsOf,
  logicalId,
  refersTo,
  STAGE_NAMES,
  statementsOfRole,
  synth,
  synthWith,
  SYNTH_TIMEOUT_MS,
  type PolicyStatementJson,
  type Synthesized,
} from './synth.js';

// Tests here synthesize stacks not cached yet (subscribed functions): see SYNTH_TIMEOUT_MS.
vi.setConfig({ testTimeout: SYNTH_TIMEOUT_MS });

const TABLE_NAMES = Object.keys(TABLE_LAYOUTS) as TableName[];
const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*'];
const HEAD_FILTER = { Filters: [{ Pattern: JSON.stringify({ dynamodb: { Keys: { sk: { N: [String(HEAD_SORT_KEY)] } } } }) }] };

/** A plain function of the app's own, to subscribe. */
function appFunction(stack: BrookStack, id: string): IFunction {
  return new LambdaFunction(stack, id, { runtime: Runtime.NODEJS_22_X, handler: 'index.handler', code: Code.fromInline('exports.handler = async () => ({})') });
}

/** A staging stack (monitoring on) with two functions subscribed through `subscribe()` and one left alone. */
function subscribed(): Synthesized & { orders: IFunction; audit: IFunction; bystander: IFunction; names: string[] } {
  let orders!: IFunction;
  let audit!: IFunction;
  let bystander!: IFunction;
  const names: string[] = [];
  const synthesized = synthWith('staging', {}, (stack) => {
    orders = appFunction(stack, 'OrdersHandler');
    audit = appFunction(stack, 'Audit Trail');
    bystander = appFunction(stack, 'Bystander');
    names.push(
      stack.brook.subscribe('orders', orders, {
        name: 'orders-to-handler',
        batchSize: 50,
        maxBatchingWindow: Duration.seconds(2),
        maxRetries: 3,
        maxRecordAge: Duration.hours(1),
        onFailure: 'orders-failed',
        startAt: 'earliest',
      }),
      stack.brook.subscribe('orders', audit),
    );
  });
  return { ...synthesized, orders, audit, bystander, names };
}

function statementsOf(synthesized: Synthesized, fn: IFunction): PolicyStatementJson[] {
  return statementsOfRole(synthesized, logicalId(synthesized.stack, fn.role!));
}

/** Actions `fn` may take on the resource with this logical id. */
function actionsOn(synthesized: Synthesized, fn: IFunction, resourceId: string): string[] {
  return statementsOf(synthesized, fn)
    .filter((statement) => refersTo(statement.Resource, resourceId))
    .flatMap(actionsOf);
}

/** That `fn` has exactly `access` to every table and the bucket. */
function expectDataAccess(synthesized: Synthesized, fn: IFunction, access: FunctionAccess): void {
  const { stack } = synthesized;
  const declared = tableAccess(access);
  for (const table of TABLE_NAMES) {
    const actions = actionsOn(synthesized, fn, logicalId(stack, stack.tables[table]));
    if (declared[table] === undefined) expect(actions, table).toEqual([]);
    if (declared[table] === 'read') {
      expect(actions, table).toContain('dynamodb:GetItem');
      expect(actions.filter((action) => WRITES.includes(action)), table).toEqual([]);
    }
    if (declared[table] === 'readWrite') expect(actions, table).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
  }
  const bucket = actionsOn(synthesized, fn, logicalId(stack, stack.bucket));
  expect(bucket.some((action) => action.startsWith('s3:Get'))).toBe(access.bucket !== undefined);
  expect(bucket.some((action) => action.startsWith('s3:Put'))).toBe(access.bucket === 'readWrite');
}

/** The resources a statement names, as template values. */
function resourcesOf(statement: PolicyStatementJson): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** The definition of the state machine, its `Fn::Join` put together (tokens as `<Ref>` and `<Id.Attr>`). */
function definitionOf(resource: { Properties?: Record<string, any> }): any {
  const parts = resource.Properties?.DefinitionString['Fn::Join'][1] as unknown[];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref, 'Fn::GetAtt': getAtt } = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      return Ref !== undefined ? `<${Ref}>` : `<${getAtt![0]}.${getAtt![1]}>`;
    })
    .join('');
  return JSON.parse(text);
}

/** Dependency cycles between resources (Ref, Fn::GetAtt, DependsOn): CloudFormation refuses a template with one. */
function dependencyCycles(synthesized: Synthesized): string[] {
  const ids = new Set(Object.keys(synthesized.resources));
  const edges = new Map<string, string[]>();
  for (const [id, resource] of Object.entries(synthesized.resources)) {
    const json = JSON.stringify(resource.Properties ?? {});
    const refs = [...json.matchAll(/\{"Ref":"(\w+)"\}|"Fn::GetAtt":\["(\w+)"/g)].map((match) => match[1] ?? match[2]!);
    edges.set(id, [...new Set([...refs, ...(resource.DependsOn ?? [])])].filter((target) => ids.has(target)));
  }
  const cycles: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (id: string, path: string[]) => {
    if (state.get(id) === 'done') return;
    if (state.get(id) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(id)), id].join(' -> '));
      return;
    }
    state.set(id, 'visiting');
    for (const next of edges.get(id) ?? []) visit(next, [...path, id]);
    state.set(id, 'done');
  };
  for (const id of ids) visit(id, []);
  return cycles;
}

describe('Construct: BrookSubscriptions', () => {
  describe.each(STAGE_NAMES)('in %s', (stageName) => {
    const synthesized = synth(stageName);
    const { stack, template, resources } = synthesized;
    const dispatcher = stack.subscriptions.dispatcher;
    const dispatcherId = logicalId(stack, dispatcher);
    const logId = logicalId(stack, stack.tables.log);

    it('triggers the dispatcher from the log stream: HEAD items, no batching window, a few retries, from the latest record', () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: dispatcherId },
        EventSourceArn: { 'Fn::GetAtt': [logId, 'StreamArn'] },
        StartingPosition: 'LATEST',
        MaximumBatchingWindowInSeconds: 0,
        MaximumRetryAttempts: 2,
        BisectBatchOnFunctionError: false,
        FilterCriteria: HEAD_FILTER,
      });
    });

    it('triggers the dispatcher from the subscriptions stream: settings items created or changed, not removed', () => {
      const subscriptionsId = logicalId(stack, stack.tables.subscriptions);
      expect(resources[subscriptionsId]!.Properties!.StreamSpecification).toEqual({ StreamViewType: 'KEYS_ONLY' });
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        FunctionName: { Ref: dispatcherId },
        EventSourceArn: { 'Fn::GetAtt': [subscriptionsId, 'StreamArn'] },
        StartingPosition: 'LATEST',
        MaximumBatchingWindowInSeconds: 0,
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT', 'MODIFY'], dynamodb: { Keys: { sk: { S: ['config'] } } } }) }] },
      });
    });

    it('reads the log stream as its second reader, beside the compactor (DynamoDB Streams serve two per shard)', () => {
      const readers = Object.values(resources).filter(
        (resource) => resource.Type === 'AWS::Lambda::EventSourceMapping' && refersTo(resource.Properties?.EventSourceArn, logId),
      );
      expect(readers.map((reader) => reader.Properties?.FunctionName.Ref).sort()).toEqual([dispatcherId, logicalId(stack, stack.compactor.lambdaFunction)].sort());
      expect(readers.every((reader) => JSON.stringify(reader.Properties?.FilterCriteria) === JSON.stringify(HEAD_FILTER))).toBe(true);
    });

    it('gives the dispatcher five minutes, the tables and bucket, the wake state machine and the secret key parameter', () => {
      // Act
      const properties = resources[dispatcherId]!.Properties!;
      const variables = properties.Environment.Variables;

      // Assess
      expect(properties).toMatchObject({ Timeout: 300, Runtime: 'nodejs22.x', Architectures: ['arm64'] });
      expect(properties.ReservedConcurrentExecutions).toBeUndefined();
      expect(variables[CONFIG_ENV.logTable]).toEqual({ Ref: logId });
      expect(variables[CONFIG_ENV.subscriptionsTable]).toEqual({ Ref: logicalId(stack, stack.tables.subscriptions) });
      expect(variables[CONFIG_ENV.secretKeyParameter]).toBe(`/brook-${stageName}/subscription-secret-key`);
      expect(JSON.stringify(variables[CONFIG_ENV.wakeStateMachineArn])).toContain(`:states:`);
      expect(JSON.stringify(variables[CONFIG_ENV.wakeStateMachineArn])).toContain(`:stateMachine:brook-${stageName}-dispatcher-wake`);
    });

    it('wakes the dispatcher from an Express state machine: a wait of $.waitSeconds, then an asynchronous invoke with $.event', () => {
      // Prepare
      const machines = Object.values(resources).filter((resource) => resource.Type === 'AWS::StepFunctions::StateMachine');

      // Act
      const definition = definitionOf(machines[0]!);

      // Assess
      expect(machines).toHaveLength(1);
      expect(machines[0]!.Properties).toMatchObject({ StateMachineType: 'EXPRESS', StateMachineName: `brook-${stageName}-dispatcher-wake` });
      expect(machines[0]!.Properties?.LoggingConfiguration).toBeUndefined();
      expect(definition.States[definition.StartAt]).toEqual({ Type: 'Wait', SecondsPath: '$.waitSeconds', Next: 'WakeDispatcher' });
      expect(definition.States.WakeDispatcher).toMatchObject({
        Type: 'Task',
        Resource: 'arn:<AWS::Partition>:states:::lambda:invoke',
        Parameters: { FunctionName: `<${dispatcherId}.Arn>`, 'Payload.$': '$.event', InvocationType: 'Event' },
        End: true,
      });
      expect(definition.TimeoutSeconds).toBeLessThanOrEqual(300);
    });

    it('lets the state machine invoke the dispatcher, and nothing else', () => {
      // Prepare
      const machine = Object.values(resources).find((resource) => resource.Type === 'AWS::StepFunctions::StateMachine')!;
      const roleId = (machine.Properties?.RoleArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

      // Act
      const statements = statementsOfRole(synthesized, roleId);

      // Assess
      expect(statements.flatMap(actionsOf).filter((action) => action !== 'lambda:InvokeFunction' && !action.startsWith('xray:'))).toEqual([]);
      for (const statement of statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))) {
        for (const resource of resourcesOf(statement)) expect(refersTo(resource, dispatcherId), JSON.stringify(resource)).toBe(true);
      }
    });

    it('sweeps every subscription once a day from an EventBridge rule', () => {
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(1 day)',
        State: 'ENABLED',
        Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatcherId, 'Arn'] } })],
      });
    });

    it('gives the dispatcher its declared data access (DISPATCHER_ACCESS)', () => {
      expectDataAccess(synthesized, dispatcher, DISPATCHER_ACCESS);
    });

    it('lets the dispatcher write the records a target answers with, in one transaction with its delivery item (log, subscriptions, bucket)', () => {
      // Act
      const onLog = actionsOn(synthesized, dispatcher, logId);
      const onSubscriptions = actionsOn(synthesized, dispatcher, logicalId(stack, stack.tables.subscriptions));
      const onTopics = actionsOn(synthesized, dispatcher, logicalId(stack, stack.tables.topics));
      const onBucket = actionsOn(synthesized, dispatcher, logicalId(stack, stack.bucket));

      // Assess: a batch put and a HEAD move per partition written, the settle of the delivery item, a large batch's object
      expect(DISPATCHER_ACCESS).toMatchObject({ tables: { log: 'readWrite', subscriptions: 'readWrite', topics: 'read' }, bucket: 'readWrite' });
      expect(onLog).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query']));
      expect(onSubscriptions).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:GetItem']));
      expect(onTopics).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:BatchGetItem']));
      expect(onBucket).toEqual(expect.arrayContaining(['s3:PutObject']));
      expect(onBucket.some((action) => action.startsWith('s3:DeleteObject'))).toBe(true);
    });

    it('lets the dispatcher start wake-ups, read the secret key, and invoke no function until one is subscribed', () => {
      // Act
      const statements = statementsOf(synthesized, dispatcher);
      const only = (action: string) => statements.filter((s) => actionsOf(s).includes(action));

      // Assess
      expect(only('lambda:InvokeFunction')).toEqual([]);
      expect(only('states:StartExecution')).toHaveLength(1);
      expect(JSON.stringify(only('states:StartExecution')[0]!.Resource)).toContain(`:stateMachine:brook-${stageName}-dispatcher-wake"`);
      expect(only('ssm:GetParameter')).toHaveLength(1);
      expect(JSON.stringify(only('ssm:GetParameter')[0]!.Resource)).toContain(`:parameter/brook-${stageName}/subscription-secret-key"`);
      for (const statement of statements.filter((s) => s.Resource === '*')) {
        expect(actionsOf(statement).every((action) => action.startsWith('xray:') || action === 'dynamodb:ListStreams'), JSON.stringify(statement)).toBe(true);
      }
    });

    it('makes no subscription, and no function to make them, without subscribe()', () => {
      template.resourceCountIs('Custom::BrookSubscription', 0);
      expect(stack.subscriptions.registrarFunction).toBeUndefined();
      expect(stack.subscriptions.registered).toEqual([]);
    });

    it('has no dependency cycle (the dispatcher knows the state machine by name, the state machine the dispatcher by reference)', () => {
      expect(dependencyCycles(synthesized)).toEqual([]);
    });
  });
});

describe('Construct: SecretKeyBootstrap', () => {
  it.each(STAGE_NAMES)('makes the secret key in an SSM SecureString through a custom resource, kept as the data is (%s)', (stageName) => {
    // Prepare
    const { stack, resources, template } = synth(stageName);

    // Act
    const keys = Object.values(resources).filter((resource) => resource.Type === 'Custom::BrookSecretKey');

    // Assess
    expect(keys).toHaveLength(1);
    expect(keys[0]!.Properties).toMatchObject({
      ParameterName: `/brook-${stageName}/subscription-secret-key`,
      DeleteParameterOnDelete: String(stageName === 'dev'),
    });
    expect(stack.subscriptions.secretKey.parameterName).toBe(`/brook-${stageName}/subscription-secret-key`);
    template.resourceCountIs('AWS::SSM::Parameter', 0); // CloudFormation cannot write a SecureString
  });

  it('lets its function get, put and delete that one parameter, and touch no table or bucket', () => {
    // Prepare
    const synthesized = synth('dev');
    const fn = synthesized.stack.subscriptions.secretKey.handler.lambdaFunction;

    // Act
    const statements = statementsOf(synthesized, fn);
    const variables = synthesized.resources[logicalId(synthesized.stack, fn)]!.Properties?.Environment.Variables as Record<string, unknown>;

    // Assess
    expect(statements.flatMap(actionsOf).sort()).toEqual(['ssm:DeleteParameter', 'ssm:GetParameter', 'ssm:PutParameter']);
    expect(JSON.stringify(statements.map((s) => s.Resource))).toContain(':parameter/brook-dev/subscription-secret-key"');
    expect(Object.keys(variables).filter((name) => name.startsWith('BROOK_'))).toEqual([]);
  });

  it.each(STAGE_NAMES)('gives the subscriptions API, which seals webhook secrets, the public key only: it cannot read the private one (%s)', (stageName) => {
    // Prepare
    const synthesized = synth(stageName);
    const fn = synthesized.stack.functions.subscriptions;

    // Act
    const variables = synthesized.resources[logicalId(synthesized.stack, fn)]!.Properties?.Environment.Variables;
    const ssm = statementsOf(synthesized, fn).filter((s) => actionsOf(s).some((action) => action.startsWith('ssm:')));

    // Assess
    const secretKeyResource = logicalId(synthesized.stack, synthesized.stack.subscriptions.secretKey.node.findChild('Resource') as never);
    expect(variables[CONFIG_ENV.secretPublicKey]).toEqual({ 'Fn::GetAtt': [secretKeyResource, 'PublicKey'] });
    expect(variables[CONFIG_ENV.secretKeyParameter]).toBeUndefined();
    expect(ssm).toEqual([]);
  });
});

describe('Construct: BrookTables, the subscriptions table', () => {
  it('indexes settings items by topic id, which the dispatcher looks subscriptions up by', () => {
    const { stack, resources } = synth('dev');
    expect(resources[logicalId(stack, stack.tables.subscriptions)]!.Properties).toMatchObject({
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        { IndexName: SUBSCRIPTIONS_BY_TOPIC_INDEX, KeySchema: [{ AttributeName: 'topicId', KeyType: 'HASH' }], Projection: { ProjectionType: 'ALL' } },
      ],
    });
  });

  it.each(STAGE_NAMES)('names it in the stack outputs (%s)', (stageName) => {
    const { stack, template } = synth(stageName);
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.SubscriptionsTableName!.Value).toEqual({ Ref: logicalId(stack, stack.tables.subscriptions) });
  });
});

describe('Method: BrookEventLog.subscribe', () => {
  const synthesized = subscribed();
  const { stack, resources, orders, audit, bystander, names } = synthesized;
  const dispatcher = stack.subscriptions.dispatcher;
  const subscriptions = Object.values(resources).filter((resource) => resource.Type === 'Custom::BrookSubscription');
  const named = (name: string) => subscriptions.find((resource) => resource.Properties?.Name === name)!;

  it('returns the names: the one given, and <topic>-<construct id> sanitized by default', () => {
    expect(names).toEqual(['orders-to-handler', 'orders-Audit-Trail']);
    expect(stack.subscriptions.registered).toEqual(names);
  });

  it('makes one Custom::BrookSubscription per subscription, with its settings in the API\'s units', () => {
    expect(subscriptions).toHaveLength(2);
    expect(named('orders-to-handler').Properties).toEqual({
      ServiceToken: expect.anything(),
      Name: 'orders-to-handler',
      Topic: 'orders',
      FunctionArn: { 'Fn::GetAtt': [logicalId(stack, orders), 'Arn'] },
      BatchSize: 50,
      MaxBatchingWindowMs: 2000,
      MaxRetries: 3,
      MaxRecordAgeMs: 3_600_000,
      OnFailureTopic: 'orders-failed',
      StartAt: 'earliest',
    });
    expect(named('orders-Audit-Trail').Properties).toEqual({
      ServiceToken: expect.anything(),
      Name: 'orders-Audit-Trail',
      Topic: 'orders',
      FunctionArn: { 'Fn::GetAtt': [logicalId(stack, audit), 'Arn'] },
    });
  });

  it('backs them with the subscription function, through a Provider', () => {
    // Prepare
    const registrar = stack.subscriptions.registrarFunction!;

    // Act
    const serviceToken = named('orders-to-handler').Properties?.ServiceToken as { 'Fn::GetAtt': [string, string] };
    const framework = resources[serviceToken['Fn::GetAtt'][0]]!;

    // Assess
    expect(framework.Properties?.Environment.Variables.USER_ON_EVENT_FUNCTION_ARN).toEqual({ 'Fn::GetAtt': [logicalId(stack, registrar), 'Arn'] });
    expect(named('orders-Audit-Trail').Properties?.ServiceToken).toEqual(serviceToken);
    expect(resources[logicalId(stack, registrar)]!.Properties?.Environment.Variables[CONFIG_ENV.subscriptionsTable]).toEqual({
      Ref: logicalId(stack, stack.tables.subscriptions),
    });
  });

  it('gives the subscription function its declared data access, and no invoke, SSM or Step Functions rights', () => {
    const registrar = stack.subscriptions.registrarFunction!;
    expectDataAccess(synthesized, registrar, SUBSCRIPTION_RESOURCE_ACCESS);
    expect(statementsOf(synthesized, registrar).flatMap(actionsOf).filter((action) => /^(lambda|ssm|states):/.test(action))).toEqual([]);
  });

  it('lets the dispatcher invoke exactly the subscribed functions (and their versions), never "*"', () => {
    // Act
    const invokes = statementsOf(synthesized, dispatcher).filter((statement) => actionsOf(statement).includes('lambda:InvokeFunction'));
    const resourcesInvoked = invokes.flatMap(resourcesOf);

    // Assess
    expect(resourcesInvoked.length).toBeGreaterThan(0);
    expect(resourcesInvoked).not.toContain('*');
    for (const resource of resourcesInvoked) {
      expect([orders, audit].some((fn) => refersTo(resource, logicalId(stack, fn))), JSON.stringify(resource)).toBe(true);
    }
    for (const fn of [orders, audit]) expect(resourcesInvoked.some((resource) => refersTo(resource, logicalId(stack, fn)))).toBe(true);
    expect(resourcesInvoked.some((resource) => refersTo(resource, logicalId(stack, bystander)))).toBe(false);
    expect(invokes.flatMap(actionsOf).filter((action) => action !== 'lambda:InvokeFunction')).toEqual([]);
  });

  it('makes each subscription after the grant that lets the dispatcher deliver to it', () => {
    const policyId = logicalId(stack, dispatcher.role!.node.tryFindChild('DefaultPolicy') as never);
    for (const resource of subscriptions) expect(resource.DependsOn).toContain(policyId);
  });

  it('alarms on each subscription\'s iterator age (15 minutes by default) and failures, in its Subscription dimension', () => {
    // Prepare
    const alarms = Object.values(resources).filter((resource) => resource.Type === 'AWS::CloudWatch::Alarm');
    const alarm = (name: string) => alarms.find((resource) => resource.Properties?.AlarmName === name)?.Properties;
    const dimensions = (subscription: string) => [
      { Name: 'Subscription', Value: subscription },
      { Name: 'service', Value: 'brook-staging' },
    ];

    // Assess
    for (const name of names) {
      expect(alarm(`brook-staging-subscription-${name}-iterator-age`)).toMatchObject({
        Namespace: 'Brook',
        MetricName: BROOK_METRICS.subscriptionIteratorAge.name,
        Statistic: 'Maximum',
        Threshold: 15 * 60_000,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Dimensions: dimensions(name),
      });
      expect(alarm(`brook-staging-subscription-${name}-failures`)).toMatchObject({
        Namespace: 'Brook',
        MetricName: BROOK_METRICS.subscriptionFailures.name,
        Statistic: 'Sum',
        Threshold: 1,
        Dimensions: dimensions(name),
      });
    }
  });

  it('takes the iterator-age threshold from alarms.subscriptionIteratorAgeMinutes, and adds no alarm without monitoring', () => {
    // Act
    const custom = synthWith('prod', { alarms: { subscriptionIteratorAgeMinutes: 60 } }, (s) => void s.brook.subscribe('orders', appFunction(s, 'Fn')));
    const dev = synthWith('dev', {}, (s) => void s.brook.subscribe('orders', appFunction(s, 'Fn')));

    // Assess
    custom.template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'brook-prod-subscription-orders-Fn-iterator-age', Threshold: 3_600_000 });
    dev.template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    dev.template.resourceCountIs('Custom::BrookSubscription', 1);
    expect(() => synthWith('prod', { alarms: { subscriptionIteratorAgeMinutes: 0 } })).toThrow(/subscriptionIteratorAgeMinutes/);
  });

  it('has no dependency cycle', () => {
    expect(dependencyCycles(synthesized)).toEqual([]);
  });

  it('refuses at synth time what the API would refuse at deploy time', () => {
    const attempt = (subscribe: (stack: BrookStack, fn: IFunction) => void) => () => synthWith('dev', {}, (s) => subscribe(s, appFunction(s, 'Fn')));
    expect(attempt((s, fn) => s.brook.subscribe('orders', fn, { name: 'not a name' }))).toThrow(/name "not a name"/);
    expect(attempt((s, fn) => s.brook.subscribe('orders', fn, { batchSize: 0 }))).toThrow(/batchSize/);
    expect(attempt((s, fn) => s.brook.subscribe('orders', fn, { maxBatchingWindow: Duration.minutes(6) }))).toThrow(/maxBatchingWindow/);
    expect(attempt((s, fn) => s.brook.subscribe('orders', fn, { maxRetries: -2 }))).toThrow(/maxRetries/);
    expect(attempt((s, fn) => s.brook.subscribe('orders', fn, { maxRecordAge: Duration.seconds(10) }))).toThrow(/maxRecordAge/);
    expect(attempt((s, fn) => s.brook.subscribe('orders', fn, { onFailure: 'orders' }))).toThrow(/onFailure/);
    expect(attempt((s, fn) => s.brook.subscribe('no/such topic', fn, { name: 'x' }))).toThrow(/not a topic name/);
    expect(attempt((s, fn) => [1, 2].forEach(() => s.brook.subscribe('orders', fn)))).toThrow(/"orders-Fn" is already in this deployment/);
  });

  it('checks the limits the API checks', () => {
    expect(SUBSCRIBE_LIMITS).toEqual(SUBSCRIPTION_LIMITS);
  });
});
