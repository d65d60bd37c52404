import { RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it, vi } from 'vitest';
import { FUNCTION_NAMES } from '../../functions/layout/routes.js';
import { TABLE_LAYOUTS, type TableName } from '../../functions/layout/tables.js';
import { getStageConfig } from '../../infra/config.js';
import { ACCESS_LOG_PREFIX } from '../../infra/constructs/SegmentBucket.js';
import { COMPACTOR_ACCESS, DISPATCHER_ACCESS, FUNCTION_ACCESS } from '../../infra/functionAccess.js';
import { actionsOf, logicalId, refersTo, STAGE_NAMES, statementsOfRole, synth, type StageName, SYNTH_TIMEOUT_MS } from './synth.js';

// Tests here synthesize stacks not cached yet (other stages, changed settings): see SYNTH_TIMEOUT_MS.
vi.setConfig({ testTimeout: SYNTH_TIMEOUT_MS });

const TABLE_NAMES = Object.keys(TABLE_LAYOUTS) as TableName[];

describe('Construct: BrookTables', () => {
  it('builds one table per layout and no other', () => {
    synth('dev').template.resourceCountIs('AWS::DynamoDB::Table', TABLE_NAMES.length);
  });

  describe.each(TABLE_NAMES)('table %s', (name) => {
    const layout = TABLE_LAYOUTS[name];

    it('has the key schema, billing, encryption, TTL and indexes of its layout', () => {
      // Prepare
      const { stack, resources } = synth('dev');
      const keySchema = [
        { AttributeName: layout.partitionKey.name, KeyType: 'HASH' },
        ...(layout.sortKey ? [{ AttributeName: layout.sortKey.name, KeyType: 'RANGE' }] : []),
      ];

      // Act
      const table = resources[logicalId(stack, stack.tables[name])]!;

      // Assess
      expect(table.Type).toBe('AWS::DynamoDB::Table');
      expect(table.Properties).toMatchObject({
        KeySchema: keySchema,
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
      });
      expect(table.Properties?.TimeToLiveSpecification).toEqual(
        layout.timeToLiveAttribute ? { AttributeName: layout.timeToLiveAttribute, Enabled: true } : undefined,
      );
      expect(table.Properties?.GlobalSecondaryIndexes).toEqual(
        layout.globalSecondaryIndexes?.map((index) => ({
          IndexName: index.indexName,
          KeySchema: [{ AttributeName: index.partitionKey.name, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        })),
      );
      expect(table.Properties?.TableName).toBeUndefined();
    });

    it('has point-in-time recovery and is retained in prod', () => {
      const { stack, resources } = synth('prod');
      const table = resources[logicalId(stack, stack.tables[name])]!;
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties?.DeletionProtectionEnabled).toBe(true);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });

    it('has point-in-time recovery and is retained in staging, without deletion protection', () => {
      const { stack, resources } = synth('staging');
      const table = resources[logicalId(stack, stack.tables[name])]!;
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
      expect(table.DeletionPolicy).toBe('Retain');
      expect(table.UpdateReplacePolicy).toBe('Retain');
    });

    it('is encrypted with the AWS managed key in dev and staging, and the deployment\'s own key in prod', () => {
      for (const stageName of ['dev', 'staging'] as const) {
        const { stack, resources } = synth(stageName);
        expect(resources[logicalId(stack, stack.tables[name])]!.Properties?.SSESpecification, stageName).toEqual({ SSEEnabled: true });
      }
      const { stack, resources } = synth('prod');
      expect(resources[logicalId(stack, stack.tables[name])]!.Properties?.SSESpecification).toEqual({
        SSEEnabled: true,
        SSEType: 'KMS',
        KMSMasterKeyId: { 'Fn::GetAtt': [logicalId(stack, stack.brook.tableKey!), 'Arn'] },
      });
    });

    it('has no point-in-time recovery and is deleted with the stack in dev', () => {
      const { stack, resources } = synth('dev');
      const table = resources[logicalId(stack, stack.tables[name])]!;
      expect(table.Properties?.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: false });
      expect(table.Properties?.DeletionProtectionEnabled).toBe(false);
      expect(table.DeletionPolicy).toBe('Delete');
    });
  });
});

