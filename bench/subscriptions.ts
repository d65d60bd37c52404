/**
 * Produce-to-webhook latency and the cost of a delivery, on the local stack
 * (`npx tsx bench/subscriptions.ts`).
 *
 * One topic, one partition, a webhook subscription with batch size 1 (the
 * receiver is a node:http server on 127.0.0.1). Records are produced one at
 * a time through the HTTP API; each one's latency is from the start of its
 * produce request to its arrival at the webhook. The same records produced
 * without a subscription give the produce-only storage cost, so the
 * difference is what delivery adds per record (DynamoDB units and requests,
 * counted by the request meter and priced in bench/prices.ts).
 *
 * Options (env): BENCH_DELIVERIES (300), BENCH_BATCH_SIZE (1). Prints a
 * table and writes bench/results/subscriptions.json.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestCounts, resetRequestCounts, type RequestCounts } from '../functions/storage/requestMeter.js';
import { startLocalStack } from '../local/stack.js';
import { PRICES } from './prices.js';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 300);
const BATCH_SIZE = Number(process.env.BENCH_BATCH_SIZE ?? 1);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Arrival times by record value, and waiters for them. */
const arrived = new Map<string, number>();
const waiting = new Map<string, () => void>();
const receiver = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const at = performance.now();
    const { records } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { records: { value: string }[] };
    response.end();
    for (const { value } of records) {
      arrived.set(value, at);
      waiting.get(value)?.();
    }
  });
});
await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const dataDir = await mkdtemp(join(tmpdir(), 'brook-bench-subscriptions-'));
const stack = await startLocalStack({ port: 0, dataDir, apiKey: randomBytes(24).toString('hex'), compactIntervalMs: 0, subscriptionSweepIntervalMs: 0 });
const call = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
  return response;
};

/** Produces `count` records one at a time; answers each one's produce-to-webhook ms (or produce ms without a subscription). */
async function run(topic: string, count: number, delivered: boolean): Promise<{ latencies: number[]; counts: RequestCounts }> {
  const latencies: number[] = [];
  resetRequestCounts();
  for (let i = 0; i < count; i++) {
    const value = `${topic}-${i}`;
    const started = performance.now();
    const arrival = delivered ? new Promise<void>((resolve) => waiting.set(value, resolve)) : Promise.resolve();
    await call('POST', `/v1/topics/${topic}/records`, { records: [{ value, partition: 0 }] });
    await arrival;
    latencies.push((delivered ? arrived.get(value)! : performance.now()) - started);
  }
  // Let the last run give up its lease before the meter is read.
  await new Promise((resolve) => setTimeout(resolve, 200));
  return { latencies: latencies.sort((a, b) => a - b), counts: requestCounts() };
}

try {
  await call('POST', '/v1/topics', { name: 'bench-plain', partitions: 1 });
  await call('POST', '/v1/topics', { name: 'bench-pushed', partitions: 1 });
  await call('POST', '/v1/subscriptions', { name: 'bench-hook', topic: 'bench-pushed', target: { type: 'http', url: hookUrl }, batchSize: BATCH_SIZE });
  await run('bench-pushed', 20, true); // warm-up
  const plain = await run('bench-plain', DELIVERIES, false);
  const pushed = await run('bench-pushed', DELIVERIES, true);

  const per = (counts: RequestCounts, key: keyof RequestCounts) => counts[key] / DELIVERIES;
  const added = {
    dynamoDbReadUnits: per(pushed.counts, 'dynamoDbReadUnits') - per(plain.counts, 'dynamoDbReadUnits'),
    dynamoDbWriteUnits: per(pushed.counts, 'dynamoDbWriteUnits') - per(plain.counts, 'dynamoDbWriteUnits'),
    dynamoDbRequests: per(pushed.counts, 'dynamoDbRequests') - per(plain.counts, 'dynamoDbRequests'),
  };
  // In AWS each delivery of a batch of 1 is also one dispatcher invocation (about 50 ms at 1 GB).
  const perMillion = 1e6 * (added.dynamoDbReadUnits * PRICES.dynamoDbReadUnit + added.dynamoDbWriteUnits * PRICES.dynamoDbWriteUnit + PRICES.lambdaRequest + 0.05 * PRICES.lambdaMemoryGb * PRICES.lambdaGbSecond);
  const result = {
    deliveries: DELIVERIES,
    batchSize: BATCH_SIZE,
    produceMs: { p50: percentile(plain.latencies, 50), p99: percentile(plain.latencies, 99) },
    produceToWebhookMs: { p50: percentile(pushed.latencies, 50), p99: percentile(pushed.latencies, 99), max: pushed.latencies.at(-1) },
    addedPerDelivery: added,
    deliveryUsdPerMillion: perMillion,
  };
  const round = (n: number) => Math.round(n * 100) / 100;
  console.table({
    'produce alone (ms)': { p50: round(result.produceMs.p50), p99: round(result.produceMs.p99) },
    'produce to webhook (ms)': { p50: round(result.produceToWebhookMs.p50), p99: round(result.produceToWebhookMs.p99) },
  });
  console.log('added per delivery:', Object.fromEntries(Object.entries(added).map(([k, v]) => [k, round(v)])), `$${round(perMillion)} per million deliveries`);
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/subscriptions.json', `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await stack.stop();
  receiver.close();
  await rm(dataDir, { recursive: true, force: true });
}
