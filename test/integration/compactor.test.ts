import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { Compactor, ORPHAN_MIN_AGE_MS, type CompactionStep, type CompactorOptions } from '../../functions/log/Compactor.js';
import { logPartitionKey } from '../../functions/layout/tables.js';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { requestCounts, resetRequestCounts } from '../../functions/storage/requestMeter.js';
import { createS3Client } from '../../functions/storage/s3Client.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { createTestConfig } from '../helpers/testConfig.js';

let brook: BrookUnderTest;
let config: BrookConfig;
let topicCounter = 0;

class InjectedCrash extends Error {}

function compactor(options: Partial<CompactorOptions> = {}): Compactor {
  return new Compactor({
    doc: createDocumentClient(config),
    s3: createS3Client(config),
    tables: config.tables,
    bucket: config.bucket,
    minAgeMs: 0,
    ...options,
  });
}

async function newTopic(topicConfig: Record<string, unknown> = {}, partitions = 1): Promise<string> {
  const name = `tier-${++topicCounter}-${randomBytes(3).toString('hex')}`;
  expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name, partitions, config: { maxMessageBytes: 4_194_304, ...topicConfig } } })).status).toBe(201);
  return name;
}

/** Produces `batches` requests of mixed sizes: small ones stay inline, the 40 KB ones go to S3 objects. */
async function produceMixed(topic: string, batches: number, timestamp?: number): Promise<void> {
  for (let i = 0; i < batches; i++) {
    const big = i % 3 === 2;
    const records = Array.from({ length: big ? 2 : 3 }, (_, j) => ({
      key: `k${(i + j) % 4}`,
      value: big ? randomBytes(20_000).toString('base64') : `batch ${i} record ${j}`,
      headers: { n: String(i) },
      ...(timestamp !== undefined ? { timestamp: timestamp + i } : {}),
    }));
    expect((await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } })).status).toBe(200);
  }
}

async function readAll(
  topic: string,
  partition = 0,
  from?: number,
  limits = { maxRecords: '7', maxBytes: '50000' },
): Promise<{ offset: number; key: string; value: string; timestamp: number; headers: unknown }[]> {
  const records = [];
  let offset = from;
  for (;;) {
    const page = await brook.call({
      method: 'GET',
      path: `/v1/topics/${topic}/partitions/${partition}/records`,
      query: { ...(offset !== undefined ? { offset: String(offset) } : {}), ...limits },
    });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    records.push(...page.body.records);
    if (page.body.nextOffset >= page.body.highWatermark) return records;
    offset = page.body.nextOffset;
  }
}

async function logItems(topic: string, partition = 0): Promise<Record<string, unknown>[]> {
  const { topicId } = await brook.topics.get(topic);
  const result = await createDocumentClient(config).send(
    new QueryCommand({ TableName: config.tables.log, KeyConditionExpression: 'pk = :pk AND sk >= :zero', ExpressionAttributeValues: { ':pk': logPartitionKey(topicId, partition), ':zero': 0 }, ConsistentRead: true }),
  );
  return result.Items ?? [];
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const result = await createS3Client(config).send(new ListObjectsV2Command({ Bucket: config.bucket, Prefix: prefix }));
  return (result.Contents ?? []).map((object) => object.Key!);
}

beforeAll(async () => {
  config = await createTestConfig();
  brook = await brookUnderTest(config);
});

