/**
 * The round-trip budget of the hot routes (docs/design.md, "Round trips"):
 * each scenario below is one row of that table, run through the real
 * handlers on DynamoDB Local and the S3 emulator, with its storage calls
 * traced. A route whose calls in sequence grow past its row fails here; a
 * row without a scenario, or a scenario without a row, fails too.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { newStorageTrace, traceStorage, type StorageTrace } from '../../functions/storage/requestMeter.js';
import { encodeBatch, RECORD_BATCH_CONTENT_TYPE } from '../../protocol/recordBatch.js';
import type { ApiRequest, ApiResponse } from '../helpers/apiEvent.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { createTestConfig } from '../helpers/testConfig.js';

interface Budget {
  rounds: number;
  /** The row's first cell, e.g. "`POST /v1/topics/{topic}/records` (JSON)". */
  row: string;
}

/** The rows of the table under "### Round trips per route" in docs/design.md: first cell and round trips (second cell). */
function budgetTable(): Map<string, Budget> {
  const design = readFileSync(new URL('../../docs/design.md', import.meta.url), 'utf8');
  const section = design.split('### Round trips per route')[1]?.split(/\n#{2,3} /)[0];
  if (!section) throw new Error('docs/design.md has no "### Round trips per route" section');
  const rows = section.split('\n').filter((line) => line.startsWith('| `'));
  return new Map(
    rows.map((line) => {
      const [row, rounds] = line.split('|').slice(1, 3).map((cell) => cell.trim());
      return [row!, { row: row!, rounds: Number(rounds) }];
    }),
  );
}

let brook: BrookUnderTest;
const INLINE_LIMIT = 64 * 1024;

/** Sends `request` with its storage calls traced; fails on any answer but 2xx. */
async function traced(request: ApiRequest): Promise<{ response: ApiResponse; trace: StorageTrace }> {
  const trace = newStorageTrace();
  const response = await traceStorage(trace, () => brook.call(request));
  expect(response.status, JSON.stringify(response.body)).toBeLessThan(300);
  return { response, trace };
}

const records = (n: number, bytes = 100) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(bytes) }));

