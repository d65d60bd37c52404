import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../functions/http/logger.js';
import type { Dispatcher } from '../../functions/subscriptions/Dispatcher.js';
import { SettleLanded, SettleLeaseLost } from '../../functions/subscriptions/SubscriptionStore.js';
import { SnapshotReader } from '../../functions/log/SnapshotReader.js';
import { TransactionService } from '../../functions/transactions/TransactionService.js';
import type { Wakeups } from '../../functions/subscriptions/wakeups.js';
import { brookWiring, createDispatcher, subscriptionStore } from '../../functions/wiring.js';
import type { DeliveryBatch, FetchedRecord, FetchResponse, SubscriptionDescription } from '../../protocol/types.js';
import { verifyDelivery } from '../../protocol/webhookSignature.js';
import { events as lambdaEvents } from '../fixtures/lambdaTarget.js';
import { events as recordsLambdaEvents } from '../fixtures/lambdaRecordsTarget.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { startStorageProxy } from '../helpers/storageProxy.js';
import { createTestConfig, emulatorEndpoints } from '../helpers/testConfig.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.js';

const BACKOFF_MS = 300;
const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:orders-handler';

let brook: BrookUnderTest;
let hook: WebhookReceiver;
let counter = 0;
const unique = (prefix: string) => `${prefix}-${++counter}-${randomBytes(3).toString('hex')}`;

/** Wake-ups the test runs by hand: what the dispatcher asked for, and when. */
function manualWakeups(): Wakeups & { asked: { subscription: string; partition: number; delayMs: number }[] } {
  const asked: { subscription: string; partition: number; delayMs: number }[] = [];
  return { asked, schedule: async (wake, delayMs) => void asked.push({ ...wake, delayMs }) };
}

function newDispatcher(wakeups: Wakeups = manualWakeups(), options: { leaseMs?: number } = {}): Dispatcher {
  return createDispatcher(brook.wiring, { logger: silentLogger, wakeups, ...options });
}

async function newTopic(partitions = 1): Promise<{ name: string; topicId: string }> {
  const name = unique('t');
  expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name, partitions } })).status).toBe(201);
  const topic = await brook.topics.get(name);
  return { name, topicId: topic.topicId };
}

async function produce(topic: string, values: string[], extra: Record<string, unknown> = {}): Promise<void> {
  const response = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: values.map((value) => ({ value, partition: 0, ...extra })) } });
  expect(response.status).toBe(200);
}

async function subscribe(topic: string, body: Record<string, unknown> = {}): Promise<{ name: string; secret?: string }> {
  const name = unique('s');
  const response = await brook.call({
    method: 'POST',
    path: '/v1/subscriptions',
    body: { name, topic, target: { type: 'http', url: hook.url }, startAt: 'earliest', ...body },
  });
  expect(response.status, JSON.stringify(response.body)).toBe(201);
  return { name, secret: (response.body as { target: { secret?: string } }).target.secret };
}

const describeSubscription = async (name: string) =>
  (await brook.call({ method: 'GET', path: `/v1/subscriptions/${name}` })).body as SubscriptionDescription;

/** Deliveries for one subscription only (the receiver is shared). */
const deliveriesOf = (name: string) => hook.received.filter((d) => d.batch.subscription === name);
const offsetsOf = (name: string) => deliveriesOf(name).flatMap((d) => d.batch.records.map((r) => r.offset));

beforeAll(async () => {
  brook = await brookUnderTest(
    await createTestConfig({ subscriptionBackoffMs: BACKOFF_MS, localLambdas: { [LAMBDA_ARN]: 'test/fixtures/lambdaTarget.ts#handler' } }),
  );
  hook = await startWebhookReceiver();
});

afterAll(async () => {
  await hook?.close();
});

