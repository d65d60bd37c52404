/**
 * CPU per produce and fetch request on the hot path (`npm run bench:cpu`).
 *
 * Calls the produce Lambda handler in this process, one request at a time,
 * with API Gateway events as the local server builds them, on DynamoDB Local
 * (every batch inline, so no S3 work), and reports this process's CPU time
 * (user + system, `process.cpuUsage`) per request: what a Lambda invocation
 * spends besides waiting for storage, including the AWS SDK's own work.
 * Three cases: a produce of 100 records of 1 KB as JSON (base64 values), the
 * same records as one binary batch, and a fetch of one such batch (base64).
 *
 * To see where the time goes, run it under the V8 profiler:
 * `node --cpu-prof --cpu-prof-dir=/tmp/brook-prof --import tsx bench/cpu.ts`.
 * Options (env): BENCH_CPU_REQUESTS (500 per case), BENCH_RECORDS (100), BENCH_RECORD_BYTES (1000).
 * Prints a table and writes bench/results/cpu.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { apiKeyStore, brookWiring, fetchApi, produceApi, topicsApi } from '../functions/wiring.js';
import { buildEvent } from '../local/apiGatewayEvent.js';
import { startDynamoDbLocal } from '../local/emulators.js';
import { createLambdaContext } from '../local/lambdaRuntime.js';
import { ensureTables, localConfig } from '../local/setup.js';
import { encodeBatch, RECORD_BATCH_CONTENT_TYPE } from '../protocol/recordBatch.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const REQUESTS = env('BENCH_CPU_REQUESTS', 500);
const RECORDS = env('BENCH_RECORDS', 100);
const RECORD_BYTES = env('BENCH_RECORD_BYTES', 1000);
const KEY = randomBytes(24).toString('hex');

const dynamo = await startDynamoDbLocal();
const config = localConfig({ prefix: `brook-cpu-${randomBytes(4).toString('hex')}`, dynamoDbEndpoint: dynamo.endpoint, s3Endpoint: 'http://127.0.0.1:1', keyCacheTtlMs: 0, inlineBatchMaxBytes: 350_000 });
await ensureTables(config);
const wiring = brookWiring(config);
await apiKeyStore(wiring).ensureAdminKey(KEY);
const produceHandler = produceApi(wiring);
const fetchHandler = fetchApi(wiring);

/** The event API Gateway sends for a POST of `body` to `url`. */
function postEvent(url: string, contentType: string, body: Buffer): APIGatewayProxyEventV2 {
  const rawHeaders = ['authorization', `Bearer ${KEY}`, 'content-type', contentType];
  return buildEvent({ method: 'POST', url, rawHeaders, body, sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' }).event;
}

/** The event API Gateway sends for a GET of `url`. */
function getEvent(url: string): APIGatewayProxyEventV2 {
  const rawHeaders = ['authorization', `Bearer ${KEY}`];
  return buildEvent({ method: 'GET', url, rawHeaders, body: Buffer.alloc(0), sourceIp: '127.0.0.1', protocol: 'HTTP/1.1' }).event;
}

/** CPU microseconds and wall milliseconds per request (the handler's, not building its event), over REQUESTS requests after a warm-up. */
async function cpuPerRequest(handler: typeof produceHandler, event: () => APIGatewayProxyEventV2): Promise<{ cpuMicros: number; wallMs: number }> {
  let cpuMicros = 0;
  let wallMs = 0;
  const once = async () => {
    const input = event();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const response = await handler(input, createLambdaContext('produce', config.region, 30_000));
    wallMs += performance.now() - started;
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    if (response.statusCode !== 200) throw new Error(`the handler answered ${response.statusCode}: ${response.body}`);
  };
  for (let i = 0; i < 50; i++) await once();
  cpuMicros = 0;
  wallMs = 0;
  for (let i = 0; i < REQUESTS; i++) await once();
  return { cpuMicros: cpuMicros / REQUESTS, wallMs: wallMs / REQUESTS };
}

try {
  const create = postEvent('/v1/topics', 'application/json', Buffer.from(JSON.stringify({ name: 'cpu', partitions: 1 })));
  await topicsApi(wiring)(create, createLambdaContext('topics', config.region, 30_000));

  const values = Array.from({ length: RECORDS }, () => randomBytes(RECORD_BYTES));
  const json = Buffer.from(JSON.stringify({ encoding: 'base64', records: values.map((value) => ({ value: value.toString('base64') })) }));
  const batch = Buffer.from(encodeBatch(values.map((value) => ({ key: null, value, headers: [], timestamp: Date.now() }))));

  const jsonCase = await cpuPerRequest(produceHandler, () => postEvent('/v1/topics/cpu/records', 'application/json', json));
  const binaryCase = await cpuPerRequest(produceHandler, () => postEvent('/v1/topics/cpu/records?partition=0', RECORD_BATCH_CONTENT_TYPE, batch));
  // Every batch produced above, one fetch each, from its first offset (as a consumer that is behind reads).
  let fetched = 0;
  const fetchCase = await cpuPerRequest(fetchHandler, () => {
    const offset = (fetched++ * RECORDS) % ((REQUESTS + 50) * 2 * RECORDS);
    return getEvent(`/v1/topics/cpu/partitions/0/records?offset=${offset}&maxRecords=${RECORDS}&encoding=base64`);
  });

  const results = { setup: { requests: REQUESTS, recordsPerRequest: RECORDS, recordBytes: RECORD_BYTES }, json: jsonCase, binary: binaryCase, fetch: fetchCase };
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/cpu.json', `${JSON.stringify(results, null, 2)}\n`);
  const row = (name: string, c: { cpuMicros: number; wallMs: number }) =>
    console.log(`${name.padEnd(22)} ${c.cpuMicros.toFixed(0).padStart(6)} us CPU   ${c.wallMs.toFixed(2)} ms wall`);
  console.log(`\nCPU per request (${RECORDS} x ${RECORD_BYTES} B, ${REQUESTS} requests one at a time, in the handler)`);
  row('produce JSON', jsonCase);
  row('produce binary batch', binaryCase);
  row('fetch', fetchCase);
} finally {
  wiring.doc.destroy();
  await dynamo.stop();
}
