/**
 * The SDK against the local stack (its own, on a free port and a temp data
 * folder): admin round trip, client-side partitioning, the idempotent
 * producer's retries, and typed errors.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { partitionForKey } from '../../protocol/partitioner.js';
import { Brook, BrookError, json, text, type FetchLike } from '../../sdk/index.js';
import { decodeRecord, type WireRecord } from '../../sdk/messages.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';

const FAST_RETRY = { maxRetries: 3, initialMs: 5, maxMs: 20 };

let stack: LocalStackForTests;
let brook: Brook;

const topicName = (label: string) => `sdk-${label}-${randomUUID().slice(0, 8)}`;

/** Reads a whole partition through the raw API (so the check does not trust the SDK). */
async function readPartition(topic: string, partition: number): Promise<{ records: { offset: number; key: string | null; value: string | null }[]; highWatermark: number }> {
  const response = await fetch(`${stack.url}/v1/topics/${topic}/partitions/${partition}/records?offset=0`, {
    headers: { authorization: `Bearer ${stack.adminKey}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as never;
}

beforeAll(async () => {
  stack = await localStackForTests({ prefix: 'brook-sdk-', apiKey: `sdk-test-${randomUUID()}` });
  brook = new Brook({ url: stack.url, apiKey: stack.adminKey, retry: FAST_RETRY });
});

afterAll(() => stack?.stop());

describe('Class: Brook', () => {
  it('takes its url and key from BROOK_URL and BROOK_API_KEY', async () => {
    const saved = { url: process.env.BROOK_URL, key: process.env.BROOK_API_KEY };
    process.env.BROOK_URL = `${stack.url}/`;
    process.env.BROOK_API_KEY = stack.adminKey;
    try {
      const fromEnv = new Brook();
      expect(fromEnv.url).toBe(stack.url);
      expect(Array.isArray(await fromEnv.admin().listTopics())).toBe(true);
    } finally {
      if (saved.url === undefined) delete process.env.BROOK_URL;
      else process.env.BROOK_URL = saved.url;
      if (saved.key === undefined) delete process.env.BROOK_API_KEY;
      else process.env.BROOK_API_KEY = saved.key;
    }
  });

  it('is exported by the package as brook/sdk: the built bundle runs in plain Node, with no TypeScript runtime', async () => {
    // `npm install` builds dist/ (prepare); plain node resolves brook/sdk through package.json's exports
    const script = `
      const { Brook, BrookError } = await import('brook/sdk');
      const brook = new Brook({ url: process.env.URL, apiKey: process.env.KEY });
      await brook.admin().createTopic({ name: process.env.TOPIC, partitions: 1 });
      const [sent] = await brook.producer().send({ topic: process.env.TOPIC, messages: [{ value: 'from dist' }] });
      const error = await brook.admin().describeTopic('no-such-topic-here').catch((e) => e);
      console.log(JSON.stringify({ sent, code: error.code, typed: error instanceof BrookError }));`;
    const topic = topicName('dist');
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, URL: stack.url, KEY: stack.adminKey, TOPIC: topic },
    });
    expect(JSON.parse(stdout)).toEqual({ sent: { topic, partition: 0, offset: 0 }, code: 'TOPIC_NOT_FOUND', typed: true });
    expect((await readPartition(topic, 0)).records.map((r) => r.value)).toEqual(['from dist']);
  });

  it('goes to the local stack without a url, and refuses to start without a key for a remote url', () => {
    const saved = { url: process.env.BROOK_URL, key: process.env.BROOK_API_KEY };
    delete process.env.BROOK_URL;
    delete process.env.BROOK_API_KEY;
    try {
      expect(new Brook({ apiKey: 'k' }).url).toBe(`http://127.0.0.1:${process.env.BROOK_PORT || '8080'}`);
      expect(() => new Brook({ url: 'https://brook.example.com' })).toThrow(/API key/);
    } finally {
      if (saved.url !== undefined) process.env.BROOK_URL = saved.url;
      if (saved.key !== undefined) process.env.BROOK_API_KEY = saved.key;
    }
  });
});