describe('subscriptions: delivery to a webhook', () => {
  it('delivers appended records in offset order, signed with the secret shown at create', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name, secret } = await subscribe(topic);
    await produce(topic, ['a', 'b', 'c']);

    const report = await newDispatcher().onAppends([`${topicId}#0`]);

    expect(report.delivered).toBe(3);
    const [delivery] = deliveriesOf(name);
    expect(delivery!.batch).toMatchObject({ subscription: name, topic, partition: 0, attempt: 1 });
    expect(delivery!.batch.records.map((r) => [r.offset, r.value])).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
    expect(delivery!.headers['brook-subscription']).toBe(name);
    expect(delivery!.headers['brook-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(verifyDelivery(secret!, delivery!.raw, String(delivery!.headers['brook-signature']))).toBe(true);
    expect(verifyDelivery('whsec_other', delivery!.raw, String(delivery!.headers['brook-signature']))).toBe(false);
    const described = await describeSubscription(name);
    expect(described.partitions[0]).toMatchObject({ partition: 0, position: 3, highWatermark: 3, lag: 0, attempts: 0, parked: 0, dropped: 0 });
    expect(described.partitions[0]!.lastDeliveredAt).toBeGreaterThan(0);
  });

  it('cuts batches at batchSize and keeps them in order across runs', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic, { batchSize: 2 });
    await produce(topic, ['0', '1', '2', '3', '4']);

    await newDispatcher().onAppends([`${topicId}#0`]);
    await produce(topic, ['5']);
    await newDispatcher().onAppends([`${topicId}#0`]);

    expect(deliveriesOf(name).map((d) => d.batch.records.map((r) => r.offset))).toEqual([[0, 1], [2, 3], [4], [5]]);
  });

  it('starts at the high watermark with startAt latest', async () => {
    const { name: topic, topicId } = await newTopic();
    await produce(topic, ['old']);
    const { name } = await subscribe(topic, { startAt: 'latest' });
    await produce(topic, ['new']);

    await newDispatcher().onAppends([`${topicId}#0`]);

    expect(offsetsOf(name)).toEqual([1]);
  });

  it('retries a failed batch after a backoff, with the same delivery id and records, without another append', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    let calls = 0;
    hook.answer = (batch) => (batch.subscription === name && calls++ === 0 ? { status: 500 } : { status: 200 });
    const wakeups = manualWakeups();
    const dispatcher = newDispatcher(wakeups);
    await produce(topic, ['x', 'y']);

    await dispatcher.onAppends([`${topicId}#0`]);
    const waiting = await describeSubscription(name);
    await produce(topic, ['z']);
    await dispatcher.onAppends([`${topicId}#0`]); // the partition waits for its retry
    const deliveredDuringBackoff = deliveriesOf(name).length;
    await sleep(BACKOFF_MS + 10);
    await dispatcher.wake(name, 0);

    expect(waiting.partitions[0]).toMatchObject({ position: 0, attempts: 1, lastError: 'the webhook answered HTTP 500' });
    expect(wakeups.asked[0]).toMatchObject({ subscription: name, partition: 0 });
    expect(wakeups.asked[0]!.delayMs).toBeGreaterThanOrEqual(BACKOFF_MS * 0.75);
    expect(wakeups.asked[0]!.delayMs).toBeLessThanOrEqual(BACKOFF_MS);
    expect(deliveredDuringBackoff).toBe(1);
    const [first, retry, next] = deliveriesOf(name);
    expect(retry!.headers['brook-delivery-id']).toBe(first!.headers['brook-delivery-id']);
    expect(retry!.batch.attempt).toBe(2);
    expect(retry!.batch.records.map((r) => r.offset)).toEqual([0, 1]);
    expect(next!.batch.records.map((r) => r.offset)).toEqual([2]);
    expect(next!.headers['brook-delivery-id']).not.toBe(first!.headers['brook-delivery-id']);
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 3, attempts: 0 });
    expect((await describeSubscription(name)).partitions[0]!.lastError).toBeUndefined();
    hook.answer = () => ({ status: 200 });
  });

  it('with batchItemFailures delivers the records before the lowest failed offset and resumes there', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    let calls = 0;
    hook.answer = (batch) =>
      batch.subscription === name && calls++ === 0 ? { status: 200, body: JSON.stringify({ batchItemFailures: [{ itemIdentifier: '3' }, { itemIdentifier: '2' }] }) } : { status: 200 };
    const dispatcher = newDispatcher();
    await produce(topic, ['0', '1', '2', '3', '4']);

    await dispatcher.onAppends([`${topicId}#0`]);
    const after = await describeSubscription(name);
    await sleep(BACKOFF_MS + 10);
    await dispatcher.wake(name, 0);

    expect(after.partitions[0]).toMatchObject({ position: 2, attempts: 1 });
    expect(deliveriesOf(name).map((d) => d.batch.records.map((r) => r.offset))).toEqual([[0, 1, 2, 3, 4], [2, 3, 4]]);
    expect((await describeSubscription(name)).partitions[0]!.position).toBe(5);
    hook.answer = () => ({ status: 200 });
  });

  it('parks records that exhaust maxRetries on the onFailure topic, with their source, and goes on', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name: dlq } = await newTopic();
    const { name } = await subscribe(topic, { maxRetries: 1, onFailure: { topic: dlq } });
    hook.answer = (batch) => (batch.subscription === name && batch.records.some((r) => r.value === 'bad') ? { status: 503 } : { status: 200 });
    const dispatcher = newDispatcher();
    await produce(topic, ['bad'], { key: 'k1', headers: { trace: 't-1' } });

    await dispatcher.onAppends([`${topicId}#0`]);
    await sleep(BACKOFF_MS + 10);
    await dispatcher.wake(name, 0); // the one retry fails too: parked
    await produce(topic, ['good']);
    await dispatcher.onAppends([`${topicId}#0`]);

    const parked = (await brook.call({ method: 'GET', path: `/v1/topics/${dlq}/partitions/0/records`, query: { offset: '0' } })).body as FetchResponse;
    expect(parked.records).toHaveLength(1);
    expect(parked.records[0]).toMatchObject({
      key: 'k1',
      value: 'bad',
      headers: { trace: 't-1', 'brook-source-topic': topic, 'brook-source-partition': '0', 'brook-source-offset': '0', 'brook-error': 'the webhook answered HTTP 503' },
    });
    expect(deliveriesOf(name).map((d) => d.batch.records.map((r) => r.value))).toEqual([['bad'], ['bad'], ['good']]);
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 2, parked: 1, dropped: 0 });
    hook.answer = () => ({ status: 200 });
  });

  it('without onFailure drops and counts what exhausts its retries (maxRetries 0: no retry)', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic, { maxRetries: 0 });
    hook.answer = (batch) => (batch.subscription === name && batch.records[0]!.value === 'bad' ? { status: 400 } : { status: 200 });
    await produce(topic, ['bad']);
    await newDispatcher().onAppends([`${topicId}#0`]);
    const afterDrop = await describeSubscription(name);
    await produce(topic, ['good']);
    await newDispatcher().onAppends([`${topicId}#0`]);

    expect(afterDrop.partitions[0]).toMatchObject({ position: 1, dropped: 1, lastError: 'the webhook answered HTTP 400' });
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 2, dropped: 1 });
    expect(offsetsOf(name)).toEqual([0, 1]);
    hook.answer = () => ({ status: 200 });
  });

  it('drops records older than maxRecordAgeMs without delivering them', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic, { maxRecordAgeMs: 60_000 });
    await produce(topic, ['stale'], { timestamp: Date.now() - 120_000 });
    await produce(topic, ['fresh']);

    await newDispatcher().onAppends([`${topicId}#0`]);

    expect(offsetsOf(name)).toEqual([1]);
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 2, dropped: 1 });
  });

  it('waits up to maxBatchingWindowMs to fill a batch, then delivers on its wake-up', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic, { batchSize: 10, maxBatchingWindowMs: 150 });
    const wakeups = manualWakeups();
    const dispatcher = newDispatcher(wakeups);
    await produce(topic, ['one']);

    await dispatcher.onAppends([`${topicId}#0`]);
    const early = deliveriesOf(name).length;
    await produce(topic, ['two']);
    await sleep(200);
    await dispatcher.wake(name, 0);

    expect(early).toBe(0);
    expect(wakeups.asked[0]!.delayMs).toBeGreaterThan(0);
    expect(wakeups.asked[0]!.delayMs).toBeLessThanOrEqual(150);
    expect(deliveriesOf(name).map((d) => d.batch.records.map((r) => r.value))).toEqual([['one', 'two']]);
  });

  it('delivers nothing while paused, and again once resumed; nothing at all once deleted', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    const paused = await brook.call({ method: 'PATCH', path: `/v1/subscriptions/${name}`, body: { state: 'paused' } });
    await produce(topic, ['p']);

    await newDispatcher().onAppends([`${topicId}#0`]);
    const whilePaused = deliveriesOf(name).length;
    await brook.call({ method: 'PATCH', path: `/v1/subscriptions/${name}`, body: { state: 'active' } });
    await newDispatcher().onAppends([`${topicId}#0`]);
    const afterResume = deliveriesOf(name).length;
    expect((await brook.call({ method: 'DELETE', path: `/v1/subscriptions/${name}` })).status).toBe(204);
    await produce(topic, ['q']);
    await newDispatcher().onAppends([`${topicId}#0`]);
    await newDispatcher().sweep();

    expect(paused.body).toMatchObject({ state: 'paused' });
    expect(whilePaused).toBe(0);
    expect(afterResume).toBe(1);
    expect(deliveriesOf(name)).toHaveLength(1);
  });

  it('redelivers from a reset position', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    await produce(topic, ['a', 'b']);
    await newDispatcher().onAppends([`${topicId}#0`]);

    const reset = await brook.call({ method: 'POST', path: `/v1/subscriptions/${name}/reset`, body: { to: { offset: 1 } } });
    await newDispatcher().sweep();

    expect(reset.body).toEqual({ partitions: [{ partition: 0, before: 2, after: 1 }] });
    expect(offsetsOf(name)).toEqual([0, 1, 1]);
  });

  it('delivers partitions of one subscription in parallel, one batch per partition at a time, each record once', async () => {
    const { name: topic, topicId } = await newTopic(3);
    const { name } = await subscribe(topic, { batchSize: 3 });
    hook.answer = () => ({ status: 200, delayMs: 20 });
    for (let partition = 0; partition < 3; partition++) {
      const records = Array.from({ length: 9 }, (_, i) => ({ value: `${partition}-${i}`, partition }));
      await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } });
    }
    const keys = [0, 1, 2].map((p) => `${topicId}#${p}`);
    hook.maxInFlightPerPartition = 0;

    // Four dispatchers race for the same partitions, as overlapping stream batches would.
    await Promise.all([newDispatcher(), newDispatcher(), newDispatcher(), newDispatcher()].map((d) => d.onAppends(keys)));

    for (let partition = 0; partition < 3; partition++) {
      const offsets = deliveriesOf(name).filter((d) => d.batch.partition === partition).flatMap((d) => d.batch.records.map((r) => r.offset));
      expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    }
    expect(hook.maxInFlightPerPartition).toBe(1);
    const starts = new Set(deliveriesOf(name).map((d) => d.batch.partition));
    expect(starts).toEqual(new Set([0, 1, 2]));
    hook.answer = () => ({ status: 200 });
  });
});

