import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { TABLE_LAYOUTS, type TableName } from '../../functions/storage/tables.js';
import { logicalId, synth } from './synth.js';

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
  it.each(['dev', 'prod'] as const)('is encrypted, private and TLS-only in %s', (stage) => {
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