describe('Class: Admin', () => {
  it('creates, lists, describes, alters and deletes a topic, and finds offsets by time', async () => {
    // Prepare
    const admin = brook.admin();
    const topic = topicName('admin');

    // Act / Assess
    const created = await admin.createTopic({ name: topic, partitions: 2, config: { retentionMs: 3_600_000 } });
    expect(created.name).toBe(topic);
    expect(created.partitions).toHaveLength(2);
    expect(created.config.retentionMs).toBe(3_600_000);
    expect(await admin.listTopics()).toContainEqual({ name: topic, partitions: 2 });

    const altered = await admin.alterTopic(topic, { partitions: 3, config: { retentionMs: null } });
    expect(altered.partitions).toHaveLength(3);
    expect(altered.config.retentionMs).toBe(604_800_000);
    expect((await admin.describeTopic(topic)).partitions.map((p) => p.partition)).toEqual([0, 1, 2]);

    const producer = brook.producer();
    await producer.send({ topic, messages: [{ value: 'old', partition: 1, timestamp: 1_000 }, { value: 'new', partition: 1, timestamp: 5_000 }] });
    expect(await admin.fetchOffset(topic, 1, 'earliest')).toBe(0);
    expect(await admin.fetchOffset(topic, 1, 'latest')).toBe(2);
    expect(await admin.fetchOffset(topic, 1, 2_000)).toBe(1);
    expect(await admin.fetchOffset(topic, 1, 9_000)).toBe(2);
    expect(await admin.fetchTopicOffsets(topic)).toEqual([
      { partition: 0, offset: 0 },
      { partition: 1, offset: 2 },
      { partition: 2, offset: 0 },
    ]);

    await admin.deleteTopic(topic);
    expect((await admin.listTopics()).map((t) => t.name)).not.toContain(topic);
  });

  it('resets, describes, lists and deletes a group with no members', async () => {
    // Prepare: a group that exists because an offset was committed without a member
    const admin = brook.admin();
    const topic = topicName('groups');
    const group = `g-${randomUUID().slice(0, 8)}`;
    await admin.createTopic({ name: topic, partitions: 1 });
    await brook.producer().send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });

    // Act
    const reset = await admin.resetOffsets(group, { topic, to: 'latest' });
    const shifted = await admin.resetOffsets(group, { topic, to: { shiftBy: -2 } });

    // Assess
    expect(reset).toEqual([{ topic, partition: 0, before: null, after: 3 }]);
    expect(shifted).toEqual([{ topic, partition: 0, before: 3, after: 1 }]);
    const described = await admin.describeGroup(group);
    expect(described.state).toBe('Empty');
    expect(described.offsets).toEqual([expect.objectContaining({ topic, partition: 0, offset: 1, lag: 2 })]);
    expect(await admin.fetchGroupOffsets(group)).toEqual([expect.objectContaining({ offset: 1, highWatermark: 3 })]);
    expect((await admin.listGroups()).map((g) => g.group)).toContain(group);
    await admin.deleteGroup(group);
    await expect(admin.describeGroup(group)).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
  });
});