describe('subscriptions: wake-ups and time limits', () => {
  it('asks again when woken before the retry is due, and delivers once it is', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    let calls = 0;
    hook.answer = (batch) => (batch.subscription === name && calls++ === 0 ? { status: 500 } : { status: 200 });
    const wakeups = manualWakeups();
    const dispatcher = newDispatcher(wakeups);
    await produce(topic, ['early']);

    await dispatcher.onAppends([`${topicId}#0`]);
    await dispatcher.wake(name, 0); // too early: the retry is not due
    const asked = wakeups.asked.map((w) => w.delayMs);
    await sleep(BACKOFF_MS + 60);
    await dispatcher.wake(name, 0);

    expect(asked).toHaveLength(2);
    expect(asked[1]).toBeGreaterThan(0);
    expect(asked[1]).toBeLessThanOrEqual(BACKOFF_MS + 50);
    expect(deliveriesOf(name).map((d) => d.batch.attempt)).toEqual([1, 2]);
    hook.answer = () => ({ status: 200 });
  });

  it('hands partitions it has no time for to a wake-up instead of starting them', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    await produce(topic, ['later']);
    const wakeups = manualWakeups();

    const report = await newDispatcher(wakeups).dispatch({ kind: 'changes', partitionKeys: new Set([`${topicId}#0`]), subscriptions: new Set() }, 1_000);

    expect(report.delivered).toBe(0);
    expect(deliveriesOf(name)).toHaveLength(0);
    expect(wakeups.asked).toEqual([{ subscription: name, partition: 0, delayMs: 0 }]);
  });

  it('runs a subscription whose settings changed (created, resumed, reset) without waiting for an append', async () => {
    const { name: topic } = await newTopic();
    await produce(topic, ['backlog-1', 'backlog-2']);
    const { name } = await subscribe(topic);

    const report = await newDispatcher().dispatch({ kind: 'changes', partitionKeys: new Set(), subscriptions: new Set([name]) });

    expect(report.delivered).toBe(2);
    expect(offsetsOf(name)).toEqual([0, 1]);
  });

  it('waits while parking is impossible, then parks without trying the target again', async () => {
    const { name: topic, topicId } = await newTopic();
    const dlq = unique('dlq');
    await brook.call({ method: 'POST', path: '/v1/topics', body: { name: dlq, partitions: 1 } });
    const { name } = await subscribe(topic, { maxRetries: 0, onFailure: { topic: dlq } });
    await brook.call({ method: 'DELETE', path: `/v1/topics/${dlq}` });
    hook.answer = (batch) => (batch.subscription === name ? { status: 500 } : { status: 200 });
    const dispatcher = newDispatcher();
    await produce(topic, ['stuck']);

    await dispatcher.onAppends([`${topicId}#0`]);
    const waiting = (await describeSubscription(name)).partitions[0]!;
    await brook.call({ method: 'POST', path: '/v1/topics', body: { name: dlq, partitions: 1 } });
    await sleep(BACKOFF_MS * 2 + 60);
    await dispatcher.wake(name, 0);

    expect(waiting).toMatchObject({ position: 0, parked: 0 });
    expect(waiting.lastError).toContain('cannot park');
    expect(deliveriesOf(name)).toHaveLength(1);
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 1, parked: 1 });
    const parked = (await brook.call({ method: 'GET', path: `/v1/topics/${dlq}/partitions/0/records`, query: { offset: '0' } })).body as FetchResponse;
    expect(parked.records.map((r) => r.value)).toEqual(['stuck']);
    hook.answer = () => ({ status: 200 });
  });
});

