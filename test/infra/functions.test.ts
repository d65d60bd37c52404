import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { CONFIG_ENV } from '../../functions/layout/env.js';
import { FUNCTION_NAMES, type FunctionName } from '../../functions/layout/routes.js';
import { TABLE_LAYOUTS, type TableName } from '../../functions/layout/tables.js';
import { getStageConfig } from '../../infra/config.js';
import { FUNCTION_ACCESS, FUNCTION_TIMEOUT_SECONDS, tableAccess } from '../../infra/functionAccess.js';
import { actionsOf, logicalId, refersTo, STAGE_NAMES, statementsOfRole, synth, type Synthesized } from './synth.js';

const TABLE_NAMES = Object.keys(TABLE_LAYOUTS) as TableName[];
const TABLE_ENV: Record<TableName, string> = {
  log: CONFIG_ENV.logTable,
  topics: CONFIG_ENV.topicsTable,
  groups: CONFIG_ENV.groupsTable,
  keys: CONFIG_ENV.keysTable,
  subscriptions: CONFIG_ENV.subscriptionsTable,
};
const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:*',
];

/**
 * Every function of a stage bundled from `functions/handlers/`: one per FUNCTION_NAMES entry, the
 * subscription dispatcher, and the admin-key and secret-key bootstraps. (`subscriptionResource`
 * exists only with `subscribe()`: test/infra/subscriptions.test.ts.)
 */
const HANDLERS = [...FUNCTION_NAMES, 'dispatcher', 'bootstrapAdminKey', 'bootstrapSecretKey'] as const;
type HandlerName = (typeof HANDLERS)[number];
/** The handlers that load the configuration, and so get every table and the bucket (the secret-key bootstrap needs none). */
const CONFIGURED_HANDLERS = HANDLERS.filter((name) => name !== 'bootstrapSecretKey');
/** Custom resources' functions: a minute, whatever the stage's timeout. */
const CUSTOM_RESOURCE_HANDLERS: readonly HandlerName[] = ['bootstrapAdminKey', 'bootstrapSecretKey'];

function handlerFunction({ stack }: Synthesized, name: HandlerName): IFunction {
  if (name === 'bootstrapAdminKey') return stack.adminKey.handler.lambdaFunction;
  if (name === 'bootstrapSecretKey') return stack.subscriptions.secretKey.handler.lambdaFunction;
  if (name === 'dispatcher') return stack.subscriptions.dispatcher;
  return stack.functions[name];
}

function functionProperties(synthesized: Synthesized, fn: IFunction): Record<string, any> {
  return synthesized.resources[logicalId(synthesized.stack, fn)]!.Properties!;
}

function statementsOf(synthesized: Synthesized, fn: IFunction) {
  return statementsOfRole(synthesized, logicalId(synthesized.stack, fn.role!));
}

/** Actions `fn`'s policies allow on the table `name` (and its indexes). */
function tableActions(synthesized: Synthesized, fn: IFunction, name: TableName): string[] {
  const tableId = logicalId(synthesized.stack, synthesized.stack.tables[name]);
  return statementsOf(synthesized, fn)
    .filter((statement) => refersTo(statement.Resource, tableId))
    .flatMap(actionsOf);
}

const writesIn = (actions: string[]) => actions.filter((action) => WRITE_ACTIONS.includes(action));

describe('Construct: BrookFunction', () => {
  describe.each(STAGE_NAMES)('in %s', (stageName) => {
    const config = getStageConfig(stageName);

    it.each(HANDLERS)('runs %s on Node.js 22, arm64, with the stage settings', (name) => {
      // Prepare
      const synthesized = synth(stageName);

      // Act
      const properties = functionProperties(synthesized, handlerFunction(synthesized, name));

      // Assess
      expect(properties).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Handler: 'index.handler' });
      expect(properties.TracingConfig).toEqual(config.tracing ? { Mode: 'Active' } : undefined);
      if (CUSTOM_RESOURCE_HANDLERS.includes(name)) {
        expect(properties.Timeout).toBe(60);
      } else {
        const timeout = name === 'dispatcher' ? 300 : (FUNCTION_TIMEOUT_SECONDS[name as FunctionName] ?? config.timeoutSeconds);
        expect(properties).toMatchObject({ MemorySize: config.memorySize, Timeout: timeout });
      }
    });

    it.each(CONFIGURED_HANDLERS)('gives %s every table and the bucket through BROOK_* variables', (name) => {
      // Prepare
      const synthesized = synth(stageName);
      const { stack } = synthesized;

      // Act
      const variables = functionProperties(synthesized, handlerFunction(synthesized, name)).Environment.Variables;

      // Assess
      for (const table of TABLE_NAMES) {
        expect(variables[TABLE_ENV[table]]).toEqual({ Ref: logicalId(stack, stack.tables[table]) });
      }
      expect(variables[CONFIG_ENV.bucket]).toEqual({ Ref: logicalId(stack, stack.bucket) });
      expect(variables).toMatchObject({
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: `brook-${stageName}`,
        POWERTOOLS_METRICS_NAMESPACE: 'Brook',
        POWERTOOLS_LOG_LEVEL: config.logLevel,
      });
    });

    it.each(HANDLERS)('logs %s to its own log group with the stage retention', (name) => {
      // Prepare
      const synthesized = synth(stageName);

      // Act
      const properties = functionProperties(synthesized, handlerFunction(synthesized, name));
      const logGroup = synthesized.resources[(properties.LoggingConfig.LogGroup as { Ref: string }).Ref]!;

      // Assess
      expect(logGroup.Type).toBe('AWS::Logs::LogGroup');
      expect(logGroup.Properties?.RetentionInDays).toBe(config.logRetention);
      expect(logGroup.DeletionPolicy).toBe(stageName === 'dev' ? 'Delete' : 'Retain');
    });
  });
});