describe('Class: Producer', () => {
  it('puts keyed messages on the partitions Kafka and the server choose', async () => {
    // Prepare
    const admin = brook.admin();
    const topic = topicName('keys');
    await admin.createTopic({ name: topic, partitions: 7 });
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);

    // Act: the SDK partitions; then the server partitions the same keys (JSON produce, no partition given)
    const sent = await brook.producer().send({ topic, messages: keys.map((key) => ({ key, value: `v-${key}` })) });
    const raw = await fetch(`${stack.url}/v1/topics/${topic}/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ records: keys.map((key) => ({ key, value: 'x' })) }),
    });
    const serverChose = ((await raw.json()) as { results: { partition: number }[] }).results.map((r) => r.partition);

    // Assess
    expect(sent.map((r) => r.partition)).toEqual(serverChose);
    expect(sent.map((r) => r.partition)).toEqual(keys.map((key) => partitionForKey(Buffer.from(key), 7)));
    expect(new Set(sent.map((r) => r.partition)).size).toBeGreaterThan(3);
    expect(sent.every((r) => r.topic === topic)).toBe(true);
    // Per partition, offsets are dense from 0 in message order
    for (const partition of new Set(sent.map((r) => r.partition))) {
      const offsets = sent.filter((r) => r.partition === partition).map((r) => r.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    const stored = await readPartition(topic, sent[0]!.partition);
    expect(stored.records[0]).toMatchObject({ offset: 0, key: keys[0], value: `v-${keys[0]}` });
  });

  it('sends bytes, tombstones, headers, explicit partitions and keyless messages, in call order', async () => {
    // Prepare
    const topic = topicName('bytes');
    await brook.admin().createTopic({ name: topic, partitions: 3 });
    const producer = brook.producer();

    // Act
    const first = await producer.send({
      topic,
      messages: [
        { key: Buffer.from([1, 2, 3]), value: new Uint8Array([0xff, 0x00, 0x41]), partition: 2, headers: { h: 'v', bin: Buffer.from([7]) } },
        { key: 'gone', value: null, partition: 2 },
        { value: 'x'.repeat(20_000), partition: 2 },
      ],
    });
    const keyless = await producer.sendBatch({
      topicMessages: [
        { topic, messages: [{ value: 'a' }, { value: 'b' }] },
        { topic, messages: [{ value: 'c' }] },
      ],
    });

    // Assess
    expect(first).toEqual([0, 1, 2].map((offset) => ({ topic, partition: 2, offset })));
    expect(new Set(keyless.slice(0, 2).map((r) => r.partition)).size).toBe(1); // one partition per call
    const response = await fetch(`${stack.url}/v1/topics/${topic}/partitions/2/records?offset=0&encoding=base64`, {
      headers: { authorization: `Bearer ${stack.adminKey}` },
    });
    const { records } = (await response.json()) as { records: { key: string | null; value: string | null; headers: Record<string, string> }[] };
    expect(records[0]).toMatchObject({ key: 'AQID', value: Buffer.from([0xff, 0x00, 0x41]).toString('base64'), headers: { h: 'dg==', bin: 'Bw==' } });
    expect(records[1]).toMatchObject({ key: Buffer.from('gone').toString('base64'), value: null });
    expect(Buffer.from(records[2]!.value!, 'base64').toString()).toBe('x'.repeat(20_000));
  });

  it('retries a batch whose answer was lost with the same sequences, so nothing is appended twice', async () => {
    // Prepare: a fetch that lets the first produce reach the server, then drops its answer
    const topic = topicName('retry');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    let dropped = 0;
    let produces = 0;
    const flaky: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (init.method === 'POST' && input.includes('/records')) {
        produces++;
        if (dropped === 0) {
          dropped++;
          await response.arrayBuffer();
          throw new TypeError('fetch failed (connection reset after the server answered)');
        }
      }
      return response;
    };
    const producer = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: flaky, retry: FAST_RETRY }).producer();

    // Act
    const first = await producer.send({ topic, messages: [{ value: 'one' }, { value: 'two' }] });
    const second = await producer.send({ topic, messages: [{ value: 'three' }] });

    // Assess
    expect(dropped).toBe(1);
    expect(produces).toBe(3);
    expect(first.map((r) => r.offset)).toEqual([0, 1]);
    expect(second.map((r) => r.offset)).toEqual([2]);
    const stored = await readPartition(topic, 0);
    expect(stored.highWatermark).toBe(3);
    expect(stored.records.map((r) => r.value)).toEqual(['one', 'two', 'three']);
  });

  it('keeps batches to one partition in order when sends overlap', async () => {
    const topic = topicName('order');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    const producer = brook.producer();
    const sends = Array.from({ length: 8 }, (_, i) => producer.send({ topic, messages: [{ value: `m${i}` }] }));
    await producer.flush();
    const results = await Promise.all(sends);
    expect(results.map(([r]) => r!.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await producer.disconnect();
    await expect(producer.send({ topic, messages: [{ value: 'late' }] })).rejects.toThrow(/disconnected/);
  });

  it('with lingerMs, sends of many calls to one partition share one request; flush sends at once', async () => {
    // Prepare
    const topic = topicName('linger');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    let posts = 0;
    const counting: FetchLike = (input, init) => {
      if (init.method === 'POST' && input.includes('/records')) posts++;
      return fetch(input, init);
    };
    const producer = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: counting, retry: FAST_RETRY }).producer({ lingerMs: 60_000 });
    await producer.connect();

    // Act: ten calls; nothing goes until flush (the linger is a minute)
    const sends = Array.from({ length: 10 }, (_, i) => producer.send({ topic, messages: [{ value: `m${i}` }, { value: `n${i}` }] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const postsBeforeFlush = posts;
    await producer.flush();
    const results = await Promise.all(sends);

    // Assess
    expect(postsBeforeFlush).toBe(0);
    expect(posts).toBe(1);
    expect(results.map((r) => r.map((m) => m.offset))).toEqual(Array.from({ length: 10 }, (_, i) => [2 * i, 2 * i + 1]));
    expect((await readPartition(topic, 0)).records.map((r) => r.value).slice(0, 4)).toEqual(['m0', 'n0', 'm1', 'n1']);
  });

  it('a lingering batch goes when it reaches batchBytes', async () => {
    // Prepare: a record of 100 value bytes counts 124; two fill a batch of 248
    const topic = topicName('batchbytes');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    let posts = 0;
    const counting: FetchLike = (input, init) => {
      if (init.method === 'POST' && input.includes('/records')) posts++;
      return fetch(input, init);
    };
    const producer = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: counting, retry: FAST_RETRY }).producer({ lingerMs: 60_000, batchBytes: 248 });

    // Act: no flush; the minute-long linger must not be what sends them
    const results = await Promise.all(Array.from({ length: 4 }, () => producer.send({ topic, messages: [{ value: 'x'.repeat(100) }] })));

    // Assess
    expect(posts).toBe(2);
    expect(results.flat().map((r) => r.offset)).toEqual([0, 1, 2, 3]);
  });

  it('waits while bufferBytes are in flight (backpressure)', async () => {
    // Prepare: four partitions, so without a bound four requests would run at once
    const topic = topicName('backpressure');
    await brook.admin().createTopic({ name: topic, partitions: 4 });
    let inFlight = 0;
    let most = 0;
    const gauge: FetchLike = async (input, init) => {
      if (!(init.method === 'POST' && input.includes('/records'))) return fetch(input, init);
      most = Math.max(most, ++inFlight);
      try {
        return await fetch(input, init);
      } finally {
        inFlight--;
      }
    };
    const client = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: gauge, retry: FAST_RETRY });
    const bounded = client.producer({ bufferBytes: 200 });

    // Act
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => bounded.send({ topic, messages: [{ value: 'y'.repeat(100), partition: i % 4 }] })));

    // Assess
    expect(most).toBe(1);
    expect(results.flat().map((r) => `${r.partition}:${r.offset}`).sort()).toEqual(['0:0', '0:1', '1:0', '1:1', '2:0', '2:1', '3:0', '3:1']);
    most = 0;
    await Promise.all(Array.from({ length: 4 }, (_, i) => client.producer().send({ topic, messages: [{ value: 'z', partition: i }] })));
    expect(most).toBeGreaterThan(1);
  });

  it('with onBufferFull: reject, a send past bufferBytes fails at once with a retriable THROTTLED and sends nothing', async () => {
    // Prepare: a minute of linger keeps the first send in the buffer
    const topic = topicName('reject');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    const producer = brook.producer({ bufferBytes: 200, onBufferFull: 'reject', lingerMs: 60_000 });
    const first = producer.send({ topic, messages: [{ value: 'a'.repeat(150) }] });

    // Act
    const refused = producer.send({ topic, messages: [{ value: 'b'.repeat(150) }] });

    // Assess
    await expect(refused).rejects.toMatchObject({ code: 'THROTTLED', retriable: true });
    await producer.disconnect();
    expect(await first).toEqual([{ topic, partition: 0, offset: 0 }]);
    const { records } = await readPartition(topic, 0);
    expect(records.map((r) => r.value)).toEqual(['a'.repeat(150)]);
  });

  it('disconnect delivers every lingering message and resolves every pending send', async () => {
    // Prepare: three partitions, messages lingering for a minute
    const topic = topicName('disconnect');
    await brook.admin().createTopic({ name: topic, partitions: 3 });
    const producer = brook.producer({ lingerMs: 60_000 });
    const pending = Array.from({ length: 9 }, (_, i) => producer.send({ topic, messages: [{ value: `m${i}`, partition: i % 3 }] }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await readPartition(topic, 0)).highWatermark).toBe(0); // still lingering

    // Act
    await producer.disconnect();

    // Assess
    const offsets = (await Promise.all(pending)).flat();
    expect(offsets.map((r) => `${r.partition}:${r.offset}`).sort()).toEqual(['0:0', '0:1', '0:2', '1:0', '1:1', '1:2', '2:0', '2:1', '2:2']);
    const stored = (await Promise.all([0, 1, 2].map((p) => readPartition(topic, p)))).flatMap((r) => r.records.map((record) => record.value));
    expect(stored.sort()).toEqual(Array.from({ length: 9 }, (_, i) => `m${i}`).sort());
  });

  it('serializers: JSON and text values round-trip and read as the JSON API stores them', async () => {
    const topic = topicName('serde');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    await brook.producer().send({
      topic,
      messages: [{ key: text.serialize('o-1'), value: json.serialize({ total: 12, items: ['a'] }) }, { value: json.serialize(null) }],
    });
    const stored = await readPartition(topic, 0);
    expect(stored.records.map((r) => [r.key, r.value])).toEqual([['o-1', '{"total":12,"items":["a"]}'], [null, null]]);
    expect(json.deserialize<{ total: number }>(Buffer.from(stored.records[0]!.value!))).toEqual({ total: 12, items: ['a'] });
    expect(text.deserialize(text.serialize('héllo'))).toBe('héllo');
    expect(() => json.deserialize(Buffer.from('{not json'))).toThrow(expect.objectContaining({ code: 'INVALID_RECORD' }));
  });

  it('appends conditionally with expectedOffsets: OFFSET_MISMATCH carries the high watermark', async () => {
    const topic = topicName('expected');
    await brook.admin().createTopic({ name: topic, partitions: 2 });
    const producer = brook.producer({ lingerMs: 20 });
    expect(await producer.send({ topic, messages: [{ value: 'a', partition: 0 }], expectedOffsets: { 0: 0 } })).toEqual([{ topic, partition: 0, offset: 0 }]);
    const stale = await producer.send({ topic, messages: [{ value: 'b', partition: 0 }], expectedOffsets: { 0: 0 } }).catch((error: unknown) => error);
    expect(stale).toMatchObject({ code: 'OFFSET_MISMATCH', status: 409, retriable: false, details: { highWatermark: 1 } });
    // The refused batch used no sequence number: the next one goes through
    expect(await producer.send({ topic, messages: [{ value: 'c', partition: 0 }], expectedOffsets: { 0: 1 } })).toEqual([{ topic, partition: 0, offset: 1 }]);
    expect((await readPartition(topic, 0)).records.map((r) => r.value)).toEqual(['a', 'c']);
  });

  it('after a batch with an unknown outcome, registers a new epoch so later batches are not taken for duplicates', async () => {
    // Prepare: every produce answer is dropped until `broken` is turned off
    const topic = topicName('epoch');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    let broken = true;
    const flaky: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (broken && init.method === 'POST' && input.includes('/records')) {
        await response.arrayBuffer();
        throw new TypeError('fetch failed');
      }
      return response;
    };
    const producer = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: flaky, retry: { maxRetries: 1, initialMs: 1, maxMs: 2 } }).producer();
    await producer.connect();
    const firstEpoch = producer.producerIdentity!.epoch;

    // Act
    const lost = await producer.send({ topic, messages: [{ value: 'lost?' }] }).catch((error: unknown) => error);
    broken = false;
    const next = await producer.send({ topic, messages: [{ value: 'next' }] });

    // Assess
    expect(lost).toBeInstanceOf(BrookError);
    expect(lost).toMatchObject({ code: 'UNAVAILABLE', retriable: true });
    expect(producer.producerIdentity!.epoch).toBe(firstEpoch + 1);
    expect(next).toEqual([{ topic, partition: 0, offset: 1 }]);
    expect((await readPartition(topic, 0)).records.map((r) => r.value)).toEqual(['lost?', 'next']);
  });
});

/** Resolves once `check` holds, polling every 50 ms for up to `timeoutMs`. */
async function until(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Class: Reader', () => {
  it('reads several partitions by offset in one long poll, with exact bytes, and reports a bad offset per partition', async () => {
    // Prepare
    const topic = topicName('reader');
    await brook.admin().createTopic({ name: topic, partitions: 2 });
    await brook.producer().send({
      topic,
      messages: [
        { value: Buffer.from([0, 255, 7]), partition: 0, headers: { h: 'x' } },
        { key: 'k', value: 'second', partition: 0 },
        { value: 'other', partition: 1 },
      ],
    });
    const reader = brook.reader();

    // Act
    const results = await reader.fetch([
      { topic, partition: 0, offset: 1 },
      { topic, partition: 1 },
    ]);
    const outOfRange = await reader.fetch([{ topic, partition: 1, offset: 99 }]);
    const started = Date.now();
    const waiting = reader.fetch([{ topic, partition: 1, offset: 1 }], { waitMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await brook.producer().send({ topic, messages: [{ value: 'late', partition: 1 }] });
    const [woken] = await waiting;

    // Assess
    const byPartition = new Map(results.map((r) => [r.partition, r]));
    const first = byPartition.get(0)!;
    const second = byPartition.get(1)!;
    if ('error' in first || 'error' in second) throw new Error('unexpected partition error');
    expect(first.messages.map((m) => [m.offset, m.key?.toString(), m.value?.toString()])).toEqual([[1, 'k', 'second']]);
    expect([first.nextOffset, first.highWatermark, first.logStartOffset]).toEqual([2, 2, 0]);
    expect(second.messages.map((m) => m.value?.toString())).toEqual(['other']); // no offset: from the log start
    const all = await reader.fetch([{ topic, partition: 0, offset: 0 }]);
    if ('error' in all[0]!) throw new Error('unexpected partition error');
    expect([...all[0]!.messages[0]!.value!]).toEqual([0, 255, 7]);
    expect(all[0]!.messages[0]!.headers.h!.toString()).toBe('x');
    expect(outOfRange[0]).toMatchObject({ partition: 1, error: { code: 'OFFSET_OUT_OF_RANGE' } });
    if (!woken || 'error' in woken) throw new Error('unexpected partition error');
    expect(woken.messages.map((m) => m.value?.toString())).toEqual(['late']);
    expect(Date.now() - started).toBeLessThan(4_000);
  });

  it('gives the exact bytes of records that are not UTF-8, and decodes the base64 marker of a default (utf8) fetch to the same bytes', async () => {
    // Prepare
    const topic = topicName('not-utf8');
    await brook.admin().createTopic({ name: topic, partitions: 1 });
    const sent = [
      { key: Buffer.from([0xfe, 0x01]), value: Buffer.from([0x61, 0xff, 0x62]), headers: { h: Buffer.from([0xc3, 0x28]), ok: Buffer.from('yes') } },
      { key: Buffer.from('plain'), value: Buffer.from('ünïcødé ✓'), headers: { h: Buffer.from('v') } },
    ];
    await brook.producer().send({ topic, messages: sent });

    // Act
    const [read] = await brook.reader().fetch([{ topic, partition: 0, offset: 0 }]);
    const response = await fetch(`${stack.url}/v1/topics/${topic}/partitions/0/records?offset=0`, { headers: { authorization: `Bearer ${stack.adminKey}` } });
    const { records } = (await response.json()) as { records: WireRecord[] };

    // Assess
    if (!read || 'error' in read) throw new Error('unexpected partition error');
    expect(records.map((r) => r.encoding)).toEqual(['base64', undefined]);
    for (const messages of [read.messages, records.map((r) => decodeRecord(r, 'utf8'))]) {
      expect(messages.map((m) => [m.key, m.value, m.headers])).toEqual(sent.map((s) => [s.key, s.value, s.headers]));
    }
  });
});

describe('Class: Consumer', () => {
  it('consumes a group from the beginning, commits on disconnect, and a new member resumes from the commits', async () => {
    // Prepare
    const topic = topicName('consume');
    const groupId = `g-${randomUUID().slice(0, 8)}`;
    await brook.admin().createTopic({ name: topic, partitions: 2 });
    const producer = brook.producer();
    await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })) });

    // Act: the first member reads everything
    const seen: { partition: number; offset: number; key: string; value: string; n: string }[] = [];
    const first = brook.consumer({ groupId, sessionTimeoutMs: 6_000, maxWaitTimeMs: 200 });
    await first.subscribe({ topics: [topic], fromBeginning: true });
    await first.run({
      eachMessage: async ({ partition, message }) => {
        seen.push({ partition, offset: message.offset, key: message.key!.toString(), value: message.value!.toString(), n: message.headers.n!.toString() });
      },
    });
    await until(() => seen.length >= 10);
    expect(first.assignment()).toEqual([{ topic, partitions: [0, 1] }]);
    await first.disconnect();

    // Assess
    expect(seen.map((m) => m.value).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    expect(seen.every((m) => m.value === `v${m.n}` && m.key === `k${m.n}`)).toBe(true);
    const offsets = await brook.admin().fetchGroupOffsets(groupId);
    expect(offsets.map((o) => o.lag)).toEqual([0, 0]);

    // Act: new messages, a new member of the same group with eachBatch
    await producer.send({ topic, messages: [{ value: 'later', partition: 1 }] });
    const batches: string[][] = [];
    const second = brook.consumer({ groupId, sessionTimeoutMs: 6_000, maxWaitTimeMs: 200 });
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({ eachBatch: async ({ batch }) => void batches.push(batch.messages.map((m) => m.value!.toString())) });
    await until(() => batches.length >= 1);
    await second.disconnect();

    // Assess: only what was not committed
    expect(batches).toEqual([['later']]);
    expect((await brook.admin().describeGroup(groupId)).state).toBe('Empty');
  });
});

describe('Class: Consumer (rebalances)', () => {
  it('hands partitions over to a second member cooperatively: each message is processed once', async () => {
    // Prepare
    const topic = topicName('rebalance');
    const groupId = `g-${randomUUID().slice(0, 8)}`;
    await brook.admin().createTopic({ name: topic, partitions: 4 });
    const producer = brook.producer();
    const batch = (from: number) => Array.from({ length: 20 }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
    await producer.send({ topic, messages: batch(0) });
    const seen: string[] = [];
    const options = { groupId, sessionTimeoutMs: 6_000, maxWaitTimeMs: 200, autoCommitIntervalMs: 100 };
    const eachMessage = async ({ message }: { message: { value: Buffer | null } }) => void seen.push(message.value!.toString());
    const a = brook.consumer(options);
    const b = brook.consumer(options);
    try {
      await a.subscribe({ topic, fromBeginning: true });
      await a.run({ eachMessage });
      await until(() => seen.length >= 20);

      // Act: a second member joins; the plan moves two partitions once A has committed and acknowledged
      await b.subscribe({ topic, fromBeginning: true });
      await b.run({ eachMessage });
      const owned = (c: typeof a) => c.assignment().flatMap((t) => t.partitions);
      await until(() => owned(a).length === 2 && owned(b).length === 2, 20_000);
      await producer.send({ topic, messages: batch(20) });
      await until(() => seen.length >= 40);

      // Assess
      expect([...owned(a), ...owned(b)].sort()).toEqual([0, 1, 2, 3]);
      expect(seen.slice().sort()).toEqual(Array.from({ length: 40 }, (_, i) => `v${i}`).sort());
    } finally {
      await Promise.all([a.disconnect(), b.disconnect()]);
    }
  }, 30_000);

  it('pauses, resumes and seeks partitions', async () => {
    // Prepare
    const topic = topicName('pause');
    const groupId = `g-${randomUUID().slice(0, 8)}`;
    await brook.admin().createTopic({ name: topic, partitions: 2 });
    const producer = brook.producer();
    await producer.send({ topic, messages: [{ value: 'p0-a', partition: 0 }, { value: 'p1-a', partition: 1 }] });
    const seen: string[] = [];
    const consumer = brook.consumer({ groupId, sessionTimeoutMs: 6_000, maxWaitTimeMs: 100 });
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      consumer.pause([{ topic, partitions: [1] }]);
      await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });

      // Act / Assess: only partition 0 while 1 is paused
      await until(() => seen.length >= 1);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(seen).toEqual(['p0-a']);
      expect(consumer.paused()).toEqual([{ topic, partitions: [1] }]);

      consumer.resume([{ topic }]);
      await until(() => seen.length >= 2);
      expect(seen).toEqual(['p0-a', 'p1-a']);

      consumer.seek({ topic, partition: 0, offset: 0 });
      await until(() => seen.length >= 3);
      expect(seen).toEqual(['p0-a', 'p1-a', 'p0-a']);
    } finally {
      await consumer.disconnect();
    }
  });
});

describe('Errors', () => {
  it('come back as BrookError with the contract code, status, retriable flag and details', async () => {
    const admin = brook.admin();
    const missing = await admin.describeTopic(topicName('missing')).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(BrookError);
    expect(missing).toMatchObject({ code: 'TOPIC_NOT_FOUND', status: 404, retriable: false });
    expect((missing as BrookError).details.requestId).toEqual(expect.any(String));

    const topic = topicName('errors');
    await admin.createTopic({ name: topic, partitions: 1 });
    await expect(admin.createTopic({ name: topic, partitions: 1 })).rejects.toMatchObject({ code: 'TOPIC_EXISTS', status: 409 });
    await expect(admin.createTopic({ name: 'bad name!', partitions: 1 })).rejects.toMatchObject({ code: 'INVALID_TOPIC', status: 400 });
    await expect(admin.fetchOffset(topic, 5, 'latest')).rejects.toMatchObject({ code: 'PARTITION_NOT_FOUND' });
    await expect(brook.producer().send({ topic, messages: [{ value: 'x', partition: 4 }] })).rejects.toMatchObject({ code: 'PARTITION_NOT_FOUND' });

    const stranger = new Brook({ url: stack.url, apiKey: 'not-a-key', retry: FAST_RETRY });
    await expect(stranger.admin().listTopics()).rejects.toMatchObject({ code: 'UNAUTHENTICATED', status: 401, retriable: false });
  });

  it('a record over maxMessageBytes is refused whole and not retried', async () => {
    const topic = topicName('large');
    await brook.admin().createTopic({ name: topic, partitions: 1, config: { maxMessageBytes: 1024 } });
    let posts = 0;
    const counting: FetchLike = (input, init) => {
      if (init.method === 'POST' && input.includes('/records')) posts++;
      return fetch(input, init);
    };
    const producer = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: counting, retry: FAST_RETRY }).producer();
    await expect(producer.send({ topic, messages: [{ value: 'x'.repeat(2048) }] })).rejects.toMatchObject({ code: 'RECORD_TOO_LARGE', retriable: false });
    expect(posts).toBe(1);
    // The sequence was not used up: the next batch goes through
    expect(await producer.send({ topic, messages: [{ value: 'small' }] })).toEqual([{ topic, partition: 0, offset: 0 }]);
  });

  it('a server that cannot be reached is a retriable UNAVAILABLE, retried then thrown', async () => {
    let calls = 0;
    const refused: FetchLike = (input, init) => {
      calls++;
      return fetch('http://127.0.0.1:1/v1/topics', init);
    };
    const unreachable = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: refused, retry: { maxRetries: 2, initialMs: 1, maxMs: 2 } });
    await expect(unreachable.admin().listTopics()).rejects.toMatchObject({ code: 'UNAVAILABLE', retriable: true, details: { origin: 'sdk' } });
    expect(calls).toBe(3);
  });
});