describe('subscriptions: leases', () => {
  it('delivers nothing while another dispatcher holds the lease, and takes over once it expires', async () => {
    const { name: topic, topicId } = await newTopic();
    const { name } = await subscribe(topic);
    const store = subscriptionStore(brook.wiring);
    const subscription = (await store.find(name))!;
    const now = Date.now();
    expect(await store.acquire(subscription, 0, 'crashed-dispatcher', now, now + 300)).toHaveProperty('delivery');
    await produce(topic, ['held']);

    await newDispatcher().onAppends([`${topicId}#0`]);
    const whileHeld = deliveriesOf(name).length;
    await sleep(350);
    await newDispatcher().onAppends([`${topicId}#0`]);

    expect(whileHeld).toBe(0);
    expect(offsetsOf(name)).toEqual([0]);
  });

  it('fences a dispatcher whose lease was taken: its position update writes nothing', async () => {
    const { name: topic } = await newTopic();
    const { name } = await subscribe(topic);
    await produce(topic, ['a', 'b', 'c']);
    const store = subscriptionStore(brook.wiring);
    const subscription = (await store.find(name))!;
    const now = Date.now();
    await store.acquire(subscription, 0, 'old-owner', now, now + 60_000);

    await brook.call({ method: 'POST', path: `/v1/subscriptions/${name}/reset`, body: { to: 'earliest' } }); // takes the lease away
    const fenced = await store.settle(subscription, 0, 'old-owner', { position: 3, attempts: 0 });

    expect(fenced).toBeUndefined();
    expect((await describeSubscription(name)).partitions[0]!.position).toBe(0);
  });
});

