/**
 * Produce and fetch under a latency model (`npm run bench:latency`).
 *
 * The local stack runs on DynamoDB Local and the S3 emulator through the
 * storage proxy of the tests (test/helpers/storageProxy.ts), which here only
 * delays every storage call as AWS would; on the
 * loopback a round trip costs nothing and CPU hides it, here each one costs
 * what it costs in a region. The run reports, one request at a time, the p50
 * and p99 of produce and fetch through the HTTP layer next to a plain PutItem
 * and a plain GetItem of the same bytes through the same proxy, and the
 * storage calls per request, all of them and those in sequence (round trips,
 * from the request meter's trace, functions/storage/requestMeter.ts).
 *
 * The delays (env, ms), and where the defaults come from:
 * - BENCH_DYNAMODB_MS (4): DynamoDB answers in "single-digit milliseconds"
 *   (AWS, DynamoDB developer guide, "What is Amazon DynamoDB?"); 4 ms is a
 *   typical GetItem/PutItem of a few KB from Lambda in the same region.
 * - BENCH_S3_PUT_MS (15), BENCH_S3_GET_MS (10): for requests under 512 KB "the
 *   median latency is often in the tens of milliseconds range" (AWS
 *   whitepaper "Best Practices Design Patterns: Optimizing Amazon S3
 *   Performance", "Timeouts and Retries for Latency-Sensitive
 *   Applications"); the low end of it, first byte for a GET.
 * Other options: BENCH_SAMPLES (200 per case), BENCH_RECORDS (100 per
 * request), BENCH_RECORD_BYTES (1000), BENCH_INLINE_BATCH_MAX_BYTES (350000:
 * every batch in DynamoDB, so that the model compares DynamoDB calls; set
 * 16384, the stack's default, to see the S3 PUT of larger batches).
 * Prints a table and writes bench/results/latency-<mode>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/storage/clients.js';
import { startDynamoDbLocal, startS3Emulator } from '../local/emulators.js';
import type { ResponseLine } from '../local/server.js';
import { startLocalStack } from '../local/stack.js';
import { encodeBatch, RECORD_BATCH_CONTENT_TYPE } from '../protocol/recordBatch.js';
import { startStorageProxy } from '../test/helpers/storageProxy.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const DYNAMODB_MS = env('BENCH_DYNAMODB_MS', 4);
const S3_PUT_MS = env('BENCH_S3_PUT_MS', 15);
const S3_GET_MS = env('BENCH_S3_GET_MS', 10);
const SAMPLES = env('BENCH_SAMPLES', 200);
const RECORDS = env('BENCH_RECORDS', 100);
const RECORD_BYTES = env('BENCH_RECORD_BYTES', 1000);
const INLINE = env('BENCH_INLINE_BATCH_MAX_BYTES', 350_000);

interface Case {
  p50: number;
  p99: number;
  /** Storage calls per request, all and in sequence (medians); absent for the plain calls, which are one each. */
  calls?: number;
  rounds?: number;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const median = (values: number[]) => percentile([...values].sort((a, b) => a - b), 50);

/** Runs `once` SAMPLES times one after another (after a few to warm up) and summarizes the times. */
async function measure(once: () => Promise<void>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 5; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    const started = performance.now();
    await once();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p99: percentile(times, 99) };
}

const workDir = await mkdtemp(join(tmpdir(), 'brook-latency-'));
const dynamo = await startDynamoDbLocal();
const s3 = await startS3Emulator({ directory: join(workDir, 's3') });
const dynamoProxy = await startStorageProxy('dynamodb', dynamo.endpoint, { rules: [{ action: { kind: 'delay', ms: DYNAMODB_MS } }] });
const s3Proxy = await startStorageProxy('s3', s3.endpoint, {
  rules: [
    { operation: 'PUT', action: { kind: 'delay', ms: S3_PUT_MS } },
    { action: { kind: 'delay', ms: S3_GET_MS } },
  ],
});
const lines: ResponseLine[] = [];
const stack = await startLocalStack({
  port: 0,
  dataDir: join(workDir, 'data'),
  apiKey: randomBytes(24).toString('hex'),
  dynamoDbEndpoint: dynamoProxy.endpoint,
  s3Endpoint: s3Proxy.endpoint,
  compactIntervalMs: 0,
  keyCacheTtlMs: 0, // as in AWS: every request reads its key, so that a revoke works at once
  subscriptionSweepIntervalMs: 0,
  inlineBatchMaxBytes: INLINE,
  onResponse: (line) => lines.push(line),
});
const auth = { authorization: `Bearer ${stack.adminKey}` };

