import { randomBytes } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '../../functions/storage/clients.js';
import { logPartitionKey } from '../../functions/layout/tables.js';
import { partitionForKey } from '../../protocol/partitioner.js';
import { encodeBatch, RECORD_BATCH_CONTENT_TYPE } from '../../protocol/recordBatch.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { putTestKey } from '../helpers/keys.js';
import { createTestConfig } from '../helpers/testConfig.js';

let brook: BrookUnderTest;
let topicCounter = 0;

async function newTopic(partitions = 1, config: Record<string, unknown> = {}): Promise<string> {
  const name = `log-${++topicCounter}-${randomBytes(3).toString('hex')}`;
  const created = await brook.call({ method: 'POST', path: '/v1/topics', body: { name, partitions, config } });
  expect(created.status).toBe(201);
  return name;
}

const produce = (topic: string, body: unknown) => brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body });
const fetchRecords = (topic: string, partition: number, query: Record<string, string> = {}) =>
  brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/${partition}/records`, query });

beforeAll(async () => {
  brook = await brookUnderTest(await createTestConfig());
});

describe('produce and fetch: round trips', () => {
  it('returns keys, values and headers as sent, with offsets in request order', async () => {
    const topic = await newTopic();
    const produced = await produce(topic, {
      records: [
        { key: 'k1', value: 'plain text', headers: { h: 'v' }, timestamp: 1_700_000_000_000 },
        { key: 'k2', value: { any: ['json', 1, true] } },
        { value: 42 },
        { key: 'k4', value: null },
        { key: 'ünïcødé ✓', value: 'emoji 🎉' },
      ],
    });

    expect(produced.status).toBe(200);
    expect(produced.body.results).toEqual([0, 1, 2, 3, 4].map((offset) => ({ partition: 0, offset })));
    const fetched = await fetchRecords(topic, 0);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toMatchObject({ topic, partition: 0, nextOffset: 5, highWatermark: 5, logStartOffset: 0 });
    expect(fetched.body.records.map((r: { key: unknown; value: unknown; headers: unknown }) => [r.key, r.value, r.headers])).toEqual([
      ['k1', 'plain text', { h: 'v' }],
      ['k2', '{"any":["json",1,true]}', {}],
      [null, '42', {}],
      ['k4', null, {}],
      ['ünïcødé ✓', 'emoji 🎉', {}],
    ]);
    expect(fetched.body.records[0].timestamp).toBe(1_700_000_000_000);
    expect(fetched.body.records[1].timestamp).toBeGreaterThan(1_700_000_000_000);
  });

  it('keeps binary bytes exact through base64', async () => {
    const topic = await newTopic();
    const bytes = Array.from({ length: 5 }, () => randomBytes(1 + Math.floor(Math.random() * 300)));
    await produce(topic, {
      encoding: 'base64',
      records: bytes.map((b, i) => ({ key: b.toString('base64'), value: b.toString('base64'), headers: { raw: bytes[(i + 1) % 5]!.toString('base64') } })),
    });

    const fetched = await fetchRecords(topic, 0, { encoding: 'base64' });

    fetched.body.records.forEach((record: { key: string; value: string; headers: Record<string, string> }, i: number) => {
      expect(Buffer.from(record.key, 'base64').equals(bytes[i]!)).toBe(true);
      expect(Buffer.from(record.value, 'base64').equals(bytes[i]!)).toBe(true);
      expect(Buffer.from(record.headers.raw!, 'base64').equals(bytes[(i + 1) % 5]!)).toBe(true);
    });
  });

  it('answers a record that is not valid UTF-8 in base64, marked, when fetching as utf8 (the default); valid records unmarked', async () => {
    // Prepare: a bad value, a bad header value only (in a binary batch), and good UTF-8 around them
    const topic = await newTopic();
    const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');
    const badValue = Buffer.from([0x61, 0xff, 0x62]);
    const badHeader = Buffer.from([0xc3, 0x28]);
    await produce(topic, {
      encoding: 'base64',
      records: [
        { key: b64('k-ok'), value: b64('ünïcødé ✓'), headers: { h: b64('v') } },
        { key: b64('k-bad'), value: b64(badValue), headers: { h: b64('v') } },
      ],
    });
    const batch = encodeBatch([{ key: null, value: Buffer.from('text'), headers: [{ name: 'raw', value: badHeader }, { name: 'ok', value: Buffer.from('yes') }], timestamp: 1000 }]);
    const appended = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, query: { partition: '0' }, headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE }, binaryBody: batch });
    expect(appended.status).toBe(200);

    // Act
    const one = await fetchRecords(topic, 0);
    const many = await brook.call({ method: 'POST', path: '/v1/fetch', body: { topics: [{ topic, partitions: [{ partition: 0, offset: 0 }] }] } });
    const asBase64 = await fetchRecords(topic, 0, { encoding: 'base64' });

    // Assess
    expect(many.status).toBe(200);
    for (const records of [one.body.records, many.body.results[0].records]) {
      expect(records[0]).toEqual({ offset: 0, timestamp: expect.any(Number), key: 'k-ok', value: 'ünïcødé ✓', headers: { h: 'v' } });
      expect(records[0]).not.toHaveProperty('encoding');
      expect(records[1]).toEqual({ offset: 1, timestamp: expect.any(Number), key: b64('k-bad'), value: b64(badValue), headers: { h: b64('v') }, encoding: 'base64' });
      expect(Buffer.from(records[1].value, 'base64').equals(badValue)).toBe(true);
      expect(records[2]).toEqual({ offset: 2, timestamp: 1000, key: null, value: b64('text'), headers: { raw: b64(badHeader), ok: b64('yes') }, encoding: 'base64' });
      expect(Buffer.from(records[2].headers.raw, 'base64').equals(badHeader)).toBe(true);
    }
    // Asked for base64, every record is base64 and none is marked.
    expect(asBase64.body.records.map((r: { value: string; encoding?: string }) => [r.value, r.encoding])).toEqual([
      [b64('ünïcødé ✓'), undefined],
      [b64(badValue), undefined],
      [b64('text'), undefined],
    ]);
  });

  it('places keyed records with Kafka\'s partitioner and keyless records of one request together', async () => {
    const topic = await newTopic(6);
    const keys = ['alpha', 'beta', 'gamma', 'delta', 'epsilon'];
    const produced = await produce(topic, { records: [...keys.map((key) => ({ key, value: key })), { value: 'x' }, { value: 'y' }, { value: 'z', partition: 5 }] });

    const partitions = produced.body.results.map((r: { partition: number }) => r.partition);
    expect(partitions.slice(0, 5)).toEqual(keys.map((key) => partitionForKey(Buffer.from(key), 6)));
    expect(partitions[5]).toBe(partitions[6]);
    expect(partitions[7]).toBe(5);
  });

  it('spreads keyless requests across partitions round-robin', async () => {
    const topic = await newTopic(3);
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) seen.add((await produce(topic, { records: [{ value: i }] })).body.results[0].partition);
    expect(seen.size).toBe(3);
  });

  it('appends a binary batch as it came, with its own timestamps', async () => {
    const topic = await newTopic(2);
    const batch = encodeBatch(
      [
        { key: Buffer.from('b1'), value: Buffer.from([0, 1, 2]), headers: [{ name: 'h', value: Buffer.from('x') }], timestamp: 1000 },
        { key: null, value: Buffer.from('two'), headers: [], timestamp: 2000 },
      ],
      { compression: 'gzip' },
    );

    const produced = await brook.call({
      method: 'POST',
      path: `/v1/topics/${topic}/records`,
      query: { partition: '1' },
      headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE },
      binaryBody: batch,
    });

    expect(produced.status).toBe(200);
    expect(produced.body.results).toEqual([{ partition: 1, offset: 0 }, { partition: 1, offset: 1 }]);
    const fetched = await fetchRecords(topic, 1, { encoding: 'base64' });
    expect(fetched.body.records.map((r: { timestamp: number }) => r.timestamp)).toEqual([1000, 2000]);
    expect(Buffer.from(fetched.body.records[0].value, 'base64')).toEqual(Buffer.from([0, 1, 2]));
  });

  it('refuses a corrupt binary batch, and one without a partition', async () => {
    const topic = await newTopic();
    const batch = Buffer.from(encodeBatch([{ key: null, value: Buffer.from('v'), headers: [], timestamp: 1 }]));
    batch[batch.length - 1]! ^= 0xff;
    const headers = { 'content-type': RECORD_BATCH_CONTENT_TYPE };

    const corrupt = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, query: { partition: '0' }, headers, binaryBody: batch });
    const noPartition = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, headers, binaryBody: batch });

    expect(corrupt.status).toBe(400);
    expect(corrupt.body.error.code).toBe('INVALID_RECORD');
    expect(noPartition.body.error.code).toBe('INVALID_REQUEST');
    expect((await fetchRecords(topic, 0)).body.highWatermark).toBe(0);
  });

  it('stores a batch over the inline limit in S3 and reads it back the same', async () => {
    const topic = await newTopic(1, { maxMessageBytes: 4_194_304 });
    const big = randomBytes(600_000).toString('base64'); // 800 KB of text: one batch over DynamoDB's item limit
    const produced = await produce(topic, { records: [{ key: 'big', value: big }, { key: 'small', value: 'after' }] });

    expect(produced.status).toBe(200);
    const fetched = await fetchRecords(topic, 0);
    expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual([big, 'after']);
    const next = await produce(topic, { records: [{ value: 'inline again' }] });
    expect(next.body.results[0].offset).toBe(2);
  });

  it('reads from any offset, page by page, within maxRecords and maxBytes', async () => {
    const topic = await newTopic();
    for (let i = 0; i < 6; i++) {
      await produce(topic, { records: Array.from({ length: 5 }, (_, j) => ({ value: `${i * 5 + j}`.padStart(10, '0') })) });
    }
    const page = await fetchRecords(topic, 0, { offset: '7', maxRecords: '9' });
    expect(page.body.records.map((r: { offset: number }) => r.offset)).toEqual([7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(page.body.nextOffset).toBe(16);
    const bytes = await fetchRecords(topic, 0, { offset: '3', maxBytes: '25' });
    expect(bytes.body.records.map((r: { offset: number }) => r.offset)).toEqual([3, 4]);
    const atLeastOne = await fetchRecords(topic, 0, { offset: '29', maxBytes: '1' });
    expect(atLeastOne.body.records.map((r: { value: string }) => r.value)).toEqual(['0000000029']);
    expect(atLeastOne.body.nextOffset).toBe(30);
    const atEnd = await fetchRecords(topic, 0, { offset: '30' });
    expect(atEnd.body).toMatchObject({ records: [], nextOffset: 30, highWatermark: 30 });
  });

  it('answers 416 OFFSET_OUT_OF_RANGE past the high watermark, with the range', async () => {
    const topic = await newTopic();
    await produce(topic, { records: [{ value: 'a' }, { value: 'b' }] });
    const response = await fetchRecords(topic, 0, { offset: '3' });
    expect(response.status).toBe(416);
    expect(response.body.error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', logStartOffset: 0, highWatermark: 2, retriable: false });
  });

  it('finds offsets by time: earliest, latest and the first record at or after a timestamp', async () => {
    const topic = await newTopic();
    await produce(topic, { records: [{ value: 'a', timestamp: 1000 }, { value: 'b', timestamp: 3000 }] });
    await produce(topic, { records: [{ value: 'c', timestamp: 2000 }, { value: 'd', timestamp: 5000 }] });
    await produce(topic, { records: [{ value: 'e', timestamp: 4000 }] });
    const at = async (value: string) =>
      (await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/offsets`, query: { at: value } })).body.offset;

    expect(await at('earliest')).toBe(0);
    expect(await at('latest')).toBe(5);
    expect(await at('0')).toBe(0);
    expect(await at('1001')).toBe(1);
    expect(await at('3000')).toBe(1);
    expect(await at('3001')).toBe(3);
    expect(await at('4500')).toBe(3);
    expect(await at('5001')).toBe(5);
  });
});

