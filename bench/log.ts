/**
 * Benchmarks of the partition log on the local stack (`npm run bench`).
 *
 * 1. Append throughput over HTTP, next to plain `PutItem` of the same bytes
 *    into the same DynamoDB Local at the same concurrency, with the DynamoDB
 *    write units each spends per MB (counted from `ConsumedCapacity`).
 * 2. Produce-to-consume latency through a long-polling fetch.
 * 3. What ingest costs per GB at 100-record batches, priced from the counted
 *    requests with AWS's public on-demand prices (us-east-1).
 *
 * The stack reads the caller's key on every request (no key cache), as the
 * Lambda functions do by default so that a revoke works at once.
 *
 * Options (env): BENCH_CONCURRENCY (8), BENCH_REQUESTS (40 per worker),
 * BENCH_RECORDS (100 per request), BENCH_RECORD_BYTES (1000),
 * BENCH_INLINE_BATCH_MAX_BYTES (the stack's default), BENCH_LATENCY_SAMPLES (300).
 * Prints a table and writes bench/results/log-<mode>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/storage/clients.js';
import { requestCounts, resetRequestCounts, type RequestCounts } from '../functions/storage/requestMeter.js';
import { startLocalStack } from '../local/stack.js';
import { encodeBatch, RECORD_BATCH_CONTENT_TYPE } from '../protocol/recordBatch.js';
import { PRICES, priceOf } from './prices.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CONCURRENCY = env('BENCH_CONCURRENCY', 8);
const REQUESTS = env('BENCH_REQUESTS', 40);
const RECORDS = env('BENCH_RECORDS', 100);
const RECORD_BYTES = env('BENCH_RECORD_BYTES', 1000);
const LATENCY_SAMPLES = env('BENCH_LATENCY_SAMPLES', 300);
const INLINE = process.env.BENCH_INLINE_BATCH_MAX_BYTES ? Number(process.env.BENCH_INLINE_BATCH_MAX_BYTES) : undefined;
const MB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function timed<T>(run: () => Promise<T>): Promise<{ ms: number; counts: RequestCounts; value: T }> {
  resetRequestCounts();
  const started = performance.now();
  const value = await run();
  return { ms: performance.now() - started, counts: requestCounts(), value };
}

const dataDir = await mkdtemp(join(tmpdir(), 'brook-bench-'));
const stack = await startLocalStack({ port: 0, dataDir, apiKey: randomBytes(24).toString('hex'), compactIntervalMs: 0, keyCacheTtlMs: 0, ...(INLINE !== undefined ? { inlineBatchMaxBytes: INLINE } : {}) });
const headers = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' };
const api = (path: string, init: RequestInit = {}) => fetch(`${stack.url}/v1${path}`, { ...init, headers });

try {
  await api('/topics', { method: 'POST', body: JSON.stringify({ name: 'bench', partitions: CONCURRENCY }) });
  await api('/topics', { method: 'POST', body: JSON.stringify({ name: 'latency', partitions: 1 }) });

  // The payload: random bytes (incompressible, so compression cannot flatter Brook), sent base64 in JSON.
  const payloads = Array.from({ length: CONCURRENCY }, () => Array.from({ length: RECORDS }, () => randomBytes(RECORD_BYTES)));
  const bodies = payloads.map((records, partition) =>
    JSON.stringify({ encoding: 'base64', records: records.map((value) => ({ value: value.toString('base64'), partition })) }),
  );
  const payloadBytes = CONCURRENCY * REQUESTS * RECORDS * RECORD_BYTES;

  // Warm up both paths (JIT, connections, table creation effects), then measure.
  await Promise.all(bodies.map((body) => api('/topics/bench/records', { method: 'POST', body })));
  const append = await timed(async () => {
    let failures = 0;
    await Promise.all(
      bodies.map(async (body) => {
        for (let i = 0; i < REQUESTS; i++) {
          const response = await api('/topics/bench/records', { method: 'POST', body });
          if (response.status !== 200) failures++;
          await response.arrayBuffer();
        }
      }),
    );
    return failures;
  });

  // The same records as one binary batch per request (what the SDK sends): no JSON, no base64.
  const batches = payloads.map((records) =>
    encodeBatch(records.map((value) => ({ key: null, value, headers: [], timestamp: Date.now() })), { compression: 'auto' }),
  );
  const binary = await timed(async () => {
    let failures = 0;
    await Promise.all(
      batches.map(async (batch, partition) => {
        for (let i = 0; i < REQUESTS; i++) {
          const response = await fetch(`${stack.url}/v1/topics/bench/records?partition=${partition}`, {
            method: 'POST',
            headers: { authorization: headers.authorization, 'content-type': RECORD_BATCH_CONTENT_TYPE },
            body: batch,
          });
          if (response.status !== 200) failures++;
          await response.arrayBuffer();
        }
      }),
    );
    return failures;
  });

  // One request at a time: what one invocation takes, to price Lambda time.
  const sequential = await timed(async () => {
    for (let i = 0; i < 20; i++) await (await api('/topics/bench/records', { method: 'POST', body: bodies[0]! })).arrayBuffer();
  });
  const invocationMs = sequential.ms / 20;

  const doc = createDocumentClient(stack.config);
  const items = payloads.map((records) => Buffer.concat(records));
  await Promise.all(items.map((b, w) => doc.send(new PutCommand({ TableName: stack.config.tables.log, Item: { pk: `plain#${w}`, sk: -2, b } }))));
  const plain = await timed(async () => {
    await Promise.all(
      items.map(async (b, w) => {
        for (let i = 0; i < REQUESTS; i++) {
          await doc.send(new PutCommand({ TableName: stack.config.tables.log, Item: { pk: `plain#${w}`, sk: i, b } }));
        }
      }),
    );
  });

  // Latency: one producer, one consumer long-polling the next offset.
  const latencies: number[] = [];
  let offset = 0;
  const sentAt = new Map<string, number>();
  const consumer = (async () => {
    while (latencies.length < LATENCY_SAMPLES) {
      const response = await api(`/topics/latency/partitions/0/records?offset=${offset}&waitMs=20000`);
      const body = (await response.json()) as { records: { value: string }[]; nextOffset: number };
      const now = performance.now();
      for (const record of body.records) latencies.push(now - sentAt.get(record.value)!);
      offset = body.nextOffset;
    }
  })();
  for (let i = 0; i < LATENCY_SAMPLES; i++) {
    const value = `m${i}`;
    sentAt.set(value, performance.now());
    await (await api('/topics/latency/records', { method: 'POST', body: JSON.stringify({ records: [{ value }] }) })).arrayBuffer();
    await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 10));
  }
  await consumer;
  latencies.sort((a, b) => a - b);

  const appendMBps = payloadBytes / MB / (append.ms / 1000);
  const plainMBps = payloadBytes / MB / (plain.ms / 1000);
  const appendWruPerMB = append.counts.dynamoDbWriteUnits / (payloadBytes / MB);
  const plainWruPerMB = plain.counts.dynamoDbWriteUnits / (payloadBytes / MB);
  const binaryMBps = payloadBytes / MB / (binary.ms / 1000);
  const binaryWruPerMB = binary.counts.dynamoDbWriteUnits / (payloadBytes / MB);
  const requests = CONCURRENCY * REQUESTS;
  const cost = priceOf({ counts: append.counts, invocations: requests, lambdaMs: requests * invocationMs, apiRequests: requests });
  const gb = payloadBytes / 1024 ** 3;

  const results = {
    setup: { concurrency: CONCURRENCY, requestsPerWorker: REQUESTS, recordsPerRequest: RECORDS, recordBytes: RECORD_BYTES, inlineBatchMaxBytes: stack.config.inlineBatchMaxBytes },
    append: { MBps: appendMBps, failures: append.value, wruPerMB: appendWruPerMB, s3PutsPerMB: append.counts.s3Puts / (payloadBytes / MB), counts: append.counts },
    appendBinary: { MBps: binaryMBps, failures: binary.value, wruPerMB: binaryWruPerMB, counts: binary.counts },
    invocationMs,
    plainPutItem: { MBps: plainMBps, wruPerMB: plainWruPerMB },
    ratios: {
      throughput: appendMBps / plainMBps,
      throughputBinary: binaryMBps / plainMBps,
      writeUnits: appendWruPerMB / plainWruPerMB,
      writeUnitsBinary: binaryWruPerMB / plainWruPerMB,
    },
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1), samples: latencies.length },
    costPerGB: { total: cost.total / gb, ...Object.fromEntries(Object.entries(cost.parts).map(([k, v]) => [k, v / gb])) },
    prices: PRICES,
  };
  const mode = stack.config.inlineBatchMaxBytes >= 350_000 ? 'dynamodb-only' : `tiered-${stack.config.inlineBatchMaxBytes}`;
  await mkdir('bench/results', { recursive: true });
  await writeFile(`bench/results/log-${mode}.json`, `${JSON.stringify(results, null, 2)}\n`);

  const f = (n: number, d = 2) => n.toFixed(d);
  console.log(`\nBrook log benchmark (${mode}): ${CONCURRENCY} workers x ${REQUESTS} requests x ${RECORDS} records x ${RECORD_BYTES} B`);
  console.log(`append over HTTP     ${f(appendMBps)} MB/s   ${f(appendWruPerMB, 1)} WRU/MB   ${f(results.append.s3PutsPerMB, 2)} S3 PUT/MB   failures ${append.value}`);
  console.log(`append binary batch  ${f(binaryMBps)} MB/s   ${f(binaryWruPerMB, 1)} WRU/MB   failures ${binary.value}`);
  console.log(`plain PutItem        ${f(plainMBps)} MB/s   ${f(plainWruPerMB, 1)} WRU/MB`);
  console.log(`ratios               throughput JSON ${f(results.ratios.throughput)}x, binary ${f(results.ratios.throughputBinary)}x (target >= 0.8)   write units JSON ${f(results.ratios.writeUnits)}x, binary ${f(results.ratios.writeUnitsBinary)}x (target <= 1.05)`);
  console.log(`produce->consume     p50 ${f(results.latencyMs.p50, 1)} ms   p99 ${f(results.latencyMs.p99, 1)} ms (targets 30 / 100)`);
  console.log(`one invocation       ${f(invocationMs, 1)} ms (prices Lambda time)`);
  console.log(`cost per GB in       $${f(results.costPerGB.total, 4)} (target <= 0.08)  ${Object.entries(cost.parts).map(([k, v]) => `${k} $${f(v / gb, 4)}`).join('  ')}`);
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