describe('Least privilege (FUNCTION_ACCESS)', () => {
  const synthesized = synth('dev');
  const { functions } = synthesized.stack;

  it('gives the console function no table, no bucket and no key at all', () => {
    expect(FUNCTION_ACCESS.console).toEqual({ authenticates: false });
    const statements = statementsOf(synthesized, functions.console);
    for (const statement of statements) {
      expect(actionsOf(statement).every((action) => action.startsWith('xray:')), JSON.stringify(statement)).toBe(true);
    }
  });

  it('gives topics read/write on the topics table and read on the log and keys tables', () => {
    const actions = (table: TableName) => tableActions(synthesized, functions.topics, table);
    expect(actions('topics')).toEqual(
      expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem']),
    );
    expect(actions('log')).toContain('dynamodb:Query');
    expect(actions('keys')).toContain('dynamodb:GetItem');
    expect(actions('groups')).toEqual([]);
  });

  it('does not let topics write the log table', () => {
    const actions = tableActions(synthesized, functions.topics, 'log');
    expect(actions.length).toBeGreaterThan(0);
    expect(writesIn(actions)).toEqual([]);
  });

  it('lets produce write the log, and fetch only read it and the bucket', () => {
    expect(tableActions(synthesized, functions.produce, 'log')).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:Query']));
    // POST /v1/transactions (on the produce function) commits a group's offsets in the same transaction.
    expect(tableActions(synthesized, functions.produce, 'groups')).toEqual(expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:GetItem']));
    const fetchLog = tableActions(synthesized, functions.fetch, 'log');
    expect(fetchLog).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(writesIn(fetchLog)).toEqual([]);
    const bucketId = logicalId(synthesized.stack, synthesized.stack.bucket);
    const fetchBucket = statementsOf(synthesized, functions.fetch).filter((s) => refersTo(s.Resource, bucketId)).flatMap(actionsOf);
    expect(fetchBucket.some((action) => action.startsWith('s3:Get'))).toBe(true);
    expect(fetchBucket.filter((action) => action.startsWith('s3:Put') || action.startsWith('s3:Delete'))).toEqual([]);
  });

  it('lets groups write only the groups table, and read the topics, the log, the keys and the bucket', () => {
    // Prepare
    const actions = (table: TableName) => tableActions(synthesized, functions.groups, table);
    const bucketId = logicalId(synthesized.stack, synthesized.stack.bucket);

    // Act
    const bucket = statementsOf(synthesized, functions.groups).filter((s) => refersTo(s.Resource, bucketId)).flatMap(actionsOf);

    // Assess
    expect(actions('groups')).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:Scan']),
    );
    for (const table of ['topics', 'log', 'keys'] as const) {
      expect(actions(table), table).toContain('dynamodb:GetItem');
      expect(writesIn(actions(table)), table).toEqual([]);
    }
    expect(actions('log')).toContain('dynamodb:BatchGetItem');
    expect(bucket.some((action) => action.startsWith('s3:Get'))).toBe(true);
    expect(bucket.filter((action) => action.startsWith('s3:Put') || action.startsWith('s3:Delete'))).toEqual([]);
  });

  it('gives fetch a timeout that fits a 20 s long-poll and API Gateway\'s 30 s', () => {
    const timeout = functionProperties(synthesized, functions.fetch).Timeout as number;
    expect(timeout).toBeGreaterThanOrEqual(21);
    expect(timeout).toBeLessThan(30);
  });

  it.each(['health', 'fallback', 'console'] as const)('gives %s no DynamoDB or S3 access at all', (name) => {
    for (const stage of STAGE_NAMES) {
      const actions = statementsOf(synth(stage), synth(stage).stack.functions[name]).flatMap(actionsOf);
      expect(actions.filter((action) => action.startsWith('dynamodb:') || action.startsWith('s3:'))).toEqual([]);
    }
  });

  it.each(FUNCTION_NAMES.filter((name) => FUNCTION_ACCESS[name].authenticates))(
    'gives %s, which authenticates, read on the keys table',
    (name) => {
      expect(tableActions(synthesized, functions[name], 'keys')).toContain('dynamodb:GetItem');
    },
  );

  it.each(FUNCTION_NAMES.flatMap((name) => TABLE_NAMES.map((table) => [name, table] as [FunctionName, TableName])))(
    'gives %s exactly its declared access to the %s table',
    (name, table) => {
      // Prepare
      const declared = tableAccess(FUNCTION_ACCESS[name])[table];

      // Act
      const actions = tableActions(synthesized, functions[name], table);

      // Assess
      if (declared === undefined) expect(actions).toEqual([]);
      if (declared === 'read') {
        expect(actions).toContain('dynamodb:GetItem');
        expect(writesIn(actions)).toEqual([]);
      }
      if (declared === 'readWrite') {
        expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem']));
      }
    },
  );

  it.each(FUNCTION_NAMES)('gives %s access to the bucket only if declared', (name) => {
    const bucketId = logicalId(synthesized.stack, synthesized.stack.bucket);
    const statements = statementsOf(synthesized, functions[name]).filter((s) => refersTo(s.Resource, bucketId));
    expect(statements.length > 0).toBe(FUNCTION_ACCESS[name].bucket !== undefined);
  });
});

