/**
 * What storing and reading a GB costs, DynamoDB-only against tiered to S3
 * (`npm run bench:storage`). Usage: `tsx bench/storage.ts dynamodb|tiered`.
 *
 * Produces BENCH_MB (default 20) MB in 100-record batches of 1000-byte
 * incompressible records, then (tiered) runs the compactor, measures the
 * bytes at rest in DynamoDB (item sizes as DynamoDB bills them, roughly) and
 * S3 (object sizes), reads everything back through the HTTP API counting
 * requests, and prices both with bench/prices.ts. Writes
 * bench/results/storage-<mode>.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, type ListObjectsV2CommandOutput } from '@aws-sdk/client-s3';
import { ScanCommand, type ScanCommandOutput } from '@aws-sdk/lib-dynamodb';
import { Compactor } from '../functions/log/Compactor.js';
import { createDocumentClient } from '../functions/storage/clients.js';
import { requestCounts, resetRequestCounts } from '../functions/storage/requestMeter.js';
import { createS3Client } from '../functions/storage/s3Client.js';
import { startLocalStack } from '../local/stack.js';
import { PRICES, priceOf } from './prices.js';

const mode = process.argv[2] === 'tiered' ? 'tiered' : 'dynamodb';
const MB_TO_WRITE = Number(process.env.BENCH_MB ?? 20);
const RECORDS = 100;
const RECORD_BYTES = 1000;
const GB = 1024 ** 3;
const S3_STANDARD_GB_MONTH = 0.023;
const DYNAMODB_STANDARD_GB_MONTH = 0.25;

/** DynamoDB's billed size of an item: attribute names plus values (an approximation good to a few bytes). */
function itemSize(item: Record<string, unknown>): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name);
    if (value instanceof Uint8Array) size += value.length;
    else if (typeof value === 'string') size += Buffer.byteLength(value);
    else if (typeof value === 'number') size += Math.ceil(String(value).length / 2) + 1;
    else size += Buffer.byteLength(JSON.stringify(value));
  }
  return size + 100; // DynamoDB's per-item overhead for storage
}

const dataDir = await mkdtemp(join(tmpdir(), 'brook-bench-storage-'));
const stack = await startLocalStack({ port: 0, dataDir, apiKey: randomBytes(24).toString('hex'), compactIntervalMs: 0, inlineBatchMaxBytes: mode === 'tiered' ? 16_384 : 350_000 });
const headers = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' };
const api = (path: string, init: RequestInit = {}) => fetch(`${stack.url}/v1${path}`, { ...init, headers });
try {
  await api('/topics', { method: 'POST', body: JSON.stringify({ name: 'stored', partitions: 1, config: { retentionMs: -1 } }) });
  const batches = Math.round((MB_TO_WRITE * 1024 * 1024) / (RECORDS * RECORD_BYTES));
  for (let i = 0; i < batches; i++) {
    const records = Array.from({ length: RECORDS }, () => ({ value: randomBytes(RECORD_BYTES).toString('base64') }));
    await (await api('/topics/stored/records', { method: 'POST', body: JSON.stringify({ encoding: 'base64', records }) })).arrayBuffer();
  }
  const payloadBytes = batches * RECORDS * RECORD_BYTES;

  const doc = createDocumentClient(stack.config);
  const s3 = createS3Client(stack.config);
  if (mode === 'tiered') {
    await new Compactor({ doc, s3, tables: stack.config.tables, bucket: stack.config.bucket, minAgeMs: 0 }).runOnce();
  }

  let dynamoBytes = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page: ScanCommandOutput = await doc.send(new ScanCommand({ TableName: stack.config.tables.log, ExclusiveStartKey: startKey }));
    for (const item of page.Items ?? []) dynamoBytes += itemSize(item);
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  let s3Bytes = 0;
  let token: string | undefined;
  do {
    const page: ListObjectsV2CommandOutput = await s3.send(new ListObjectsV2Command({ Bucket: stack.config.bucket, ContinuationToken: token }));
    for (const object of page.Contents ?? []) s3Bytes += object.Size ?? 0;
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);

  resetRequestCounts();
  let offset = 0;
  let requests = 0;
  const started = performance.now();
  for (;;) {
    const response = await api(`/topics/stored/partitions/0/records?offset=${offset}&maxRecords=10000&maxBytes=4194304&encoding=base64`);
    const body = (await response.json()) as { nextOffset: number; highWatermark: number };
    requests++;
    offset = body.nextOffset;
    if (offset >= body.highWatermark) break;
  }
  const readMs = performance.now() - started;
  const readCounts = requestCounts();
  const readCost = priceOf({ counts: readCounts, invocations: requests, lambdaMs: readMs, apiRequests: requests });

  const storedGbMonth = (dynamoBytes / GB) * DYNAMODB_STANDARD_GB_MONTH + (s3Bytes / GB) * S3_STANDARD_GB_MONTH;
  const payloadGb = payloadBytes / GB;
  const results = {
    mode,
    payloadMB: payloadBytes / 1024 / 1024,
    bytesAtRest: { dynamoDb: dynamoBytes, s3: s3Bytes },
    storagePerGBMonth: storedGbMonth / payloadGb,
    readPerGB: { total: readCost.total / payloadGb, ...Object.fromEntries(Object.entries(readCost.parts).map(([k, v]) => [k, v / payloadGb])) },
    readRequests: { fetches: requests, ...readCounts },
    readMBps: payloadBytes / 1024 / 1024 / (readMs / 1000),
    prices: { ...PRICES, dynamoDbGbMonth: DYNAMODB_STANDARD_GB_MONTH, s3GbMonth: S3_STANDARD_GB_MONTH },
  };
  await mkdir('bench/results', { recursive: true });
  await writeFile(`bench/results/storage-${mode}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const f = (n: number, d = 4) => n.toFixed(d);
  console.log(`\n${mode}: ${f(results.payloadMB, 1)} MB in; at rest DynamoDB ${f(dynamoBytes / 1048576, 1)} MB, S3 ${f(s3Bytes / 1048576, 1)} MB`);
  console.log(`storage  $${f(results.storagePerGBMonth)} per GB-month`);
  console.log(`read     $${f(results.readPerGB.total)} per GB (${Object.entries(results.readPerGB).filter(([k]) => k !== 'total').map(([k, v]) => `${k} $${f(v as number)}`).join(', ')}), ${f(results.readMBps, 1)} MB/s`);
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