const PRIVATE = {
  BlockPublicAcls: true,
  BlockPublicPolicy: true,
  IgnorePublicAcls: true,
  RestrictPublicBuckets: true,
};
const SSE_S3 = { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] };

/** The logical ids of the segment bucket and of its access-log bucket. */
function bucketIds(stageName: StageName): { segments: string; accessLogs: string } {
  const { stack } = synth(stageName);
  return { segments: logicalId(stack, stack.bucket), accessLogs: logicalId(stack, stack.brook.accessLogBucket) };
}

/** The statements of the bucket policy of the bucket with this logical id. */
function bucketPolicyStatements(stageName: StageName, bucketId: string): Record<string, any>[] {
  const policies = Object.values(synth(stageName).resources).filter(
    (resource) => resource.Type === 'AWS::S3::BucketPolicy' && refersTo(resource.Properties?.Bucket, bucketId),
  );
  expect(policies).toHaveLength(1);
  return policies[0]!.Properties?.PolicyDocument.Statement as Record<string, any>[];
}

const TLS_ONLY = expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } });

describe('Construct: SegmentBucket', () => {
  it.each(STAGE_NAMES)('has two buckets in %s: the segments and their access logs', (stageName) => {
    const { template, resources } = synth(stageName);
    const { segments, accessLogs } = bucketIds(stageName);
    template.resourceCountIs('AWS::S3::Bucket', 2);
    expect(resources[segments]?.Type).toBe('AWS::S3::Bucket');
    expect(resources[accessLogs]?.Type).toBe('AWS::S3::Bucket');
    expect(segments).not.toBe(accessLogs);
  });

  it.each(STAGE_NAMES)('keeps the segment bucket private and TLS-only in %s', (stageName) => {
    // Prepare
    const { segments } = bucketIds(stageName);

    // Act
    const bucket = synth(stageName).resources[segments]!;

    // Assess
    expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual(PRIVATE);
    expect(bucketPolicyStatements(stageName, segments)).toEqual(expect.arrayContaining([TLS_ONLY]));
  });

  it.each(['dev', 'staging'] as const)('encrypts the segment bucket with SSE-S3 in %s, whose tables use the AWS managed key', (stageName) => {
    const { segments } = bucketIds(stageName);
    expect(synth(stageName).resources[segments]!.Properties?.BucketEncryption).toEqual(SSE_S3);
  });

  it("encrypts the segment bucket with the deployment's KMS key in prod, as the tables, with an S3 Bucket Key", () => {
    // Prepare
    const { stack, template } = synth('prod');
    const keyId = logicalId(stack, stack.brook.tableKey!);

    // Assess: the bucket whose access logs go to the log bucket, i.e. the segment bucket
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [keyId, 'Arn'] } },
          },
        ],
      },
      LoggingConfiguration: { DestinationBucketName: { Ref: bucketIds('prod').accessLogs }, LogFilePrefix: ACCESS_LOG_PREFIX },
    });
  });

  it.each(STAGE_NAMES)('sends the server access logs of the segment bucket to the access-log bucket in %s', (stageName) => {
    // Prepare
    const { segments, accessLogs } = bucketIds(stageName);

    // Act
    const { template, resources } = synth(stageName);

    // Assess
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: accessLogs }, LogFilePrefix: ACCESS_LOG_PREFIX },
    });
    expect(resources[segments]!.Properties?.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: accessLogs },
      LogFilePrefix: ACCESS_LOG_PREFIX,
    });
  });

  it('is versioned and retained in prod', () => {
    const { template } = synth('prod');
    template.hasResource('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: { Status: 'Enabled' } },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });

  it('is emptied and deleted with the stack in dev, with its access logs', () => {
    const { template, resources } = synth('dev');
    const { segments, accessLogs } = bucketIds('dev');
    template.hasResource('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: Match.absent() },
      DeletionPolicy: 'Delete',
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
    const emptied = Object.values(resources)
      .filter((resource) => resource.Type === 'Custom::S3AutoDeleteObjects')
      .map((resource) => resource.Properties?.BucketName);
    expect(emptied).toEqual(expect.arrayContaining([{ Ref: segments }, { Ref: accessLogs }]));
  });
});

describe('Construct: SegmentBucket, the access-log bucket', () => {
  describe.each(STAGE_NAMES)('in %s', (stageName) => {
    const config = getStageConfig(stageName);

    it('is private, TLS-only and encrypted with SSE-S3 (what S3 log delivery writes to)', () => {
      // Prepare
      const { accessLogs } = bucketIds(stageName);

      // Act
      const bucket = synth(stageName).resources[accessLogs]!;

      // Assess
      expect(bucket.Properties?.BucketEncryption).toEqual(SSE_S3);
      expect(bucket.Properties?.PublicAccessBlockConfiguration).toEqual(PRIVATE);
      expect(bucket.Properties?.VersioningConfiguration).toBeUndefined();
      expect(bucket.Properties?.LoggingConfiguration).toBeUndefined();
      expect(bucketPolicyStatements(stageName, accessLogs)).toEqual(expect.arrayContaining([TLS_ONLY]));
    });

    it('lets S3 log delivery write under the prefix, for the segment bucket of this account only', () => {
      // Prepare
      const { segments, accessLogs } = bucketIds(stageName);

      // Act (dev also lets the auto-delete function empty the bucket: it puts nothing)
      const writers = bucketPolicyStatements(stageName, accessLogs).filter(
        (statement) => statement.Effect === 'Allow' && [statement.Action].flat().some((action: string) => action === 's3:PutObject' || action === 's3:*'),
      );

      // Assess
      expect(writers).toEqual([
        {
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [accessLogs, 'Arn'] }, `/${ACCESS_LOG_PREFIX}*`]] },
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [segments, 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        },
      ]);
    });

    it(`expires logs after the stage's log retention (${config.logRetention} days)`, () => {
      const { accessLogs } = bucketIds(stageName);
      const rules = synth(stageName).resources[accessLogs]!.Properties?.LifecycleConfiguration.Rules as Record<string, unknown>[];
      expect(rules).toContainEqual({ Id: 'ExpireAccessLogs', Status: 'Enabled', ExpirationInDays: config.logRetention });
    });

    it('is kept or deleted with the stack as the data is', () => {
      // Prepare
      const { segments, accessLogs } = bucketIds(stageName);
      const { resources } = synth(stageName);

      // Assess
      expect(resources[accessLogs]!.DeletionPolicy).toBe(resources[segments]!.DeletionPolicy);
      expect(resources[accessLogs]!.UpdateReplacePolicy).toBe(resources[segments]!.UpdateReplacePolicy);
      expect(resources[accessLogs]!.DeletionPolicy).toBe(config.removalPolicy === RemovalPolicy.DESTROY ? 'Delete' : 'Retain');
    });
  });
});