describe('subscriptions: Lambda targets on the local stack', () => {
  it('invokes the mapped handler with the batch as its event, and honours its batchItemFailures', async () => {
    const { name: topic, topicId } = await newTopic();
    const name = unique('s');
    const created = await brook.call({ method: 'POST', path: '/v1/subscriptions', body: { name, topic, target: { type: 'lambda', functionArn: LAMBDA_ARN }, startAt: 'earliest', maxRetries: 0 } });
    await produce(topic, ['ok', 'poison', 'after']);

    await newDispatcher().onAppends([`${topicId}#0`]);

    expect(created.status).toBe(201);
    expect((created.body as { target: Record<string, unknown> }).target).toEqual({ type: 'lambda', functionArn: LAMBDA_ARN });
    const mine = lambdaEvents.filter((event) => event.subscription === name);
    expect(mine[0]!.records.map((r) => r.value)).toEqual(['ok', 'poison', 'after']);
    // offset 1 failed once with maxRetries 0: only it is dropped; delivery went on at 2.
    expect(mine.map((event) => event.records.map((r) => r.value))).toEqual([['ok', 'poison', 'after'], ['after']]);
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 3, dropped: 1 });
  });

  it('refuses a function the local stack cannot run', async () => {
    const { name: topic } = await newTopic();
    const response = await brook.call({
      method: 'POST',
      path: '/v1/subscriptions',
      body: { name: unique('s'), topic, target: { type: 'lambda', functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:unmapped' } },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    expect(JSON.stringify(response.body)).toContain('BROOK_LOCAL_LAMBDAS');
  });
});

describe('subscriptions: the routes', () => {
  it('shows a webhook secret once: never in GET or list', async () => {
    const { name: topic } = await newTopic();
    const { name, secret } = await subscribe(topic);

    const got = await brook.call({ method: 'GET', path: `/v1/subscriptions/${name}` });
    const listed = await brook.call({ method: 'GET', path: '/v1/subscriptions' });

    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(JSON.stringify(got.body)).not.toContain(secret!);
    expect(JSON.stringify(listed.body)).not.toContain(secret!);
    expect((listed.body as { subscriptions: { name: string }[] }).subscriptions.map((s) => s.name)).toContain(name);
    expect(got.body).toMatchObject({ name, topic, target: { type: 'http', url: hook.url }, state: 'active', batchSize: 100, maxRetries: 10, maxRecordAgeMs: -1, maxBatchingWindowMs: 0, onFailure: null, encoding: 'utf8' });
  });

  it('answers the contract codes for taken names, unknown names and bad settings, and writes nothing then', async () => {
    const { name: topic } = await newTopic();
    const { name } = await subscribe(topic);
    const post = (body: Record<string, unknown>) => brook.call({ method: 'POST', path: '/v1/subscriptions', body: { name: unique('s'), topic, target: { type: 'http', url: hook.url }, ...body } });

    expect((await post({ name })).body).toMatchObject({ error: { code: 'SUBSCRIPTION_EXISTS' } });
    expect((await brook.call({ method: 'GET', path: '/v1/subscriptions/nope' })).body).toMatchObject({ error: { code: 'SUBSCRIPTION_NOT_FOUND' } });
    expect((await brook.call({ method: 'DELETE', path: '/v1/subscriptions/nope' })).status).toBe(404);
    expect((await post({ batchSize: 0 })).status).toBe(400);
    expect((await post({ batchSize: 10_001 })).status).toBe(400);
    expect((await post({ maxRecordAgeMs: 1000 })).status).toBe(400);
    expect((await post({ maxRetries: -2 })).status).toBe(400);
    expect((await post({ maxBatchingWindowMs: 300_001 })).status).toBe(400);
    expect((await post({ topic: 'missing-topic' })).body).toMatchObject({ error: { code: 'TOPIC_NOT_FOUND' } });
    expect((await post({ onFailure: { topic } })).status).toBe(400);
    expect((await post({ onFailure: { topic: 'missing-dlq' } })).body).toMatchObject({ error: { code: 'TOPIC_NOT_FOUND' } });
    expect((await post({ target: { type: 'http', url: 'not a url' } })).status).toBe(400);
    expect((await post({ target: { type: 'lambda', functionArn: 'orders' } })).status).toBe(400);
    expect((await post({ name: 'bad name' })).status).toBe(400);
    expect((await brook.call({ method: 'PATCH', path: `/v1/subscriptions/${name}`, body: { state: 'stopped' } })).status).toBe(400);

    const names = ((await brook.call({ method: 'GET', path: '/v1/subscriptions' })).body as { subscriptions: { topic: string }[] }).subscriptions.filter((s) => s.topic === topic);
    expect(names).toHaveLength(1);
  });
});

/**
 * Answers with records (docs/subscriptions.md, "Answers with records"): the
 * records a target answers with are written in one transaction with the
 * position that delivers the batch, so a batch delivered again writes them
 * once.
 */
describe('subscriptions: answers with records, written once with the position', () => {
  const RECORDS_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:records-handler';

  /** A 2xx answer with this JSON body. */
  const answerWith = (body: unknown) => ({ status: 200, body: JSON.stringify(body) });
  /** What the webhooks below answer for one record: a record on `out`. */
  const seen = (out: string) => (record: FetchedRecord) => ({ topic: out, key: record.key, value: `seen ${record.value}`, headers: { 'source-offset': String(record.offset) } });

  /** Every record of partition 0 of `topic`, in `encoding`. */
  async function recordsOf(topic: string, encoding = 'utf8'): Promise<FetchedRecord[]> {
    const page = await brook.call({ method: 'GET', path: `/v1/topics/${topic}/partitions/0/records`, query: { offset: '0', maxRecords: '1000', encoding } });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    return (page.body as FetchResponse).records;
  }

  /** Answers for one subscription's batches; the other subscriptions' batches are answered 200. */
  function answerFor(name: string, answer: (batch: DeliveryBatch, index: number) => { status: number; body?: string; delayMs?: number }): void {
    let index = 0;
    hook.answer = (batch) => (batch.subscription === name ? answer(batch, index++) : { status: 200 });
  }

  it('writes the records a webhook answers with, once, with the position that delivers the batch', async () => {
    const { name: topic, topicId } = await newTopic();
    const out = await newTopic();
    const { name } = await subscribe(topic);
    answerFor(name, (batch) => answerWith({ records: batch.records.map(seen(out.name)) }));
    try {
      await produce(topic, ['a', 'b', 'c'], { key: 'k' });

      const report = await newDispatcher().onAppends([`${topicId}#0`]);
      await newDispatcher().onAppends([`${topicId}#0`]); // nothing left to deliver: nothing written again

      expect(report).toMatchObject({ delivered: 3, failed: 0 });
      expect((await recordsOf(out.name)).map((r) => [r.key, r.value, r.headers])).toEqual([
        ['k', 'seen a', { 'source-offset': '0' }],
        ['k', 'seen b', { 'source-offset': '1' }],
        ['k', 'seen c', { 'source-offset': '2' }],
      ]);
      const partition = (await describeSubscription(name)).partitions[0]!;
      expect(partition).toMatchObject({ position: 3, attempts: 0 });
      expect(partition.lastError).toBeUndefined();
      expect(deliveriesOf(name)).toHaveLength(1);
    } finally {
      hook.answer = () => ({ status: 200 });
    }
  });

  it('reads the records in the subscription\'s encoding', async () => {
    const { name: topic, topicId } = await newTopic();
    const out = await newTopic();
    const { name } = await subscribe(topic, { encoding: 'base64' });
    const bytes = Buffer.from([0xff, 0x00, 0x10]).toString('base64');
    answerFor(name, () => answerWith({ records: [{ topic: out.name, partition: 0, key: Buffer.from('key').toString('base64'), value: bytes, headers: { h: bytes }, timestamp: 1_700_000_000_000 }] }));
    try {
      await produce(topic, ['x']);

      await newDispatcher().onAppends([`${topicId}#0`]);

      expect(await recordsOf(out.name, 'base64')).toEqual([
        expect.objectContaining({ offset: 0, key: Buffer.from('key').toString('base64'), value: bytes, headers: { h: bytes }, timestamp: 1_700_000_000_000 }),
      ]);
      expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 1 });
    } finally {
      hook.answer = () => ({ status: 200 });
    }
  });

  it('with batchItemFailures, writes the records with the position the answer moves to, and none when no record was delivered', async () => {
    const { name: topic, topicId } = await newTopic();
    const out = await newTopic();
    const { name } = await subscribe(topic);
    answerFor(name, (batch, index) => {
      // 1st: offsets 0-2, offset 1 fails: the output of offset 0 comes with position 1.
      if (index === 0) return answerWith({ batchItemFailures: [{ itemIdentifier: '1' }], records: [seen(out.name)(batch.records[0]!)] });
      // 2nd: offsets 1-2, offset 1 fails again: nothing delivered, so its records are not written.
      if (index === 1) return answerWith({ batchItemFailures: [{ itemIdentifier: '1' }], records: [{ topic: out.name, value: 'never' }] });
      return answerWith({ records: batch.records.map(seen(out.name)) });
    });
    const wakeups = manualWakeups();
    const dispatcher = newDispatcher(wakeups);
    try {
      await produce(topic, ['a', 'b', 'c']);

      await dispatcher.onAppends([`${topicId}#0`]);
      const afterPartial = (await describeSubscription(name)).partitions[0]!;
      const writtenAfterPartial = (await recordsOf(out.name)).map((r) => r.value);
      await sleep(BACKOFF_MS + 60);
      await dispatcher.wake(name, 0);
      const afterFailure = (await describeSubscription(name)).partitions[0]!;
      await sleep(2 * BACKOFF_MS + 60);
      await dispatcher.wake(name, 0);

      expect(afterPartial).toMatchObject({ position: 1, attempts: 1 });
      expect(writtenAfterPartial).toEqual(['seen a']);
      expect(afterFailure).toMatchObject({ position: 1, attempts: 2 });
      expect(afterFailure.lastError).toContain('records were not written');
      expect(deliveriesOf(name).map((d) => d.batch.records.map((r) => r.offset))).toEqual([[0, 1, 2], [1, 2], [1, 2]]);
      expect((await recordsOf(out.name)).map((r) => r.value)).toEqual(['seen a', 'seen b', 'seen c']);
      expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 3, attempts: 0 });
    } finally {
      hook.answer = () => ({ status: 200 });
    }
  });

  it('writes nothing when the lease was lost before the answer: the batch is delivered again and its records written then, once', async () => {
    const { name: topic, topicId } = await newTopic();
    const out = await newTopic();
    const { name } = await subscribe(topic);
    let reset: Promise<unknown> | undefined;
    answerFor(name, (batch, index) => {
      // The first answer comes after a reset has taken the lease away from the dispatcher waiting for it.
      if (index === 0) reset = brook.call({ method: 'POST', path: `/v1/subscriptions/${name}/reset`, body: { to: 'earliest' } });
      return { ...answerWith({ records: batch.records.map(seen(out.name)) }), delayMs: index === 0 ? 500 : 0 };
    });
    try {
      await produce(topic, ['a']);

      await newDispatcher().onAppends([`${topicId}#0`]);

      expect((await reset)).toMatchObject({ status: 200 });
      expect(deliveriesOf(name).map((d) => d.batch.records.map((r) => r.offset))).toEqual([[0], [0]]);
      expect((await recordsOf(out.name)).map((r) => r.value)).toEqual(['seen a']);
      expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 1, attempts: 0 });
    } finally {
      hook.answer = () => ({ status: 200 });
    }
  });

  it.each([
    ['the answer to the transaction is lost once (the SDK tries it again)', { nth: 1 }],
    ['every answer to the transaction is lost (the outcome unknown, the partition tried again later)', { fraction: 1 }],
  ])('%s: the records are written once', async (_, pick) => {
    const { name: topic, topicId } = await newTopic();
    const out = await newTopic();
    const { name } = await subscribe(topic);
    answerFor(name, (batch) => answerWith({ records: batch.records.map(seen(out.name)) }));
    const proxy = await startStorageProxy('dynamodb', emulatorEndpoints().dynamoDbEndpoint);
    try {
      const wakeups = manualWakeups();
      const dispatcher = createDispatcher(brookWiring({ ...brook.config, dynamoDbEndpoint: proxy.endpoint }, { logger: silentLogger }), { logger: silentLogger, wakeups });
      await produce(topic, ['a', 'b']);

      proxy.setRules([{ operation: 'TransactWriteItems', ...pick, action: { kind: 'lostAnswer' } }]);
      let lost: number;
      try {
        await dispatcher.onAppends([`${topicId}#0`]);
      } finally {
        lost = proxy.stats().faults.lostAnswer;
        proxy.setRules([]);
      }
      for (const wake of wakeups.asked) await dispatcher.wake(wake.subscription, wake.partition);
      await dispatcher.onAppends([`${topicId}#0`]);

      const evidence = `lost ${lost}; wake-ups ${JSON.stringify(wakeups.asked)}; deliveries ${deliveriesOf(name).length}`;
      expect(lost, evidence).toBeGreaterThanOrEqual(1);
      expect((await recordsOf(out.name)).map((r) => r.value), evidence).toEqual(['seen a', 'seen b']);
      expect((await describeSubscription(name)).partitions[0], evidence).toMatchObject({ position: 2, attempts: 0 });
      expect(deliveriesOf(name), evidence).toHaveLength(1);
    } finally {
      hook.answer = () => ({ status: 200 });
      await proxy.stop();
    }
  });

  it('recognizes its own settle when a transaction is tried again after it landed, and a lost lease otherwise (SubscriptionStore.settlePart)', async () => {
    const { name: topic } = await newTopic();
    const out = await newTopic();
    const { name } = await subscribe(topic);
    const store = subscriptionStore(brook.wiring);
    const subscription = (await store.find(name))!;
    const now = Date.now();
    expect(await store.acquire(subscription, 0, 'owner-1', now, now + 60_000)).toHaveProperty('delivery');
    const transactions = new TransactionService({
      doc: brook.wiring.doc,
      log: brook.log,
      snapshots: new SnapshotReader(brook.wiring.doc, brook.config.tables, brook.topics),
      groups: { transactionalCommit: () => Promise.reject(new Error('no commits here')) },
    });
    const records = () => [{ topic: out.name, record: { key: null, value: new TextEncoder().encode('once'), headers: [], timestamp: now } }];
    const part = store.settlePart(subscription, 0, 'owner-1', { position: 3, attempts: 0, lastError: null });

    await transactions.commit({ records: records(), with: part });
    const settled = await part.settled();
    // The same settle again, as a transaction tried again after its answer was lost would send it.
    const again = await transactions.commit({ records: records(), with: part }).then(() => 'committed', (error: unknown) => error);
    // A settle of the same owner, whose lease the first one gave up.
    const fenced = await transactions.commit({ records: records(), with: store.settlePart(subscription, 0, 'owner-1', { position: 9, attempts: 0 }) }).then(() => 'committed', (error: unknown) => error);

    expect(settled).toMatchObject({ position: 3 });
    expect(settled?.leaseOwner).toBeUndefined();
    expect(again).toBeInstanceOf(SettleLanded);
    expect((again as SettleLanded).item).toMatchObject({ position: 3 });
    expect(fenced).toBeInstanceOf(SettleLeaseLost);
    expect((await recordsOf(out.name)).map((r) => r.value)).toEqual(['once']);
    expect(await store.delivery(subscription, 0)).toMatchObject({ position: 3 });
  });

  it('fails the delivery on records that cannot be written, writes none of them, and retries or parks as for any failure', async () => {
    const { name: topic, topicId } = await newTopic();
    const out = await newTopic();
    const small = unique('small');
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: small, partitions: 1, config: { maxMessageBytes: 16 } } })).status).toBe(201);
    const dlq = await newTopic();
    const missing = await subscribe(topic, { maxRetries: 0, onFailure: { topic: dlq.name } });
    const malformed = await subscribe(topic);
    const tooLarge = await subscribe(topic);
    const notAList = await subscribe(topic);
    const answers: Record<string, unknown> = {
      // A good record beside one on a topic that does not exist: neither is written.
      [missing.name]: { records: [{ topic: out.name, value: 'good' }, { topic: 'no-such-topic', value: 'lost' }] },
      [malformed.name]: { records: [{ topic: out.name, value: 'v', offset: 3 }] },
      [tooLarge.name]: { records: [{ topic: small, value: 'more than sixteen bytes' }] },
      [notAList.name]: { records: { topic: out.name } },
    };
    hook.answer = (batch) => (answers[batch.subscription] ? answerWith(answers[batch.subscription]) : { status: 200 });
    const wakeups = manualWakeups();
    try {
      await produce(topic, ['x']);

      const report = await newDispatcher(wakeups).onAppends([`${topicId}#0`]);

      expect(report).toMatchObject({ partitions: 4, delivered: 0, failed: 4, parked: 1 });
      expect(await recordsOf(out.name)).toEqual([]);
      expect(await recordsOf(small)).toEqual([]);
      const parked = (await describeSubscription(missing.name)).partitions[0]!;
      expect(parked).toMatchObject({ position: 1, parked: 1 });
      expect(parked.lastError).toContain('TOPIC_NOT_FOUND');
      expect((await recordsOf(dlq.name)).map((r) => r.value)).toEqual(['x']);
      for (const [subscription, code] of [[malformed.name, 'INVALID_RECORD'], [tooLarge.name, 'RECORD_TOO_LARGE'], [notAList.name, 'not a list']] as const) {
        const partition = (await describeSubscription(subscription)).partitions[0]!;
        expect(partition, subscription).toMatchObject({ position: 0, attempts: 1 });
        expect(partition.lastError, subscription).toContain(code);
      }
      expect(wakeups.asked.map((w) => w.subscription).sort()).toEqual([malformed.name, tooLarge.name, notAList.name].sort());
    } finally {
      hook.answer = () => ({ status: 200 });
    }
  });

  it('writes the records a Lambda target returns, once, with the position', async () => {
    const local = await brookUnderTest({ ...brook.config, localLambdas: { ...brook.config.localLambdas, [RECORDS_ARN]: 'test/fixtures/lambdaRecordsTarget.ts#handler' } });
    const { name: topic, topicId } = await newTopic();
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: `${topic}-out`, partitions: 1 } })).status).toBe(201);
    const name = unique('s');
    const created = await local.call({ method: 'POST', path: '/v1/subscriptions', body: { name, topic, target: { type: 'lambda', functionArn: RECORDS_ARN }, startAt: 'earliest' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    await produce(topic, ['one', 'two']);
    const dispatcher = createDispatcher(local.wiring, { logger: silentLogger, wakeups: manualWakeups() });

    const report = await dispatcher.onAppends([`${topicId}#0`]);
    await dispatcher.onAppends([`${topicId}#0`]);

    expect(report).toMatchObject({ delivered: 2, failed: 0 });
    expect(recordsLambdaEvents.filter((event) => event.subscription === name)).toHaveLength(1);
    expect((await recordsOf(`${topic}-out`)).map((r) => [r.value, r.headers])).toEqual([
      ['{"processed":"one"}', { 'source-offset': '0' }],
      ['{"processed":"two"}', { 'source-offset': '1' }],
    ]);
    expect((await describeSubscription(name)).partitions[0]).toMatchObject({ position: 2, attempts: 0 });
  });
});