describe('Least privilege, whole policies', () => {
  describe.each(STAGE_NAMES)('in %s', (stageName) => {
    const synthesized = synth(stageName);
    const { stack } = synthesized;
    const config = getStageConfig(stageName);

    it.each(FUNCTION_NAMES)('lets %s reach only its declared tables, bucket and key, and X-Ray when traced', (name) => {
      // Prepare
      const access = FUNCTION_ACCESS[name];
      const allowed = [
        ...Object.keys(tableAccess(access)).map((table) => logicalId(stack, stack.tables[table as TableName])),
        ...(access.bucket ? [logicalId(stack, stack.bucket)] : []),
        ...(stack.brook.tableKey && Object.keys(tableAccess(access)).length > 0 ? [logicalId(stack, stack.brook.tableKey)] : []),
      ];

      // Act
      const statements = statementsOf(synthesized, stack.functions[name]);

      // Assess
      for (const statement of statements) {
        expect(statement.Effect).toBe('Allow');
        if (statement.Resource === '*') {
          expect(actionsOf(statement).every((action) => action.startsWith('xray:')), JSON.stringify(statement)).toBe(true);
          expect(config.tracing).toBe(true);
          continue;
        }
        if (name === 'subscriptions' && actionsOf(statement).some((action) => action.startsWith('ssm:'))) {
          // The subscriptions API seals webhook secrets: it reads the secret key, that one parameter only.
          expect(actionsOf(statement)).toEqual(['ssm:GetParameter']);
          expect(JSON.stringify(statement.Resource)).toContain(`:parameter/brook-${stageName}/subscription-secret-key"`);
          continue;
        }
        const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
        for (const resource of resources) {
          expect(allowed.some((id) => refersTo(resource, id)), `${name}: ${JSON.stringify(resource)}`).toBe(true);
        }
        expect(actionsOf(statement).every((action) => /^(dynamodb|s3|kms):/.test(action)), JSON.stringify(statement)).toBe(true);
      }
    });

    it.each(FUNCTION_NAMES)('reserves concurrency for %s only as the stage says', (name) => {
      const reserved = config.reservedConcurrency?.[name];
      expect(functionProperties(synthesized, stack.functions[name]).ReservedConcurrentExecutions).toBe(reserved);
    });
  });

  it('caps the groups function in staging and prod, so heartbeats cannot starve produce and fetch', () => {
    expect(functionProperties(synth('prod'), synth('prod').stack.functions.groups).ReservedConcurrentExecutions).toBe(50);
    expect(functionProperties(synth('staging'), synth('staging').stack.functions.groups).ReservedConcurrentExecutions).toBe(20);
  });
});