describe('fetch: long-poll and many partitions', () => {
  it('waits for data and answers as soon as it is appended', async () => {
    const topic = await newTopic();
    const started = Date.now();
    const waiting = fetchRecords(topic, 0, { offset: '0', waitMs: '5000' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await produce(topic, { records: [{ value: 'wake up' }] });

    const response = await waiting;

    expect(response.body.records.map((r: { value: string }) => r.value)).toEqual(['wake up']);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('gives up after waitMs with no records', async () => {
    const topic = await newTopic();
    const started = Date.now();
    const response = await fetchRecords(topic, 0, { waitMs: '400' });
    expect(response.body.records).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
  });

  it('keeps a fetch of many partitions within maxBytes: one budget, at least one record while some is left', async () => {
    const topic = await newTopic(3);
    const value = 'v'.repeat(600);
    await produce(topic, { records: [0, 1, 2].flatMap((partition) => [{ value, partition }, { value, partition }]) });
    const response = await brook.call({
      method: 'POST',
      path: '/v1/fetch',
      body: { topics: [{ topic, partitions: [0, 1, 2].map((partition) => ({ partition, offset: 0 })) }], maxBytes: 1000 },
    });
    expect(response.status).toBe(200);
    const results = response.body.results as { partition: number; records: { offset: number }[]; nextOffset: number }[];
    // 600 bytes a record: partition 0's first fits (400 left) and its second would not; partition 1 still gets one,
    // as some budget was left; then it is spent, and partition 2 is left for the next fetch.
    expect(results.map((r) => [r.partition, r.records.length, r.nextOffset])).toEqual([
      [0, 1, 1],
      [1, 1, 1],
      [2, 0, 0],
    ]);
  });

  it('fetches many partitions in one call, with per-partition errors', async () => {
    const a = await newTopic(2);
    await produce(a, { records: [{ value: 'p0', partition: 0 }, { value: 'p1', partition: 1 }, { value: 'p1b', partition: 1 }] });

    const response = await brook.call({
      method: 'POST',
      path: '/v1/fetch',
      body: {
        topics: [
          { topic: 'no-such-topic', partitions: [{ partition: 0 }] },
          { topic: a, partitions: [{ partition: 0, offset: 0 }, { partition: 1, offset: 1 }, { partition: 7, offset: 0 }] },
        ],
      },
    });

    expect(response.status).toBe(200);
    const results = response.body.results;
    expect(results[0]).toMatchObject({ topic: 'no-such-topic', partition: 0, error: { code: 'TOPIC_NOT_FOUND' } });
    expect(results[1]).toMatchObject({ topic: a, partition: 0, nextOffset: 1, highWatermark: 1 });
    expect(results[1].records.map((r: { value: string }) => r.value)).toEqual(['p0']);
    expect(results[2].records.map((r: { value: string }) => r.value)).toEqual(['p1b']);
    expect(results[3]).toMatchObject({ topic: a, partition: 7, error: { code: 'PARTITION_NOT_FOUND' } });
  });
});

describe('produce: conditional and idempotent', () => {
  it('appends only at the expected offset, else 409 OFFSET_MISMATCH with the high watermark', async () => {
    const topic = await newTopic();
    await produce(topic, { records: [{ value: 'first' }], expectedOffsets: { '0': 0 } });

    const stale = await produce(topic, { records: [{ value: 'late' }], expectedOffsets: { '0': 0 } });
    const fresh = await produce(topic, { records: [{ value: 'second' }], expectedOffsets: { '0': 1 } });

    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'OFFSET_MISMATCH', highWatermark: 1 });
    expect(fresh.body.results).toEqual([{ partition: 0, offset: 1 }]);
    expect((await fetchRecords(topic, 0)).body.records.map((r: { value: string }) => r.value)).toEqual(['first', 'second']);
  });

  it('answers 207 when one partition fails and another succeeds', async () => {
    const topic = await newTopic(2);
    const response = await produce(topic, {
      records: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }],
      expectedOffsets: { '0': 5 },
    });
    expect(response.status).toBe(207);
    expect(response.body.results[0]).toMatchObject({ partition: 0, error: { code: 'OFFSET_MISMATCH', highWatermark: 0 } });
    expect(response.body.results[1]).toEqual({ partition: 1, offset: 0 });
  });

  it('returns the original offsets for a retried batch and appends nothing', async () => {
    const topic = await newTopic();
    const { body: producer } = await brook.call({ method: 'POST', path: '/v1/producers' });
    expect(producer).toEqual({ id: expect.stringMatching(/^[1-9][0-9]*$/), epoch: 0 });

    const request = { records: [{ value: 'once' }, { value: 'twice?' }], producer: { ...producer, sequences: { '0': 0 } } };
    const first = await produce(topic, request);
    const retry = await produce(topic, request);
    const next = await produce(topic, { records: [{ value: 'next' }], producer: { ...producer, sequences: { '0': 2 } } });

    expect(retry.status).toBe(200);
    expect(retry.body.results).toEqual(first.body.results);
    expect(next.body.results).toEqual([{ partition: 0, offset: 2 }]);
    expect((await fetchRecords(topic, 0)).body.highWatermark).toBe(3);
  });

  it('refuses a sequence gap with 409 OUT_OF_ORDER_SEQUENCE', async () => {
    const topic = await newTopic();
    const { body: producer } = await brook.call({ method: 'POST', path: '/v1/producers' });
    await produce(topic, { records: [{ value: 'a' }], producer: { ...producer, sequences: { '0': 0 } } });
    const gap = await produce(topic, { records: [{ value: 'c' }], producer: { ...producer, sequences: { '0': 2 } } });
    expect(gap.status).toBe(409);
    expect(gap.body.error.code).toBe('OUT_OF_ORDER_SEQUENCE');
  });

  it('fences the old epoch when a producer registers again', async () => {
    const topic = await newTopic();
    const { body: old } = await brook.call({ method: 'POST', path: '/v1/producers' });
    await produce(topic, { records: [{ value: 'a' }], producer: { ...old, sequences: { '0': 0 } } });
    const { body: renewed } = await brook.call({ method: 'POST', path: '/v1/producers', body: { id: old.id } });

    const zombie = await produce(topic, { records: [{ value: 'zombie' }], producer: { ...old, sequences: { '0': 1 } } });
    const fresh = await produce(topic, { records: [{ value: 'b' }], producer: { ...renewed, sequences: { '0': 0 } } });

    expect(renewed).toEqual({ id: old.id, epoch: 1 });
    expect(zombie.status).toBe(409);
    expect(zombie.body.error.code).toBe('PRODUCER_FENCED');
    expect(fresh.body.results).toEqual([{ partition: 0, offset: 1 }]);
  });

  it('refuses an unknown producer with 409 UNKNOWN_PRODUCER', async () => {
    const topic = await newTopic();
    const response = await produce(topic, { records: [{ value: 'a' }], producer: { id: '123456789', epoch: 0, sequences: { '0': 0 } } });
    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('UNKNOWN_PRODUCER');
  });
});

