/**
 * The SDK's transactions with a fake fetch (no server): what one commit puts
 * on the wire (records in call order, partitions chosen as `send` chooses,
 * exact bytes, the member's offsets, the producer's claim continuing its own
 * numbering), that an abort sends nothing, that retries resend the same claim
 * and that an unknown outcome moves the producer to a new epoch.
 */
import { describe, expect, it } from 'vitest';
import { partitionForKey } from '../../protocol/partitioner.js';
import { readBatchHeader } from '../../protocol/recordBatch.js';
import { Brook, BrookError, runTransactional, type Consumer, type FetchLike } from '../../sdk/index.js';

const FAST_RETRY = { maxRetries: 3, initialMs: 1, maxMs: 5 };

interface Seen {
  method: string;
  path: string;
  json?: any;
  batch?: { baseSequence: number; producerEpoch: number; recordCount: number };
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const refusal = (status: number, code: string, retriable = false) => json(status, { error: { code, message: code.toLowerCase(), retriable } });

/**
 * A fake Brook: topics `a` (3 partitions) and `b` (2), a producer registry
 * (each registration a new epoch), plain appends answering dense offsets,
 * and `POST /v1/transactions` answered by `onTransaction` (default: dense offsets).
 */
function fakeServer(onTransaction?: (body: any, attempt: number) => Promise<Response> | Response) {
  const seen: Seen[] = [];
  const highWatermarks = new Map<string, number>();
  let epoch = -1;
  let transactions = 0;
  const answerTransaction = (body: any) =>
    json(200, {
      results: body.records.map((record: { topic: string; partition: number }) => {
        const key = `${record.topic}/${record.partition}`;
        const offset = highWatermarks.get(key) ?? 0;
        highWatermarks.set(key, offset + 1);
        return { topic: record.topic, partition: record.partition, offset };
      }),
    });
  const fetch: FetchLike = async (url, init) => {
    const { pathname, searchParams } = new URL(url);
    const entry: Seen = { method: init.method ?? 'GET', path: pathname };
    if (typeof init.body === 'string') entry.json = JSON.parse(init.body);
    seen.push(entry);
    const topic = /^\/v1\/topics\/([^/]+)/.exec(pathname)?.[1];
    if (entry.method === 'GET' && topic && pathname === `/v1/topics/${topic}`) {
      const count = topic === 'a' ? 3 : topic === 'b' ? 2 : 0;
      if (count === 0) return refusal(404, 'TOPIC_NOT_FOUND');
      return json(200, { name: topic, config: {}, partitions: Array.from({ length: count }, (_, partition) => ({ partition, logStartOffset: 0, highWatermark: 0 })) });
    }
    if (pathname === '/v1/producers') return json(200, { id: '7', epoch: ++epoch });
    if (pathname.endsWith('/records')) {
      const header = readBatchHeader(init.body as Uint8Array);
      entry.batch = { baseSequence: header.baseSequence, producerEpoch: header.producerEpoch, recordCount: header.recordCount };
      const key = `${topic}/${searchParams.get('partition')}`;
      const base = highWatermarks.get(key) ?? 0;
      highWatermarks.set(key, base + header.recordCount);
      return json(200, { results: Array.from({ length: header.recordCount }, (_, i) => ({ partition: Number(searchParams.get('partition')), offset: base + i })) });
    }
    if (pathname === '/v1/transactions') {
      const attempt = transactions++;
      return onTransaction ? onTransaction(entry.json, attempt) : answerTransaction(entry.json);
    }
    if (/^\/v1\/groups\/[^/]+\/offsets$/.test(pathname)) return new Response(null, { status: 204 });
    return refusal(404, 'NOT_FOUND');
  };
  const transactionBodies = () => seen.filter((s) => s.path === '/v1/transactions').map((s) => s.json);
  return { fetch, seen, transactionBodies, answerTransaction };
}

const client = (fetch: FetchLike) => new Brook({ url: 'http://brook.test', apiKey: 'k', fetch, retry: FAST_RETRY });
const b64 = (text: string) => Buffer.from(text).toString('base64');
const member = { group: 'billing', memberId: 'm-1', generation: 4 };

describe('Transaction (no server)', () => {
  it('sends nothing before commit, then one POST /v1/transactions: records in call order, client-side partitions, exact bytes, offsets and the claim', async () => {
    // Prepare: the producer sent two records to a/p before, so that partition's numbering is at 2
    const server = fakeServer();
    const producer = client(server.fetch).producer();
    const pKey = partitionForKey(Buffer.from('k1'), 3);
    await producer.send({ topic: 'a', messages: [{ key: 'k1', value: 'before-1' }, { key: 'k1', value: 'before-2' }] });
    const transaction = producer.transaction();

    // Act
    await transaction.send({ topic: 'a', messages: [{ key: 'k1', value: 'one', headers: { h: 'x' }, timestamp: 1_700_000_000_000 }] });
    await transaction.sendBatch({
      topicMessages: [
        { topic: 'b', messages: [{ value: Buffer.from([0xff, 0x00]), partition: 1, timestamp: 5 }, { key: null, value: null, partition: 1, timestamp: 6 }] },
        { topic: 'a', messages: [{ key: 'k1', value: 'two', timestamp: 7 }] },
      ],
    });
    await transaction.sendOffsets({ consumer: member, topics: [{ topic: 'in', partitions: [{ partition: 2, offset: '41' }, { partition: 0, offset: 9, metadata: 'm' }] }] });
    const beforeCommit = server.transactionBodies().length;
    const results = await transaction.commit();

    // Assess
    expect(beforeCommit).toBe(0);
    const bodies = server.transactionBodies();
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toEqual({
      encoding: 'base64',
      records: [
        { topic: 'a', partition: pKey, key: b64('k1'), value: b64('one'), headers: { h: b64('x') }, timestamp: 1_700_000_000_000 },
        { topic: 'b', partition: 1, key: null, value: Buffer.from([0xff, 0x00]).toString('base64'), timestamp: 5 },
        { topic: 'b', partition: 1, key: null, value: null, timestamp: 6 },
        { topic: 'a', partition: pKey, key: b64('k1'), value: b64('two'), timestamp: 7 },
      ],
      offsets: { group: 'billing', memberId: 'm-1', generation: 4, offsets: [{ topic: 'in', partition: 2, offset: 41 }, { topic: 'in', partition: 0, offset: 9, metadata: 'm' }] },
      producer: { id: '7', epoch: 0, sequences: { a: { [pKey]: 2 }, b: { 1: 0 } } },
    });
    expect(results).toEqual([
      { topic: 'a', partition: pKey, offset: 2 },
      { topic: 'b', partition: 1, offset: 0 },
      { topic: 'b', partition: 1, offset: 1 },
      { topic: 'a', partition: pKey, offset: 3 },
    ]);
    expect(transaction.state).toBe('committed');

    // The numbering goes on: the next plain batch and the next transaction continue after it
    await producer.send({ topic: 'a', messages: [{ key: 'k1', value: 'after' }] });
    expect(server.seen.filter((s) => s.batch).at(-1)!.batch).toMatchObject({ baseSequence: 4, producerEpoch: 0 });
    const next = producer.transaction();
    await next.send({ topic: 'b', messages: [{ value: 'x', partition: 1 }] });
    await next.commit();
    expect(server.transactionBodies()[1].producer.sequences).toEqual({ b: { 1: 2 } });
  });

  it('abort drops the buffer: nothing is sent, the transaction is over and the numbering is untouched', async () => {
    const server = fakeServer();
    const producer = client(server.fetch).producer();
    const transaction = producer.transaction();
    await transaction.send({ topic: 'b', messages: [{ value: 'dropped', partition: 0 }] });
    await transaction.sendOffsets({ consumer: member, topics: [{ topic: 'in', partitions: [{ partition: 0, offset: 3 }] }] });

    await transaction.abort();

    expect(transaction.state).toBe('aborted');
    expect(transaction.isActive()).toBe(false);
    expect(server.seen.filter((s) => s.method === 'POST' && s.path !== '/v1/producers')).toEqual([]);
    await expect(transaction.send({ topic: 'b', messages: [{ value: 'late' }] })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(transaction.commit()).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    const next = producer.transaction();
    await next.send({ topic: 'b', messages: [{ value: 'kept', partition: 0 }] });
    await next.commit();
    expect(server.transactionBodies()).toHaveLength(1);
    expect(server.transactionBodies()[0].producer.sequences).toEqual({ b: { 0: 0 } });
  });

  it('retries a commit whose answer was lost with the same claim, and answers the offsets of the retry', async () => {
    const server = fakeServer((body, attempt) => {
      if (attempt === 0) throw new TypeError('fetch failed'); // the request may have reached the server: an unknown outcome
      if (attempt === 1) return refusal(503, 'UNAVAILABLE', true);
      return server.answerTransaction(body);
    });
    const producer = client(server.fetch).producer();
    const transaction = producer.transaction();
    await transaction.send({ topic: 'a', messages: [{ value: 'once', partition: 0 }] });
    await transaction.sendOffsets({ consumer: member, topics: [{ topic: 'in', partitions: [{ partition: 0, offset: 1 }] }] });

    const results = await transaction.commit();

    const bodies = server.transactionBodies();
    expect(bodies).toHaveLength(3);
    expect(bodies[1]).toEqual(bodies[0]);
    expect(bodies[2]).toEqual(bodies[0]);
    expect(bodies[0].producer).toEqual({ id: '7', epoch: 0, sequences: { a: { 0: 0 } } });
    expect(results).toEqual([{ topic: 'a', partition: 0, offset: 0 }]);
  });

  it('an outcome still unknown after the retries fails the commit and moves the producer to a new epoch; a refusal does not', async () => {
    let lose = true;
    const server = fakeServer((body) => {
      if (lose) throw new TypeError('fetch failed');
      if (body.records[0].value === b64('refused')) return refusal(409, 'OFFSET_MISMATCH');
      return server.answerTransaction(body);
    });
    const producer = client(server.fetch).producer();
    const lost = producer.transaction();
    await lost.send({ topic: 'a', messages: [{ value: 'lost', partition: 0 }] });
    await expect(lost.commit()).rejects.toMatchObject({ code: 'UNAVAILABLE', retriable: true });
    expect(lost.state).toBe('failed');
    expect(server.transactionBodies()).toHaveLength(1 + FAST_RETRY.maxRetries);
    expect(new Set(server.transactionBodies().map((body) => JSON.stringify(body))).size).toBe(1);

    lose = false;
    const refused = producer.transaction();
    await refused.send({ topic: 'a', messages: [{ value: 'refused', partition: 0 }] });
    await expect(refused.commit()).rejects.toMatchObject({ code: 'OFFSET_MISMATCH' });
    const next = producer.transaction();
    await next.send({ topic: 'a', messages: [{ value: 'next', partition: 0 }] });
    await next.commit();

    // A new epoch after the unknown outcome (sequences from 0); the refusal spent no sequence
    const claims = server.transactionBodies().slice(-2).map((body) => body.producer);
    expect(claims).toEqual([
      { id: '7', epoch: 1, sequences: { a: { 0: 0 } } },
      { id: '7', epoch: 1, sequences: { a: { 0: 0 } } },
    ]);
    expect(server.seen.filter((s) => s.path === '/v1/producers').map((s) => s.json)).toEqual([{}, { id: '7' }]);
  });

  it('a refusal after a lost answer counts as an unknown outcome (the first try may have been written)', async () => {
    const server = fakeServer((body, attempt) => {
      if (attempt === 0) throw new TypeError('fetch failed');
      if (attempt === 1) return refusal(409, 'FENCED_MEMBER');
      return server.answerTransaction(body);
    });
    const producer = client(server.fetch).producer();
    const first = producer.transaction();
    await first.send({ topic: 'a', messages: [{ value: 'x', partition: 0 }] });
    await expect(first.commit()).rejects.toMatchObject({ code: 'FENCED_MEMBER' });
    const second = producer.transaction();
    await second.send({ topic: 'a', messages: [{ value: 'y', partition: 0 }] });
    await second.commit();
    expect(server.transactionBodies().at(-1).producer).toEqual({ id: '7', epoch: 1, sequences: { a: { 0: 0 } } });
  });

  it('a commit runs in its partitions\' turn: a send made meanwhile waits for it and numbers after it', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const server = fakeServer(async (body) => {
      await held;
      return server.answerTransaction(body);
    });
    const producer = client(server.fetch).producer();
    await producer.connect();
    const transaction = producer.transaction();
    await transaction.send({ topic: 'b', messages: [{ value: 't1', partition: 0 }, { value: 't2', partition: 0 }] });
    const committing = transaction.commit();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const sending = producer.send({ topic: 'b', messages: [{ value: 'plain', partition: 0 }] });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(server.seen.some((s) => s.batch)).toBe(false); // still waiting for the transaction

    release();
    expect(await committing).toEqual([{ topic: 'b', partition: 0, offset: 0 }, { topic: 'b', partition: 0, offset: 1 }]);
    expect(await sending).toEqual([{ topic: 'b', partition: 0, offset: 2 }]);
    expect(server.seen.find((s) => s.batch)!.batch).toMatchObject({ baseSequence: 2 });
  });

  it('without idempotence: no claim, and a lost answer is not retried (it could write twice)', async () => {
    const server = fakeServer(() => {
      throw new TypeError('fetch failed');
    });
    const producer = client(server.fetch).producer({ idempotent: false });
    const transaction = producer.transaction();
    await transaction.send({ topic: 'a', messages: [{ value: 'x', partition: 2 }] });
    await expect(transaction.commit()).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    expect(server.transactionBodies()).toHaveLength(1);
    expect(server.transactionBodies()[0]).not.toHaveProperty('producer');
    expect(server.seen.some((s) => s.path === '/v1/producers')).toBe(false);
  });

  it("offsets alone are one commit of the member; an empty transaction sends nothing; the consumer's membership is read at commit", async () => {
    const server = fakeServer();
    const producer = client(server.fetch).producer();
    expect(await producer.transaction().commit()).toEqual([]);
    expect(server.seen).toEqual([]);

    const membership: { now?: typeof member } = {};
    const consumer = { groupMetadata: () => membership.now } as unknown as Consumer;
    const offsetsOnly = producer.transaction();
    await offsetsOnly.sendOffsets({ consumer, topics: [{ topic: 'in', partitions: [{ partition: 1, offset: 10 }] }] });
    await expect(offsetsOnly.commit()).rejects.toMatchObject({ code: 'REBALANCE_IN_PROGRESS' }); // not a member now
    expect(server.seen).toEqual([]);

    membership.now = { ...member, generation: 9 };
    const again = producer.transaction();
    await again.sendOffsets({ consumer, topics: [{ topic: 'in', partitions: [{ partition: 1, offset: 10 }] }] });
    expect(await again.commit()).toEqual([]);
    expect(server.seen).toEqual([
      { method: 'POST', path: '/v1/groups/billing/offsets', json: { memberId: 'm-1', generation: 9, offsets: [{ topic: 'in', partition: 1, offset: 10 }] } },
    ]);
  });

  it('refuses what it cannot carry: a repeated header, an unknown topic (at send), a second member, and a send after commit', async () => {
    const server = fakeServer();
    const producer = client(server.fetch).producer();
    const transaction = producer.transaction();
    await expect(transaction.send({ topic: 'a', messages: [{ value: 'x', headers: { h: ['1', '2'] } }] })).rejects.toThrow(/repeated/);
    await expect(producer.transaction().send({ topic: 'nope', messages: [{ value: 'x' }] })).rejects.toMatchObject({ code: 'TOPIC_NOT_FOUND' });
    await expect(transaction.commit()).rejects.toThrow(/repeated/); // a failed send fails the commit: nothing is sent
    expect(server.transactionBodies()).toEqual([]);

    const other = producer.transaction();
    await other.sendOffsets({ consumer: member, topics: [] });
    await expect(other.sendOffsets({ consumer: { ...member, memberId: 'm-2' }, topics: [] })).rejects.toThrow(/one member/);
    await other.send({ topic: 'a', messages: [{ value: 'x', partition: 0 }] });
    await other.commit();
    await expect(other.send({ topic: 'a', messages: [{ value: 'y' }] })).rejects.toBeInstanceOf(BrookError);
    await expect(other.abort()).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });

  it('runTransactional wants a consumer that leaves committing to the transactions (autoCommit: false)', async () => {
    const brook = client(fakeServer().fetch);
    const consumer = brook.consumer({ groupId: 'g' });
    await consumer.subscribe({ topic: 'a' });
    await expect(runTransactional(consumer, { producer: brook.producer(), transform: () => [] })).rejects.toThrow(/autoCommit: false/);
  });
});
