/**
 * functions/storage/bulk.ts against DynamoDB Local and s3rver: every page is
 * read and requests are cut to the service's limits. What the service hands
 * back unprocessed cannot be provoked on the emulator: test/unit/storageBulk.test.ts
 * covers it with a fake client.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { batchGetAll, batchWriteAll, listAllObjects, queryAll, scanAll } from '../../functions/storage/bulk.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { createS3Client } from '../../functions/storage/s3Client.js';
import { createTestConfig } from '../helpers/testConfig.js';

let config: BrookConfig;

beforeAll(async () => {
  config = await createTestConfig();
});

describe('storage/bulk', () => {
  it('writes, reads by key, queries page by page and deletes more items than one request holds', async () => {
    const doc = createDocumentClient(config);
    const table = config.tables.log;
    const pk = 'bulk#0';
    const items = Array.from({ length: 60 }, (_, sk) => ({ pk, sk, payload: `p${sk}` }));
    try {
      await batchWriteAll(doc, table, items.map((Item) => ({ PutRequest: { Item } })));

      const query = { TableName: table, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, Limit: 7 };
      expect(await queryAll(doc, query)).toEqual(items);
      const keys = Array.from({ length: 130 }, (_, sk) => ({ pk, sk })); // 70 of them missing
      const found = await batchGetAll<{ sk: number }>(doc, table, keys, { ProjectionExpression: 'sk', ConsistentRead: true });
      expect(found.map((item) => item.sk).sort((a, b) => a - b)).toEqual(items.map((item) => item.sk));
      expect((await scanAll(doc, { TableName: table, Limit: 9 })).filter((item) => item.pk === pk)).toHaveLength(60);

      await batchWriteAll(doc, table, items.map(({ sk }) => ({ DeleteRequest: { Key: { pk, sk } } })));
      expect(await queryAll(doc, query)).toEqual([]);
    } finally {
      doc.destroy();
    }
  });

  it('lists every object under a prefix across pages', async () => {
    const s3 = createS3Client(config);
    try {
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: `bulk/${String(i).padStart(2, '0')}`, Body: Buffer.from('x') }))),
      );
      await s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: 'other/1', Body: Buffer.from('x') }));

      const objects = await listAllObjects(s3, { Bucket: config.bucket, Prefix: 'bulk/', MaxKeys: 5 });

      expect(objects.map((object) => object.Key)).toEqual(Array.from({ length: 12 }, (_, i) => `bulk/${String(i).padStart(2, '0')}`));
    } finally {
      s3.destroy();
    }
  });
});