describe('the log under faults and contention', () => {
  it('commits a batch whose append stopped after its put, and the next append follows it', async () => {
    const topic = await newTopic();
    await produce(topic, { records: [{ value: 'a' }] });
    const { topicId } = await brook.topics.get(topic);
    // What an append that crashed between its two steps leaves: a batch at the high watermark, HEAD not moved.
    const orphan = encodeBatch([{ key: null, value: Buffer.from('crashed'), headers: [], timestamp: 1 }], { baseOffset: 1 });
    await createDocumentClient(brook.config).send(
      new PutCommand({ TableName: brook.config.tables.log, Item: { pk: logPartitionKey(topicId, 0), sk: 1, c: 1, t: Date.now(), m: 1, b: orphan } }),
    );
    expect((await fetchRecords(topic, 0)).body.records.map((r: { value: string }) => r.value)).toEqual(['a']);

    const next = await produce(topic, { records: [{ value: 'b' }] });

    expect(next.body.results).toEqual([{ partition: 0, offset: 2 }]);
    expect((await fetchRecords(topic, 0)).body.records.map((r: { value: string }) => r.value)).toEqual(['a', 'crashed', 'b']);
  });

  it('an idempotent retry of a crashed append appends nothing twice', async () => {
    const topic = await newTopic();
    const { body: producer } = await brook.call({ method: 'POST', path: '/v1/producers' });
    const { topicId } = await brook.topics.get(topic);
    const records = [{ key: null, value: Buffer.from('once'), headers: [], timestamp: 5 }];
    const orphan = encodeBatch(records, { producer: { producerId: Number(producer.id), producerEpoch: 0, baseSequence: 0 } });
    await createDocumentClient(brook.config).send(
      new PutCommand({
        TableName: brook.config.tables.log,
        Item: { pk: logPartitionKey(topicId, 0), sk: 0, c: 1, t: Date.now(), m: 5, b: orphan, p: [producer.id, 0, 0] },
      }),
    );

    const retry = await produce(topic, { records: [{ value: 'once', timestamp: 5 }], producer: { ...producer, sequences: { '0': 0 } } });

    expect(retry.body.results).toEqual([{ partition: 0, offset: 0 }]);
    const fetched = await fetchRecords(topic, 0);
    expect(fetched.body.highWatermark).toBe(1);
    expect(fetched.body.records.map((r: { value: string }) => r.value)).toEqual(['once']);
  });

  it('gives dense, unique offsets to 20 concurrent producers on one partition, each acked record present once', async () => {
    const topic = await newTopic();
    const producers = 20;
    const requestsEach = 20;
    const acked = new Map<number, string>();
    let retries = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: producers }, async (_, p) => {
        for (let r = 0; r < requestsEach; r++) {
          const values = [`${p}-${r}-a`, `${p}-${r}-b`];
          let response = await produce(topic, { records: values.map((value) => ({ value })) });
          // As any client does, retry what the server calls retriable (here: a partition too contended to append to).
          for (let retry = 0; retry < 5 && response.body.error?.retriable; retry++) {
            retries++;
            response = await produce(topic, { records: values.map((value) => ({ value })) });
          }
          expect(response.status, JSON.stringify(response.body)).toBe(200);
          response.body.results.forEach(({ offset }: { offset: number }, i: number) => {
            expect(acked.has(offset)).toBe(false);
            acked.set(offset, values[i]!);
          });
        }
      }),
    );

    console.info(`${producers} x ${requestsEach} appends on one partition: ${Date.now() - started} ms, ${retries} retries`);
    const total = producers * requestsEach * 2;
    expect([...acked.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    const seen: string[] = [];
    for (let offset = 0; offset < total; ) {
      const page = await fetchRecords(topic, 0, { offset: String(offset), maxRecords: '10000', maxBytes: '4194304' });
      for (const record of page.body.records) {
        expect(record.value).toBe(acked.get(record.offset));
        seen.push(record.value);
      }
      offset = page.body.nextOffset;
    }
    expect(new Set(seen).size).toBe(total);
  }, 300_000);
});