describe('compactor: tiering to S3', () => {
  it('rolls batches into a segment and every record reads back identically', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 9);
    const before = await readAll(topic);
    const { topicId } = await brook.topics.get(topic);
    expect((await objectsUnder(`batches/${topicId}/`)).length).toBe(3);

    await compactor().compactPartition({ topicId }, 0);

    const items = await logItems(topic);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ sk: 0, c: before.length, s: expect.stringMatching(/^segments\//) });
    expect(await objectsUnder(`batches/${topicId}/`)).toEqual([]);
    expect(await objectsUnder(`segments/${topicId}/`)).toHaveLength(1);
    expect(await readAll(topic)).toEqual(before);
    expect(await readAll(topic, 0, 5)).toEqual(before.slice(5));
    // Bounded by bytes, not records: a segment is read a range of batches at a time, and none is skipped.
    expect(await readAll(topic, 0, 0, { maxRecords: '1000', maxBytes: '300' })).toEqual(before);
  });

  it('reads a range that spans a segment and batches still in DynamoDB', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 6);
    const { topicId } = await brook.topics.get(topic);
    await compactor().compactPartition({ topicId }, 0);
    await produceMixed(topic, 4);

    const all = await readAll(topic);

    expect(all.map((r) => r.offset)).toEqual(Array.from({ length: all.length }, (_, i) => i));
    const spanning = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '12', maxRecords: '6' } });
    expect(spanning.body.records.map((r: { offset: number }) => r.offset)).toEqual([12, 13, 14, 15, 16, 17]);
    expect((await logItems(topic)).filter((item) => item.s)).toHaveLength(1);
  });

  it('a run triggered by appends passes over just the partitions whose HEAD changed', async () => {
    // Prepare: two partitions with batches to roll
    const topic = await newTopic({}, 2);
    for (const partition of [0, 1]) {
      const records = Array.from({ length: 3 }, (_, i) => ({ value: `p${partition} r${i}`, partition }));
      expect((await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } })).status).toBe(200);
    }
    const { topicId } = await brook.topics.get(topic);

    // Act: what the log table's stream reports for an append to partition 1
    const report = await compactor().runFor([logPartitionKey(topicId, 1)]);

    // Assess
    expect(report.batchesRolled).toBe(1);
    expect((await logItems(topic, 1)).some((item) => item.s)).toBe(true);
    expect((await logItems(topic, 0)).some((item) => item.s)).toBe(false);
  });

  it('a partition whose pass fails is counted and does not stop the others', async () => {
    // Prepare: two partitions with batches to roll; the first segment write of the run fails
    const topic = await newTopic({}, 2);
    for (const partition of [0, 1]) {
      const records = Array.from({ length: 3 }, (_, i) => ({ value: `p${partition} r${i}`, partition }));
      expect((await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } })).status).toBe(200);
    }
    const { topicId } = await brook.topics.get(topic);
    let failed = false;
    const failingOnce = compactor({
      afterStep: (step) => {
        if (step === 'segment-written' && !failed) {
          failed = true;
          throw new InjectedCrash('S3 said no');
        }
      },
    });

    // Act
    const report = await failingOnce.runFor([logPartitionKey(topicId, 0), logPartitionKey(topicId, 1)]);

    // Assess: one failure, the other partition rolled, and the failed one rolls on the next run
    expect(report).toMatchObject({ failures: 1, batchesRolled: 1 });
    const report2 = await compactor().runFor([logPartitionKey(topicId, 0), logPartitionKey(topicId, 1)]);
    expect(report2).toMatchObject({ failures: 0, batchesRolled: 1 });
    for (const partition of [0, 1]) expect((await logItems(topic, partition)).some((item) => item.s)).toBe(true);
  });

  it('a sweep deletes batch objects no item refers to once they are an hour old, and nothing else', async () => {
    // Prepare: a partition with live batches in S3, and two orphans (an append that died after its S3 PUT)
    const topic = await newTopic();
    await produceMixed(topic, 6);
    const { topicId } = await brook.topics.get(topic);
    const live = await objectsUnder(`batches/${topicId}/0/`);
    expect(live.length).toBe(2);
    const s3 = createS3Client(config);
    for (const name of ['orphan-1', 'orphan-2']) {
      await s3.send(new PutObjectCommand({ Bucket: config.bucket, Key: `batches/${topicId}/0/${name}.batch`, Body: Buffer.from('lost') }));
    }
    // Batches stay in DynamoDB (young); the clock is two hours ahead, so the orphans are old.
    const later = () => Date.now() + 2 * ORPHAN_MIN_AGE_MS;

    // Act
    const appendRun = await compactor({ minAgeMs: 30 * 86_400_000, now: later }).runFor([logPartitionKey(topicId, 0)]);
    const sweep = await compactor({ minAgeMs: 30 * 86_400_000, now: later }).runOnce();

    // Assess: only the sweep looks for orphans; live batches stay and still read
    expect(appendRun.orphansDeleted).toBe(0);
    expect(sweep.orphansDeleted).toBeGreaterThanOrEqual(2);
    expect((await objectsUnder(`batches/${topicId}/0/`)).sort()).toEqual(live.sort());
    expect(await readAll(topic)).toHaveLength(16);
  });

  it('a sweep keeps an unreferenced batch object younger than an hour (an append may be under way)', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 1);
    const { topicId } = await brook.topics.get(topic);
    const key = `batches/${topicId}/0/in-flight.batch`;
    await createS3Client(config).send(new PutObjectCommand({ Bucket: config.bucket, Key: key, Body: Buffer.from('soon referenced') }));
    await compactor({ minAgeMs: 30 * 86_400_000 }).runOnce();
    expect(await objectsUnder(`batches/${topicId}/0/`)).toContain(key);
  });

  it('leaves young batches in DynamoDB', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 3);
    const { topicId } = await brook.topics.get(topic);
    await compactor({ minAgeMs: 60_000 }).compactPartition({ topicId }, 0);
    expect((await logItems(topic)).some((item) => item.s)).toBe(false);
  });

  it('finds offsets by time inside segments', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 6, 1_000_000);
    const { topicId } = await brook.topics.get(topic);
    const at = async (t: number) => (await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/offsets`, query: { at: String(t) } })).body.offset;
    const before = [await at(1_000_000), await at(1_000_003), await at(1_000_007), await at(9_999_999)];

    await compactor().compactPartition({ topicId }, 0);

    expect([await at(1_000_000), await at(1_000_003), await at(1_000_007), await at(9_999_999)]).toEqual(before);
  });

  it.each<CompactionStep>(['segment-written', 'pointer-written', 'batches-deleted'])(
    'loses and duplicates nothing when it crashes after %s and runs again',
    async (step) => {
      const topic = await newTopic();
      await produceMixed(topic, 7);
      const before = await readAll(topic);
      const { topicId } = await brook.topics.get(topic);
      const crashing = compactor({
        afterStep: (done) => {
          if (done === step) throw new InjectedCrash(step);
        },
      });

      await expect(crashing.compactPartition({ topicId }, 0)).rejects.toThrow(InjectedCrash);
      expect(await readAll(topic)).toEqual(before);
      await compactor().compactPartition({ topicId }, 0);

      expect(await readAll(topic)).toEqual(before);
      const items = await logItems(topic);
      expect(items).toHaveLength(1);
      expect(items[0]!.c).toBe(before.length);
      expect(await objectsUnder(`batches/${topicId}/`)).toEqual([]);
      expect(await objectsUnder(`segments/${topicId}/`)).toHaveLength(1);
    },
  );

  it('is safe with two compactors at once', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 8);
    const before = await readAll(topic);
    const { topicId } = await brook.topics.get(topic);

    await Promise.all([compactor().compactPartition({ topicId }, 0), compactor().compactPartition({ topicId }, 0)]);
    await compactor().compactPartition({ topicId }, 0);

    expect(await readAll(topic)).toEqual(before);
    const items = await logItems(topic);
    const covered = items.flatMap((item) => Array.from({ length: item.c as number }, (_, i) => (item.sk as number) + i));
    expect(covered).toEqual(before.map((r) => r.offset));
  });

  it('costs an idle partition one read per run, and picks up new data', async () => {
    const topic = await newTopic({ retentionMs: 3_600_000 });
    await produceMixed(topic, 3);
    const t = await brook.topics.get(topic);
    const c = compactor();
    await c.processPartition(t, 0);

    resetRequestCounts();
    await c.processPartition(t, 0);
    const idle = requestCounts();
    await produceMixed(topic, 1);
    resetRequestCounts();
    await c.processPartition(t, 0);
    const busy = requestCounts();

    expect(idle.dynamoDbRequests).toBe(1);
    expect(idle.s3Puts + idle.s3Gets).toBe(0);
    expect(busy.dynamoDbRequests).toBeGreaterThan(1);
    expect((await logItems(topic)).every((item) => item.s)).toBe(true);
  });

  it('keeps appending after a compaction', async () => {
    const topic = await newTopic();
    await produceMixed(topic, 3);
    const { topicId } = await brook.topics.get(topic);
    await compactor().compactPartition({ topicId }, 0);
    const next = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ value: 'after' }] } });
    expect(next.body.results[0].offset).toBe(8);
  });
});

describe('compactor: retention', () => {
  it('removes data older than retentionMs and moves the log start offset', async () => {
    const topic = await newTopic({ retentionMs: 60_000 });
    await produceMixed(topic, 6);
    const { topicId } = await brook.topics.get(topic);
    await compactor().compactPartition({ topicId }, 0);
    await produceMixed(topic, 2);
    const all = await readAll(topic);
    const t = await brook.topics.get(topic);

    await compactor({ now: () => Date.now() + 61_000 }).applyRetention(t, 0);

    const described = await brook.call({ method: 'GET', path: `/v1/topics/${topic}` });
    expect(described.body.partitions[0]).toEqual({ partition: 0, logStartOffset: all.length, highWatermark: all.length });
    const below = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '0' } });
    expect(below.status).toBe(416);
    expect(below.body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: all.length });
    expect(await logItems(topic)).toEqual([]);
    expect(await objectsUnder(`segments/${topicId}/`)).toEqual([]);
    expect(await objectsUnder(`batches/${topicId}/`)).toEqual([]);
  });

  it('finishes a retention that crashed after moving the log start', async () => {
    const topic = await newTopic({ retentionMs: 60_000 });
    await produceMixed(topic, 4);
    const t = await brook.topics.get(topic);
    const later = () => Date.now() + 61_000;
    const crashing = compactor({ now: later, afterStep: (step) => { if (step === 'start-advanced') throw new InjectedCrash(step); } });

    await expect(crashing.applyRetention(t, 0)).rejects.toThrow(InjectedCrash);
    const below = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '0' } });
    expect(below.status).toBe(416);
    expect((await logItems(topic)).length).toBeGreaterThan(0);
    await compactor({ now: later }).applyRetention(t, 0);

    expect(await logItems(topic)).toEqual([]);
    expect(await objectsUnder(`batches/${t.topicId}/`)).toEqual([]);
  });

  it('keeps data younger than retentionMs, and everything with -1', async () => {
    const young = await newTopic({ retentionMs: 60_000 });
    const forever = await newTopic({ retentionMs: -1 });
    await produceMixed(young, 2);
    await produceMixed(forever, 2);
    await compactor({ now: () => Date.now() + 30_000 }).applyRetention(await brook.topics.get(young), 0);
    await compactor({ now: () => Date.now() + 10 ** 12 }).applyRetention(await brook.topics.get(forever), 0);
    expect((await readAll(young)).length).toBe(6);
    expect((await readAll(forever)).length).toBe(6);
  });

  it('removes the oldest whole units past retentionBytes', async () => {
    const topic = await newTopic({ retentionMs: -1, retentionBytes: 60_000 });
    await produceMixed(topic, 7); // two S3 batches of about 53 KB among small ones; the newest is small
    const before = await readAll(topic);
    const t = await brook.topics.get(topic);

    await compactor().applyRetention(t, 0);

    const after = await readAll(topic);
    expect(after.length).toBeGreaterThan(0);
    expect(after.length).toBeLessThan(before.length);
    expect(after).toEqual(before.slice(before.length - after.length));
    const described = await brook.call({ method: 'GET', path: `/v1/topics/${topic}` });
    expect(described.body.partitions[0].logStartOffset).toBe(after[0]!.offset);
  });
});

describe('compactor: deleted topics', () => {
  it('removes every item and object of a deleted topic in the background', async () => {
    const topic = await newTopic({}, 2);
    await produceMixed(topic, 6);
    const { topicId } = await brook.topics.get(topic);
    await compactor().compactPartition({ topicId }, 0);
    await produceMixed(topic, 3);
    expect((await objectsUnder(`segments/${topicId}/`)).length + (await objectsUnder(`batches/${topicId}/`)).length).toBeGreaterThan(0);

    expect((await brook.call({ method: 'DELETE', path: `/v1/topics/${topic}` })).status).toBe(204);
    await compactor().runOnce();

    expect(await objectsUnder(`segments/${topicId}/`)).toEqual([]);
    expect(await objectsUnder(`batches/${topicId}/`)).toEqual([]);
    for (const partition of [0, 1]) {
      const result = await createDocumentClient(config).send(
        new QueryCommand({ TableName: config.tables.log, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': logPartitionKey(topicId, partition) } }),
      );
      expect(result.Items).toEqual([]);
    }
  });
});

describe('compactor: key-compacted topics', () => {
  async function produceKeyed(topic: string, records: { key: string; value: string | null }[]): Promise<void> {
    for (const record of records) {
      expect((await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [record] } })).status).toBe(200);
    }
  }

  it('keeps the newest record per key at its offset, and drops tombstones after the grace period', async () => {
    const topic = await newTopic({ cleanupPolicy: 'compact' });
    await produceKeyed(topic, [
      { key: 'a', value: 'a1' },
      { key: 'b', value: 'b1' },
      { key: 'a', value: 'a2' },
      { key: 'c', value: 'c1' },
      { key: 'b', value: null },
      { key: 'c', value: 'c2' },
    ]);
    const t = await brook.topics.get(topic);
    await compactor().compactPartition(t, 0);
    await produceKeyed(topic, [{ key: 'a', value: 'a3' }]); // newest of a, still in DynamoDB

    await compactor({ tombstoneGraceMs: 60_000 }).compactKeys(t, 0);
    const withTombstone = await readAll(topic);
    await compactor({ tombstoneGraceMs: 0, now: () => Date.now() + 1 }).compactKeys(t, 0);
    const compacted = await readAll(topic);

    expect(withTombstone.map((r) => [r.offset, r.key, r.value])).toEqual([
      [4, 'b', null],
      [5, 'c', 'c2'],
      [6, 'a', 'a3'],
    ]);
    expect(compacted.map((r) => [r.offset, r.key, r.value])).toEqual([
      [5, 'c', 'c2'],
      [6, 'a', 'a3'],
    ]);
    const page = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '0' } });
    expect(page.body.records[0].offset).toBe(5);
    expect(page.body.logStartOffset).toBe(0);
  });

  it('refuses a record without a key', async () => {
    const topic = await newTopic({ cleanupPolicy: 'compact' });
    const response = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ value: 'no key' }] } });
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('INVALID_RECORD');
  });
});