/** One scenario per row of the budget: the request measured runs last, on a warm handler that has seen the topic. */
const scenarios: Record<string, () => Promise<StorageTrace>> = {
  '`POST /v1/topics/{topic}/records` (JSON)': async () => {
    await brook.call({ method: 'POST', path: '/v1/topics/rt/records', body: { records: records(1) } });
    // Three partitions' appends run side by side; on a busy machine one may start its put after another's ended, which
    // the trace counts as one more in sequence. The lower of two runs is the route's own chain.
    const runs = [];
    for (let i = 0; i < 2; i++) runs.push((await traced({ method: 'POST', path: '/v1/topics/rt/records', body: { records: records(100) } })).trace);
    return runs.reduce((a, b) => (a.rounds <= b.rounds ? a : b));
  },
  '`POST /v1/topics/{topic}/records` (binary batch)': async () => {
    const batch = encodeBatch(records(100).map(({ key, value }) => ({ key: Buffer.from(key), value: Buffer.from(value), headers: [], timestamp: Date.now() })));
    const request = { method: 'POST', path: '/v1/topics/rt/records', query: { partition: '1' }, headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE }, binaryBody: batch };
    return (await traced(request)).trace;
  },
  '`POST /v1/topics/{topic}/records` (idempotent producer)': async () => {
    const producer = (await brook.call({ method: 'POST', path: '/v1/producers', body: {} })).body as { id: string; epoch: number };
    const body = { records: [{ value: 'a', partition: 2 }], producer: { ...producer, sequences: { 2: 0 } } };
    return (await traced({ method: 'POST', path: '/v1/topics/rt/records', body })).trace;
  },
  '`POST /v1/topics/{topic}/records` (batch over the inline limit, to S3)': async () => {
    // Random bytes: compression cannot bring them under the limit.
    const value = randomBytes(INLINE_LIMIT * 2).toString('base64');
    const body = { encoding: 'base64', records: [{ value, partition: 0 }] };
    const { trace } = await traced({ method: 'POST', path: '/v1/topics/rt/records', body });
    expect(trace.calls).toBe(5); // the key, the reads, the S3 PUT, the item, HEAD
    return trace;
  },
  '`POST /v1/topics/{topic}/records` (first request for the topic in this process)': async () => {
    await brook.call({ method: 'POST', path: '/v1/topics', body: { name: 'rt-cold', partitions: 2 } });
    // Another handler process made it: this one has never read it.
    const cold = await brookUnderTest(brook.config, { log: { inlineBatchMaxBytes: INLINE_LIMIT } });
    const trace = newStorageTrace();
    const response = await traceStorage(trace, () => cold.call({ method: 'POST', path: '/v1/topics/rt-cold/records', body: { records: records(10) } }));
    expect(response.status).toBe(200);
    return trace;
  },
  '`GET /v1/topics/{topic}/partitions/{p}/records`': async () => {
    // Partition 1: its batches are all in DynamoDB (partition 0 has one in S3, a GET more).
    return (await traced({ method: 'GET', path: '/v1/topics/rt/partitions/1/records', query: { offset: '0', maxRecords: '100' } })).trace;
  },
  '`POST /v1/fetch` (2 partitions)': async () => {
    const topics = [{ topic: 'rt', partitions: [1, 2].map((partition) => ({ partition, offset: 0 })) }];
    return (await traced({ method: 'POST', path: '/v1/fetch', body: { topics, maxRecordsPerPartition: 100 } })).trace;
  },
  '`GET /v1/topics/{topic}/partitions/{p}/offsets?at=latest`': async () => {
    return (await traced({ method: 'GET', path: '/v1/topics/rt/partitions/0/offsets', query: { at: 'latest' } })).trace;
  },
  '`GET /v1/topics/{topic}/partitions/{p}/offsets?at=<timestamp>`': async () => {
    // A partition of one batch: the search over batches is one step (log2 of the batches in general).
    await brook.call({ method: 'POST', path: '/v1/topics', body: { name: 'rt-time', partitions: 1 } });
    await brook.call({ method: 'POST', path: '/v1/topics/rt-time/records', body: { records: records(10) } });
    await brook.call({ method: 'GET', path: '/v1/topics/rt-time/partitions/0/offsets', query: { at: 'latest' } }); // seen by this process
    return (await traced({ method: 'GET', path: '/v1/topics/rt-time/partitions/0/offsets', query: { at: String(Date.now() - 60_000) } })).trace;
  },
  '`POST /v1/groups/{group}/members/{memberId}/heartbeat`': async () => {
    const joined = (await brook.call({ method: 'POST', path: '/v1/groups/rt-g/members', body: { topics: ['rt'] } })).body as { memberId: string; generation: number };
    return (await traced({ method: 'POST', path: `/v1/groups/rt-g/members/${joined.memberId}/heartbeat`, body: { generation: joined.generation } })).trace;
  },
  '`POST /v1/groups/{group}/offsets` (commit by a member)': async () => {
    const joined = (await brook.call({ method: 'POST', path: '/v1/groups/rt-c/members', body: { topics: ['rt'] } })).body as { memberId: string; generation: number };
    const body = { memberId: joined.memberId, generation: joined.generation, offsets: [{ topic: 'rt', partition: 0, offset: 1 }] };
    return (await traced({ method: 'POST', path: '/v1/groups/rt-c/offsets', body })).trace;
  },
};

describe('round trips per route (docs/design.md)', () => {
  const budgets = budgetTable();

  beforeAll(async () => {
    const config = await createTestConfig();
    brook = await brookUnderTest(config, { log: { inlineBatchMaxBytes: INLINE_LIMIT } });
    await brook.call({ method: 'POST', path: '/v1/topics', body: { name: 'rt', partitions: 3 } });
  });

  it('has a scenario for every row of the table, and a row for every scenario', () => {
    expect([...budgets.keys()].sort()).toEqual(Object.keys(scenarios).sort());
  });

  // In table order: the fetches read what the produces wrote.
  it.each(Object.keys(scenarios))('%s stays within its round trips', async (row) => {
    const budget = budgets.get(row);
    expect(budget, `docs/design.md has no row ${row}`).toBeDefined();
    const trace = await scenarios[row]!();
    console.info(`${row}: ${trace.rounds} round trips, ${trace.calls} calls`);
    expect(trace.rounds).toBeLessThanOrEqual(budget!.rounds);
    expect(trace.calls).toBeGreaterThan(0);
  });
});