describe('produce and fetch: bad input gets the contract\'s code', () => {
  it.each([
    ['no records', { records: [] }, 400, 'INVALID_REQUEST'],
    ['records not an array', { records: {} }, 400, 'INVALID_REQUEST'],
    ['a key that is a number', { records: [{ key: 5, value: 'x' }] }, 400, 'INVALID_RECORD'],
    ['a header that is not a string', { records: [{ value: 'x', headers: { h: 1 } }] }, 400, 'INVALID_RECORD'],
    ['a negative timestamp', { records: [{ value: 'x', timestamp: -1 }] }, 400, 'INVALID_RECORD'],
    ['an unknown record field', { records: [{ value: 'x', colour: 'red' }] }, 400, 'INVALID_RECORD'],
    ['bad base64', { encoding: 'base64', records: [{ value: 'not base64!' }] }, 400, 'INVALID_RECORD'],
    ['an object value with base64', { encoding: 'base64', records: [{ value: { a: 1 } }] }, 400, 'INVALID_RECORD'],
    ['an unknown encoding', { encoding: 'latin1', records: [{ value: 'x' }] }, 400, 'INVALID_REQUEST'],
    ['an unknown partition', { records: [{ value: 'x', partition: 3 }] }, 404, 'PARTITION_NOT_FOUND'],
    ['a negative expected offset', { records: [{ value: 'x' }], expectedOffsets: { '0': -1 } }, 400, 'INVALID_OFFSET'],
    ['a record over maxMessageBytes', { records: [{ value: 'x'.repeat(2049) }] }, 413, 'RECORD_TOO_LARGE'],
    ['a producer without sequences for its partition', { records: [{ value: 'x' }], producer: { id: '42', epoch: 0, sequences: {} } }, 400, 'INVALID_REQUEST'],
  ])('refuses %s whole', async (_label, body, status, code) => {
    const topic = await newTopic(2, { maxMessageBytes: 2048 });
    const records = (body as { records?: unknown }).records;
    // A good record for partition 1 rides along: the whole request must be refused, so it must not land.
    const withGoodRecord = Array.isArray(records) && records.length > 0 ? { ...body, records: [{ value: 'fine', partition: 1 }, ...records] } : body;

    const response = await produce(topic, withGoodRecord);

    expect(response.status).toBe(status);
    expect(response.body.error.code).toBe(code);
    const described = await brook.call({ method: 'GET', path: `/v1/topics/${topic}` });
    expect(described.body.partitions.map((p: { highWatermark: number }) => p.highWatermark)).toEqual([0, 0]);
  });

  it('answers a kafkajs-style {"messages": [...]} with 400 INVALID_REQUEST naming the records field, and any missing field as such', async () => {
    const topic = await newTopic();

    const kafkajs = await produce(topic, { messages: [{ key: 'k', value: 'v' }] });
    const empty = await produce(topic, {});
    const fetchWithoutPartitions = await brook.call({ method: 'POST', path: '/v1/fetch', body: { topics: [{ topic }] } });

    expect(kafkajs.status).toBe(400);
    expect(kafkajs.body).toEqual({ error: { code: 'INVALID_REQUEST', message: 'missing field records (this API calls them records, not messages)', retriable: false } });
    expect(empty.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'missing field records' });
    expect(fetchWithoutPartitions.body.error).toMatchObject({ code: 'INVALID_REQUEST', message: 'missing field topics.0.partitions' });
    expect((await fetchRecords(topic, 0)).body.highWatermark).toBe(0);
  });

  it('answers 404 TOPIC_NOT_FOUND for produce and fetch on a missing topic', async () => {
    expect((await produce('missing-topic', { records: [{ value: 'x' }] })).body.error.code).toBe('TOPIC_NOT_FOUND');
    expect((await fetchRecords('missing-topic', 0)).body.error.code).toBe('TOPIC_NOT_FOUND');
  });

  it.each([
    [{ offset: '-1' }, 'INVALID_OFFSET'],
    [{ offset: 'abc' }, 'INVALID_OFFSET'],
    [{ maxRecords: '0' }, 'INVALID_REQUEST'],
    [{ waitMs: '20001' }, 'INVALID_REQUEST'],
    [{ encoding: 'hex' }, 'INVALID_REQUEST'],
  ])('refuses fetch query %j with 400 %s', async (query, code) => {
    const topic = await newTopic();
    const response = await fetchRecords(topic, 0, query);
    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe(code);
  });

  it('answers PARTITION_NOT_FOUND for a partition past the count, and 400 for one that is not a number', async () => {
    const topic = await newTopic(2);
    expect((await fetchRecords(topic, 2)).body.error.code).toBe('PARTITION_NOT_FOUND');
    const bad = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/x/records` });
    expect(bad.status).toBe(400);
  });

  it('refuses a key without write with 403, and appends nothing', async () => {
    const topic = await newTopic();
    const reader = 'reader-key-for-log-test';
    await putTestKey(brook.config, reader, [{ resource: `topic:${topic}`, operations: ['read'] }]);

    const denied = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, apiKey: reader, body: { records: [{ value: 'x' }] } });
    const allowed = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, apiKey: reader });

    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe('FORBIDDEN');
    expect(allowed.status).toBe(200);
    expect(allowed.body.highWatermark).toBe(0);
  });
});
