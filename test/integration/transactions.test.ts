/**
 * `POST /v1/transactions` against DynamoDB Local through the real handlers:
 * records on several topics and partitions and a group's commits become
 * visible together; concurrent transactions and plain appends on shared
 * partitions keep offsets dense and a long-polling reader never sees part of a
 * transaction; every refusal changes nothing; through storage faults (lost
 * answers included) an idempotent transaction is written exactly once.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { ALL_TOGETHER, readWholeLog, startFaultyStack, type FaultyStack } from '../helpers/faultyStack.js';
import { putTestKey } from '../helpers/keys.js';
import { createTestConfig } from '../helpers/testConfig.js';

let brook: BrookUnderTest;

beforeAll(async () => {
  const config = await createTestConfig();
  brook = await brookUnderTest(config, { log: { inlineBatchMaxBytes: 512 } });
  await putTestKey(config, 'writer-of-a', [{ resource: 'topic:tx-a*', operations: ['write'] }]);
});

async function newTopic(prefix: string, partitions: number): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name, partitions } })).status).toBe(201);
  return name;
}

async function records(topic: string, partition: number): Promise<{ offset: number; key: string | null; value: string }[]> {
  const page = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/${partition}/records`, query: { offset: '0', maxRecords: '10000' } });
  expect(page.status).toBe(200);
  return page.body.records;
}

async function highWatermarks(topic: string, partitions: number): Promise<number[]> {
  const marks: number[] = [];
  for (let p = 0; p < partitions; p++) {
    const page = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/${p}/records`, query: { offset: '0', maxRecords: '1' } });
    marks.push(page.body.highWatermark);
  }
  return marks;
}

function transaction(body: unknown, apiKey?: string) {
  return brook.call({ method: 'POST', path: '/v1/transactions', body, ...(apiKey ? { apiKey } : {}) });
}

describe('transactions', () => {
  it('writes records on several topics and partitions at once, answering offsets in request order', async () => {
    const a = await newTopic('tx-a', 3);
    const b = await newTopic('tx-b', 2);
    await brook.call({ method: 'POST', path: `/v1/topics/${a}/records`, body: { records: [{ value: 'plain', partition: 1 }] } });
    const big = 'x'.repeat(2_000); // over the inline limit: its batch goes to S3
    const response = await transaction({
      records: [
        { topic: a, partition: 1, value: 'a1-first' },
        { topic: b, partition: 0, value: 'b0' },
        { topic: a, partition: 1, value: 'a1-second' },
        { topic: a, partition: 2, value: big, headers: { h: 'v' } },
        { topic: b, key: 'k', value: 'keyed' },
      ],
    });
    expect(response.status, JSON.stringify(response.body)).toBe(200);
    const results = response.body.results as { topic: string; partition: number; offset: number }[];
    expect(results.slice(0, 4)).toEqual([
      { topic: a, partition: 1, offset: 1 },
      { topic: b, partition: 0, offset: 0 },
      { topic: a, partition: 1, offset: 2 },
      { topic: a, partition: 2, offset: 0 },
    ]);
    expect((await records(a, 1)).map((r) => r.value)).toEqual(['plain', 'a1-first', 'a1-second']);
    expect((await records(a, 2))[0]).toMatchObject({ offset: 0, value: big });
    const keyed = results[4]!;
    expect((await records(b, keyed.partition)).find((r) => r.offset === keyed.offset)).toMatchObject({ key: 'k', value: 'keyed' });
  });

  it('commits a group member\'s offsets with the records, fenced as a commit is', async () => {
    const input = await newTopic('tx-in', 1);
    const output = await newTopic('tx-out', 1);
    await brook.call({ method: 'POST', path: `/v1/topics/${input}/records`, body: { records: [{ value: 'i0' }, { value: 'i1' }] } });
    const group = `g-${randomBytes(3).toString('hex')}`;
    const joined = await brook.call({ method: 'POST', path: `/v1/groups/${group}/members`, body: { topics: [input] } });
    expect(joined.status).toBe(200);
    const { memberId, generation } = joined.body;
    const ok = await transaction({
      records: [{ topic: output, value: 'o0' }, { topic: output, value: 'o1' }],
      offsets: { group, memberId, generation, offsets: [{ topic: input, partition: 0, offset: 2 }] },
    });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    const committed = await brook.call({ method: 'GET', path: `/v1/groups/${group}/offsets` });
    expect(committed.body.offsets).toMatchObject([{ topic: input, partition: 0, offset: 2 }]);

    // A member that does not own the partition: refused, and nothing of the transaction is written.
    const fenced = await transaction({
      records: [{ topic: output, value: 'never' }],
      offsets: { group, memberId: 'm-0000000000000000', generation, offsets: [{ topic: input, partition: 0, offset: 1 }] },
    });
    expect(fenced.status).toBe(409);
    expect(fenced.body.error.code).toBe('FENCED_MEMBER');
    expect((await records(output, 0)).map((r) => r.value)).toEqual(['o0', 'o1']);
    expect((await brook.call({ method: 'GET', path: `/v1/groups/${group}/offsets` })).body.offsets[0].offset).toBe(2);
  });

  it('refusals change nothing: expected offsets, producer sequences, unknown topics, rights, DynamoDB limits', async () => {
    const a = await newTopic('tx-a', 2);
    const b = await newTopic('tx-b', 1);
    const before = async () => [...(await highWatermarks(a, 2)), ...(await highWatermarks(b, 1))];
    const start = await before();

    const mismatch = await transaction({ records: [{ topic: a, partition: 0, value: 'x' }, { topic: b, value: 'y' }], expectedOffsets: { [b]: { 0: 5 } } });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error).toMatchObject({ code: 'OFFSET_MISMATCH', highWatermark: 0 });

    const missing = await transaction({ records: [{ topic: a, partition: 0, value: 'x' }, { topic: 'tx-nobody', value: 'y' }] });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('TOPIC_NOT_FOUND');

    const forbidden = await transaction({ records: [{ topic: a, partition: 0, value: 'x' }, { topic: b, value: 'y' }] }, 'writer-of-a');
    expect(forbidden.status).toBe(403);

    const badPartition = await transaction({ records: [{ topic: a, partition: 0, value: 'x' }, { topic: b, partition: 3, value: 'y' }] });
    expect(badPartition.status).toBe(404);
    expect(badPartition.body.error.code).toBe('PARTITION_NOT_FOUND');

    const wide = await newTopic('tx-wide', 51);
    const tooMany = await transaction({ records: Array.from({ length: 51 }, (_, partition) => ({ topic: wide, partition, value: 'v' })) });
    expect(tooMany.status).toBe(413);
    expect(tooMany.body.error).toMatchObject({ code: 'REQUEST_TOO_LARGE', limit: 'items', items: 102 });
    expect(tooMany.body.error.message).toContain('at most 100');

    const twice = await transaction({
      records: [{ topic: a, partition: 0, value: 'x' }],
      offsets: { group: 'g-twice', memberId: 'm-0000000000000000', generation: 1, offsets: [{ topic: a, partition: 0, offset: 0 }, { topic: a, partition: 0, offset: 0 }] },
    });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toContain('appears twice');

    expect(await before()).toEqual(start);
    expect(await highWatermarks(wide, 51)).toEqual(Array(51).fill(0));
  });

  it("an idempotent producer's retry answers the original offsets and appends nothing; a sequence out of order is refused", async () => {
    const a = await newTopic('tx-a', 2);
    const producer = (await brook.call({ method: 'POST', path: '/v1/producers', body: {} })).body as { id: string; epoch: number };
    const body = {
      records: [{ topic: a, partition: 0, value: 'p0' }, { topic: a, partition: 1, value: 'p1' }, { topic: a, partition: 1, value: 'p1b' }],
      producer: { ...producer, sequences: { [a]: { 0: 0, 1: 0 } } },
    };
    const first = await transaction(body);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    const again = await transaction(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await highWatermarks(a, 2)).toEqual([1, 2]);

    const gap = await transaction({ records: [{ topic: a, partition: 0, value: 'gap' }, { topic: a, partition: 1, value: 'ok' }], producer: { ...producer, sequences: { [a]: { 0: 5, 1: 2 } } } });
    expect(gap.status).toBe(409);
    expect(gap.body.error.code).toBe('OUT_OF_ORDER_SEQUENCE');
    expect(await highWatermarks(a, 2)).toEqual([1, 2]);

    const next = await transaction({ records: [{ topic: a, partition: 0, value: 'n0' }, { topic: a, partition: 1, value: 'n1' }], producer: { ...producer, sequences: { [a]: { 0: 1, 1: 2 } } } });
    expect(next.status).toBe(200);
    expect(await highWatermarks(a, 2)).toEqual([2, 3]);
  });

  it('concurrent transactions and plain appends on shared partitions: dense offsets, and a long-polling reader never sees part of a transaction', async () => {
    const topic = await newTopic('tx-shared', 3);
    const TRANSACTIONS = 6;
    const ROUNDS = 4;
    const seen = new Map<string, Set<number>>(); // transaction id -> partitions seen so far
    let reading = true;
    const partial: string[] = [];
    const reader = (async () => {
      const positions = [0, 0, 0];
      while (reading) {
        const response = await brook.call({
          method: 'POST',
          path: '/v1/fetch',
          body: { waitMs: 200, topics: [{ topic, partitions: positions.map((offset, partition) => ({ partition, offset })) }] },
        });
        expect(response.status, JSON.stringify(response.body)).toBe(200);
        for (const part of response.body.results as { partition: number; records: { offset: number; value: string }[]; nextOffset: number }[]) {
          for (const record of part.records) {
            const [kind, id] = record.value.split(':');
            if (kind === 'tx') (seen.get(id!) ?? seen.set(id!, new Set()).get(id!)!).add(part.partition);
          }
          positions[part.partition] = part.nextOffset;
        }
        // Every transaction writes all three partitions: one read of all three sees all of it or none of it.
        for (const [id, partitions] of seen) if (partitions.size !== 3) partial.push(`${id} seen on ${[...partitions]}`);
      }
    })();
    const writers = Array.from({ length: TRANSACTIONS }, async (_, w) => {
      for (let round = 0; round < ROUNDS; round++) {
        const id = `${w}.${round}`;
        let tx = await transaction({ records: [0, 1, 2].map((partition) => ({ topic, partition, value: `tx:${id}` })) });
        // Too contended for now (503 UNAVAILABLE): nothing was written, and a client tries again.
        while (tx.status === 503 && tx.body.error.code === 'UNAVAILABLE') tx = await transaction({ records: [0, 1, 2].map((partition) => ({ topic, partition, value: `tx:${id}` })) });
        expect(tx.status, JSON.stringify(tx.body)).toBe(200);
        const plain = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ partition: round % 3, value: `plain:${id}` }] } });
        expect(plain.status).toBe(200);
      }
    });
    await Promise.all(writers);
    await new Promise((resolve) => setTimeout(resolve, 400));
    reading = false;
    await reader;
    expect(partial).toEqual([]);
    for (let partition = 0; partition < 3; partition++) {
      const log = await records(topic, partition);
      expect(log.map((r) => r.offset)).toEqual(log.map((_, i) => i));
      expect(log.filter((r) => r.value.startsWith('tx:'))).toHaveLength(TRANSACTIONS * ROUNDS);
      expect(new Set(log.map((r) => r.value)).size).toBe(log.length);
    }
  });
});

describe('transactions through storage faults', () => {
  let stack: FaultyStack;
  beforeAll(async () => {
    stack = await startFaultyStack('brook-tx', { dynamodb: 41, s3: 43 });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('a transaction whose answer was lost is written once and answered with its offsets', async () => {
    const topic = 'tx-lost';
    expect((await stack.brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 2 } })).status).toBe(201);
    stack.dynamo.setRules([{ operation: 'TransactWriteItems', nth: 1, action: { kind: 'lostAnswer' } }]);
    let answer;
    try {
      answer = await stack.brook.call({ method: 'POST', path: '/v1/transactions', body: { records: [{ topic, partition: 0, value: 'a' }, { topic, partition: 1, value: 'b' }] } });
    } finally {
      stack.dynamo.setRules([]);
    }
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.results).toEqual([{ topic, partition: 0, offset: 0 }, { topic, partition: 1, offset: 0 }]);
    expect((await readWholeLog(stack.brook, topic, 2)).map((r) => r.value).sort()).toEqual(['a', 'b']);
  });

  it('idempotent transactions retried through every fault: each written exactly once, offsets dense', { timeout: 120_000 }, async () => {
    const topic = 'tx-faults';
    const WRITERS = 3;
    const TRANSACTIONS = 5;
    expect((await stack.brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 3 } })).status).toBe(201);
    const acknowledged: { value: string; partition: number; offset: number }[] = [];
    const statuses: number[] = [];
    stack.setFaults(ALL_TOGETHER);
    try {
      await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          let producer: { id: string; epoch: number } | undefined;
          while (!producer) {
            const registered = await stack.brook.call({ method: 'POST', path: '/v1/producers', body: {} });
            if (registered.status === 200) producer = registered.body;
          }
          for (let t = 0; t < TRANSACTIONS; t++) {
            const records = [0, 1, 2].map((partition) => ({ topic, partition, value: `w${w}/t${t}/p${partition}` }));
            const body = { records, producer: { ...producer, sequences: { [topic]: { 0: t, 1: t, 2: t } } } };
            for (;;) {
              const answer = await stack.brook.call({ method: 'POST', path: '/v1/transactions', body }).catch(() => undefined);
              if (answer) statuses.push(answer.status);
              if (answer?.status === 200) {
                (answer.body.results as { partition: number; offset: number }[]).forEach((r, i) => acknowledged.push({ value: records[i]!.value, ...r }));
                break;
              }
              expect(answer === undefined || answer.body.error.retriable, JSON.stringify(answer?.body)).toBe(true);
            }
          }
        }),
      );
    } finally {
      stack.setFaults({ dynamodb: [], s3: [] });
    }
    const log = await readWholeLog(stack.brook, topic, 3);
    expect(log).toHaveLength(WRITERS * TRANSACTIONS * 3);
    expect(new Set(log.map((r) => r.value)).size).toBe(log.length);
    for (let partition = 0; partition < 3; partition++) {
      const offsets = log.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    for (const ack of acknowledged) expect(log).toContainEqual({ partition: ack.partition, offset: ack.offset, value: ack.value });
    expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
  });
});