describe('Setting: tableEncryption', () => {
  it('makes one rotated KMS key, retained with the data, only for customer-managed encryption', () => {
    // Prepare
    const prod = synth('prod');

    // Assess
    prod.template.resourceCountIs('AWS::KMS::Key', 1);
    prod.template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    synth('dev').template.resourceCountIs('AWS::KMS::Key', 0);
    synth('staging').template.resourceCountIs('AWS::KMS::Key', 0);
  });

  it('lets the functions that read a table use its key, and no other', () => {
    // Prepare
    const { stack, resources } = synth('prod');
    const keyId = logicalId(stack, stack.brook.tableKey!);

    // Act
    const policiesWithKey = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties?.PolicyDocument).includes(`"${keyId}"`));
    const healthRole = logicalId(stack, stack.functions.health.role!);

    // Assess
    expect(policiesWithKey.length).toBeGreaterThan(0);
    expect(policiesWithKey.some((policy) => JSON.stringify(policy.Properties?.Roles).includes(healthRole))).toBe(false);
  });
});

describe('Setting: tableEncryption, the segment bucket', () => {
  /** Actions the role with this logical id may take with the deployment's key. */
  function keyActions(roleLogicalId: string): string[] {
    const synthesized = synth('prod');
    const keyId = logicalId(synthesized.stack, synthesized.stack.brook.tableKey!);
    return statementsOfRole(synthesized, roleLogicalId)
      .filter((statement) => refersTo(statement.Resource, keyId))
      .flatMap(actionsOf);
  }
  const { stack } = synth('prod');
  const readers = [
    ...FUNCTION_NAMES.filter((name) => FUNCTION_ACCESS[name].bucket !== undefined).map((name) => [name, FUNCTION_ACCESS[name].bucket!, stack.functions[name]] as const),
    ['compactor', COMPACTOR_ACCESS.bucket!, stack.compactor.lambdaFunction] as const,
    ['dispatcher', DISPATCHER_ACCESS.bucket!, stack.subscriptions.dispatcher] as const,
  ];

  it('covers every function that touches the bucket', () => {
    expect(readers.map(([name]) => name).sort()).toEqual(['compactor', 'dispatcher', 'fetch', 'groups', 'produce', 'subscriptions']);
  });

  it.each(readers)("lets %s (%s on the bucket) decrypt the segments with the key, and encrypt them where it writes", (_name, access, fn) => {
    // Act
    const actions = keyActions(logicalId(stack, fn.role!));

    // Assess
    expect(actions).toContain('kms:Decrypt');
    if (access === 'readWrite') expect(actions).toEqual(expect.arrayContaining(['kms:Encrypt', 'kms:GenerateDataKey*']));
  });

  it('gives health and fallback, which touch no data, no use of the key', () => {
    for (const name of ['health', 'fallback', 'console'] as const) expect(keyActions(logicalId(stack, stack.functions[name].role!)), name).toEqual([]);
  });
});

