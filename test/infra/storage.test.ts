import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLE_LAYOUTS, type TableName } from '../../functions/storage/tables.js';
import { logicalId, STAGE_NAMES, synth, type StageName } from './synth.js';

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

describe('Construct: SegmentBucket', () => {
  it.each(STAGE_NAMES)('is encrypted, private and TLS-only in %s', (stage) => {
    // Prepare
    const { template } = synth(stage);

    // Assess
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
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

  it('is emptied and deleted with the stack in dev', () => {
    const { template } = synth('dev');
    template.hasResource('AWS::S3::Bucket', {
      Properties: { VersioningConfiguration: Match.absent() },
      DeletionPolicy: 'Delete',
    });
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 1);
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

describe('Segment bucket lifecycle', () => {
  type Rule = { Id: string; Status: string; Prefix?: string; ExpirationInDays?: number; NoncurrentVersionExpiration?: { NoncurrentDays: number }; ExpiredObjectDeleteMarker?: boolean; AbortIncompleteMultipartUpload?: { DaysAfterInitiation: number } };
  const rulesOf = (stageName: StageName): Rule[] => {
    const bucket = Object.values(synth(stageName).resources).find((resource) => resource.Type === 'AWS::S3::Bucket')!;
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
