import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyDelivery } from '../../protocol/webhookSignature.js';
import { events as lambdaEvents } from '../fixtures/lambdaTarget.js';
import { localStackForTests, type LocalStackForTests } from '../helpers/localStack.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhookReceiver.js';

const LAMBDA_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:local-orders';

let stack: LocalStackForTests;
let hook: WebhookReceiver;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

beforeAll(async () => {
  hook = await startWebhookReceiver();
  stack = await localStackForTests({
    prefix: 'brook-subs-',
    subscriptionBackoffMs: 100,
    subscriptionSweepIntervalMs: 0,
    localLambdas: { [LAMBDA_ARN]: 'test/fixtures/lambdaTarget.ts#handler' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await hook?.close();
});

describe('local stack: subscriptions', () => {
  it('pushes each append to a webhook at once, signed, with no consumer running', async () => {
    expect((await api('POST', '/v1/topics', { name: 'orders', partitions: 2 })).status).toBe(201);
    const created = await api('POST', '/v1/subscriptions', { name: 'orders-hook', topic: 'orders', target: { type: 'http', url: hook.url } });
    const secret = (created.body.target as { secret: string }).secret;

    const started = Date.now();
    await api('POST', '/v1/topics/orders/records', { records: [{ key: 'o-1', value: { total: 5 } }] });
    await hook.waitFor(1, 5_000);

    const [delivery] = hook.received;
    expect(created.status).toBe(201);
    expect(delivery!.at - started).toBeLessThan(5_000);
    expect(delivery!.batch.records[0]).toMatchObject({ key: 'o-1', value: '{"total":5}' });
    expect(verifyDelivery(secret, delivery!.raw, String(delivery!.headers['brook-signature']))).toBe(true);
  });

  it('retries a failing webhook on its own timer, without another append', async () => {
    let calls = 0;
    hook.answer = () => (calls++ < 2 ? { status: 500 } : { status: 200 });
    const before = hook.received.length;

    await api('POST', '/v1/topics/orders/records', { records: [{ key: 'o-1', value: 'retry me' }] });
    await hook.waitFor(before + 3, 10_000);

    const tries = hook.received.slice(before);
    expect(tries.map((d) => d.batch.attempt)).toEqual([1, 2, 3]);
    expect(new Set(tries.map((d) => d.headers['brook-delivery-id'])).size).toBe(1);
    // 100 ms, then 200 ms (less up to a quarter): the second retry waited longer than the first.
    expect(tries[2]!.at - tries[1]!.at).toBeGreaterThanOrEqual(140);
    // The position moves once the answer is in: look until it has.
    const partitionOf = async () =>
      ((await api('GET', '/v1/subscriptions/orders-hook')).body.partitions as { partition: number; attempts: number; lag: number }[]).find(
        (p) => p.partition === tries[0]!.batch.partition,
      );
    await expect.poll(partitionOf, { timeout: 5_000 }).toMatchObject({ attempts: 0, lag: 0 });
    hook.answer = () => ({ status: 200 });
  });

  it('runs a Lambda target mapped in localLambdas: the handler a user deploys', async () => {
    await api('POST', '/v1/topics', { name: 'payments', partitions: 1 });
    const created = await api('POST', '/v1/subscriptions', { name: 'payments-fn', topic: 'payments', target: { type: 'lambda', functionArn: LAMBDA_ARN } });

    await api('POST', '/v1/topics/payments/records', { records: [{ value: 'p-1' }, { value: 'p-2' }] });
    await expect.poll(() => lambdaEvents.filter((e) => e.subscription === 'payments-fn').length, { timeout: 5_000 }).toBe(1);

    expect(created.status).toBe(201);
    expect(lambdaEvents.find((e) => e.subscription === 'payments-fn')!.records.map((r) => r.value)).toEqual(['p-1', 'p-2']);
  });
});