describe('Segment bucket lifecycle', () => {
  type Rule = { Id: string; Status: string; Prefix?: string; ExpirationInDays?: number; NoncurrentVersionExpiration?: { NoncurrentDays: number }; ExpiredObjectDeleteMarker?: boolean; AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number } };
  const rulesOf = (stageName: StageName): Rule[] => {
    const bucket = synth(stageName).resources[bucketIds(stageName).segments]!;
    return bucket.Properties?.LifecycleConfiguration.Rules as Rule[];
  };

  it.each(STAGE_NAMES)('never expires a current object in %s (batches/ and segments/ may be live data)', (stageName) => {
    for (const rule of rulesOf(stageName)) {
      expect(rule.ExpirationInDays, rule.Id).toBeUndefined();
      expect(rule.Prefix, rule.Id).toBeUndefined();
    }
  });

  it.each(STAGE_NAMES)('aborts incomplete multipart uploads after a day in %s', (stageName) => {
    expect(rulesOf(stageName)).toContainEqual({ Id: 'AbortIncompleteUploads', Status: 'Enabled', AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } });
  });

  it('expires old versions and lone delete markers where versioning is on (prod) and nowhere else', () => {
    expect(rulesOf('prod')).toContainEqual({
      Id: 'ExpireOldVersions',
      Status: 'Enabled',
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      ExpiredObjectDeleteMarker: true,
    });
    expect(rulesOf('dev').map((rule) => rule.Id)).toEqual(['AbortIncompleteUploads']);
    expect(rulesOf('staging').map((rule) => rule.Id)).toEqual(['AbortIncompleteUploads']);
  });

  it('is retained without versions in staging', () => {
    const { template } = synth('staging');
    template.hasResource('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: Match.absent() },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
  });
});