/** Sends a request through the HTTP layer; throws on anything but 2xx. */
async function call(path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${stack.url}/v1${path}`, { ...init, headers: { ...auth, 'content-type': 'application/json', ...init.headers } });
  if (!response.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

/** Measures an API case, with the storage calls its requests made (the stack's trace of each). */
async function measureApi(once: () => Promise<void>): Promise<Case> {
  const from = lines.length;
  const times = await measure(once);
  const measured = lines.slice(from).filter((line) => line.path.startsWith('/v1/'));
  return { ...times, calls: median(measured.map((l) => l.storage.calls)), rounds: median(measured.map((l) => l.storage.rounds)) };
}

try {
  await call('/topics', { method: 'POST', body: JSON.stringify({ name: 'latency', partitions: 1 }) });
  const values = Array.from({ length: RECORDS }, () => randomBytes(RECORD_BYTES));
  const jsonBody = JSON.stringify({ encoding: 'base64', records: values.map((value) => ({ value: value.toString('base64') })) });
  const batch = encodeBatch(values.map((value) => ({ key: null, value, headers: [], timestamp: Date.now() })));

  const produceJson = await measureApi(async () => void (await call('/topics/latency/records', { method: 'POST', body: jsonBody })));
  const produceBinary = await measureApi(async () => {
    await call('/topics/latency/records?partition=0', { method: 'POST', body: batch, headers: { 'content-type': RECORD_BATCH_CONTENT_TYPE } });
  });
  // Each fetch reads one whole batch of RECORDS records, at a batch's first offset, as a consumer does.
  let next = 0;
  const fetchOne = await measureApi(async () => {
    const answer = (await call(`/topics/latency/partitions/0/records?offset=${next}&maxRecords=${RECORDS}&encoding=base64`)) as { nextOffset: number };
    next = answer.nextOffset;
  });

  // The same bytes as one plain item, through the same proxy: the floor a single call sets.
  const doc = createDocumentClient({ region: stack.config.region, dynamoDbEndpoint: dynamoProxy.endpoint });
  const item = { pk: 'plain', sk: 0, b: Buffer.concat(values) };
  const plainPut = await measure(async () => void (await doc.send(new PutCommand({ TableName: stack.config.tables.log, Item: item }))));
  const plainGet = await measure(async () => {
    await doc.send(new GetCommand({ TableName: stack.config.tables.log, Key: { pk: 'plain', sk: 0 }, ConsistentRead: true }));
  });
  doc.destroy();

  const results = {
    model: { dynamoDbMs: DYNAMODB_MS, s3PutMs: S3_PUT_MS, s3GetMs: S3_GET_MS },
    setup: { samples: SAMPLES, recordsPerRequest: RECORDS, recordBytes: RECORD_BYTES, inlineBatchMaxBytes: INLINE },
    produceJson,
    produceBinary,
    fetch: fetchOne,
    plainPutItem: plainPut,
    plainGetItem: plainGet,
    ratios: {
      produceJson: produceJson.p50 / plainPut.p50,
      produceBinary: produceBinary.p50 / plainPut.p50,
      fetch: fetchOne.p50 / plainGet.p50,
    },
    targets: { produce: 3.5, fetch: 2.5 },
  };
  const mode = INLINE >= 350_000 ? 'dynamodb-only' : `tiered-${INLINE}`;
  await mkdir('bench/results', { recursive: true });
  await writeFile(`bench/results/latency-${mode}.json`, `${JSON.stringify(results, null, 2)}\n`);

  const f = (n: number) => n.toFixed(1);
  const row = (name: string, c: Case, ratio?: number) =>
    console.log(
      `${name.padEnd(22)} p50 ${f(c.p50).padStart(6)} ms   p99 ${f(c.p99).padStart(6)} ms` +
        (c.calls !== undefined ? `   ${c.calls} calls, ${c.rounds} in sequence` : '') +
        (ratio !== undefined ? `   ${ratio.toFixed(2)}x the plain call` : ''),
    );
  console.log(`\nLatency model (${mode}): DynamoDB ${DYNAMODB_MS} ms a call, S3 PUT ${S3_PUT_MS} ms, GET ${S3_GET_MS} ms; ${RECORDS} x ${RECORD_BYTES} B a request, ${SAMPLES} requests one at a time`);
  row('produce JSON', produceJson, results.ratios.produceJson);
  row('produce binary batch', produceBinary, results.ratios.produceBinary);
  row('plain PutItem', plainPut);
  row('fetch', fetchOne, results.ratios.fetch);
  row('plain GetItem', plainGet);
  console.log(`targets: produce p50 <= ${results.targets.produce}x PutItem, fetch p50 <= ${results.targets.fetch}x GetItem`);
} finally {
  await stack.stop();
  await Promise.all([dynamoProxy.stop(), s3Proxy.stop()]);
  await Promise.all([dynamo.stop(), s3.stop()]);
  await rm(workDir, { recursive: true, force: true });
}
