/**
 * Transactions against plain produce on the local stack (`npm run bench:transactions`).
 *
 * Runs the stack in-process (as bench/log.ts does) and, for each shape below,
 * sends the same records once as `POST /v1/transactions` and once as a client
 * would without transactions, at 1 and 4 concurrent clients, with ~1 KB
 * records (random bytes, sent base64 in JSON on both paths):
 *
 * - one partition: a batch of 10 or 100 records on one partition (all
 *   clients on the same partition);
 * - three partitions: the batch spread over 3 partitions of one topic; plain
 *   is one produce per partition, sent in parallel;
 * - consume-transform-produce: 3 output records and the commit of one input
 *   offset by a group member (joined first); plain is a produce, then a
 *   separate commit (`POST /v1/groups/{group}/offsets`). Each client is the
 *   member of a group of its own and writes its own output partition.
 *
 * For each: operations per second (an operation is one transaction, or the
 * plain requests that write the same records), its p50/p99 latency, and the
 * DynamoDB write units per MB of record bytes appended. Units are counted by
 * the request meter (functions/storage/requestMeter.ts) from the
 * `ConsumedCapacity` DynamoDB reports, and also billed from item sizes for
 * transactions: DynamoDB Local's units for a `TransactWriteItems` are not
 * what AWS bills (20 for one 10 KB item, but 2 for 11 small ones; the meter
 * therefore estimates them from the items it sends, counting an update's
 * item from the values it sets), and here each transaction's items are sized
 * exactly (Put: the item sent;
 * Update: the item as it stands after the run, read once) and billed 2 units
 * per KB per item, as AWS does. Cost per GB is priced from the concurrency-1 runs with
 * bench/prices.ts, as bench/log.ts prices it (one Lambda invocation and one
 * API request per HTTP request, Lambda time from the requests' durations).
 *
 * Cancelled transactions (TransactionService tries again after a lost race)
 * are counted but not billed; `wruPerMBWithCancelled` bills each like a
 * committed one, as an upper bound.
 *
 * Options (env): BENCH_SECONDS (2.5 per measured case; raise it for steadier
 * numbers), BENCH_WARMUP_SECONDS (5, before measuring), BENCH_RECORD_BYTES
 * (1000), BENCH_INLINE_BATCH_MAX_BYTES (the stack's default, 16384: a
 * 100-record batch goes to S3; 400000 keeps every batch in DynamoDB).
 * Prints tables and writes bench/results/transactions-<date>.json (with
 * -<mode> appended when the inline limit is not the default).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand, type TransactWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { requestCounts, resetRequestCounts, transactionWriteUnits, type RequestCounts } from '../functions/storage/requestMeter.js';
import { DYNAMODB_LOCAL_CREDENTIALS } from '../local/emulators.js';
import { startLocalStack } from '../local/stack.js';
import { PRICES, priceOf } from './prices.js';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const SECONDS = env('BENCH_SECONDS', 2.5);
const RECORD_BYTES = env('BENCH_RECORD_BYTES', 1000);
const INLINE = process.env.BENCH_INLINE_BATCH_MAX_BYTES ? Number(process.env.BENCH_INLINE_BATCH_MAX_BYTES) : undefined;
const CLIENTS = [1, 4];
const BATCHES = [10, 100];
const CTP_RECORDS = 3;
const WARMUP_OPS = 3;
const WARMUP_SECONDS = env('BENCH_WARMUP_SECONDS', 5);
const MB = 1024 * 1024;

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);

// ---- Transactional write units as AWS bills them (see the header) ----------------------------------

/** DynamoDB's size of a value, as it bills it (as in bench/groups.ts). */
function valueSize(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(Math.abs(value)).replace('.', '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (value instanceof Set) return [...value].reduce((sum: number, v) => sum + valueSize(v), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + valueSize(v), 0);
  return 3 + Object.entries(value as Record<string, unknown>).reduce((sum, [k, v]) => sum + 1 + Buffer.byteLength(k) + valueSize(v), 0);
}
const itemSize = (item: Record<string, unknown> | undefined) =>
  item ? Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0) : 0;
const txUnits = (bytes: number) => 2 * Math.max(1, Math.ceil(bytes / 1024));

interface TxTally {
  /** Transactions committed, and cancelled (a condition failed or a conflict: TransactionService tries again). */
  committed: number;
  cancelled: number;
  /** What the request meter counted for them (its estimate from the items sent: requestMeter.ts). */
  meterUnits: number;
  /** Units of Put items, from their size. */
  putUnits: number;
  /** Items updated (HEADs, offsets), sized at the end of the case. */
  updated: { table: string; key: Record<string, unknown> }[];
}
const emptyTally = (): TxTally => ({ committed: 0, cancelled: 0, meterUnits: 0, putUnits: 0, updated: [] });
let tally = emptyTally();

// Every document client of this process (the stack's handlers run here) reports its transactions to `tally`.
type Send = (this: DynamoDBDocumentClient, command: unknown, ...rest: unknown[]) => Promise<unknown>;
const originalSend = DynamoDBDocumentClient.prototype.send as unknown as Send;
(DynamoDBDocumentClient.prototype as unknown as { send: Send }).send = async function (this: DynamoDBDocumentClient, command: unknown, ...rest: unknown[]) {
  if (!(command instanceof TransactWriteCommand)) return originalSend.call(this, command, ...rest);
  const counting = tally;
  let output: TransactWriteCommandOutput;
  try {
    output = (await originalSend.call(this, command, ...rest)) as TransactWriteCommandOutput;
  } catch (error) {
    if ((error as { name?: string }).name === 'TransactionCanceledException') counting.cancelled++;
    throw error;
  }
  counting.committed++;
  counting.meterUnits += transactionWriteUnits(command.input);
  for (const item of command.input.TransactItems ?? []) {
    if (item.Put) counting.putUnits += txUnits(itemSize(item.Put.Item));
    const other = item.Update ?? item.Delete ?? item.ConditionCheck;
    if (other) counting.updated.push({ table: other.TableName!, key: other.Key! });
  }
  return output;
};

/** The write units AWS would bill for the transactions of `t` (items read with a client the meter does not count). */
async function billedTxUnits(t: TxTally, raw: DynamoDBDocumentClient): Promise<number> {
  const sizes = new Map<string, Promise<number>>();
  let units = t.putUnits;
  for (const { table, key } of t.updated) {
    const id = `${table}\u0000${JSON.stringify(key)}`;
    if (!sizes.has(id)) sizes.set(id, raw.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })).then((r) => itemSize(r.Item)));
    units += txUnits(await sizes.get(id)!);
  }
  return units;
}

// ---- The stack, topics, the group members ------------------------------------------------------------

const dataDir = await mkdtemp(join(tmpdir(), 'brook-bench-tx-'));
const stack = await startLocalStack({ port: 0, dataDir, apiKey: randomBytes(24).toString('hex'), compactIntervalMs: 0, keyCacheTtlMs: 0, ...(INLINE !== undefined ? { inlineBatchMaxBytes: INLINE } : {}) });
const raw = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1', endpoint: stack.config.dynamoDbEndpoint, credentials: DYNAMODB_LOCAL_CREDENTIALS }));
const headers = { authorization: `Bearer ${stack.adminKey}`, 'content-type': 'application/json' };

/** Errors seen (status and code), with how often. */
const errors = new Map<string, number>();

/** One HTTP request: its status and duration (the body read). */
async function post(path: string, body: string): Promise<{ ok: boolean; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${stack.url}/v1${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  const ms = performance.now() - started;
  const ok = response.status === 200 || response.status === 204;
  if (!ok) {
    let code = '';
    try {
      code = (JSON.parse(text) as { error?: { code?: string } }).error?.code ?? '';
    } catch {
      /* not JSON */
    }
    const what = `${path.split('/')[1]} ${response.status} ${code}`;
    errors.set(what, (errors.get(what) ?? 0) + 1);
  }
  return { ok, ms };
}

async function setup(path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${stack.url}/v1${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Random bytes (incompressible), base64, so compression cannot flatter either path. */
const values = Array.from({ length: 100 }, () => randomBytes(RECORD_BYTES).toString('base64'));

interface Op {
  ok: boolean;
  /** Each HTTP request's duration (one Lambda invocation and one API request each). */
  requests: number[];
}

interface Case {
  shape: 'one partition' | 'three partitions' | 'consume-transform-produce';
  kind: 'tx' | 'plain';
  clients: number;
  records: number;
  ops: number;
  failures: number;
  opsPerSecond: number;
  MBps: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  requests: number;
  requestMs: number;
  counts: RequestCounts;
  transactions?: { committed: number; cancelled: number; meterUnits: number; billedUnits: number };
  /** Write units per MB of record bytes: as billed (transactions from item sizes), and as the meter counted them. */
  wruPerMB: number;
  /** The same, if AWS billed each cancelled transaction (tried again) as much as a committed one: an upper bound. */
  wruPerMBWithCancelled: number;
  meterWruPerMB: number;
  dynamoDbRequestsPerOp: number;
  s3PutsPerMB: number;
}

async function measure(shape: Case['shape'], kind: Case['kind'], clients: number, records: number, op: (client: number, n: number) => Promise<Op>, seconds: number): Promise<Case> {
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let i = 0; i < WARMUP_OPS; i++) await op(c, i);
  }));
  resetRequestCounts();
  tally = emptyTally();
  const latencies: number[] = [];
  let requests = 0;
  let requestMs = 0;
  let failures = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    for (let n = WARMUP_OPS; performance.now() < end; n++) {
      const t0 = performance.now();
      const result = await op(c, n);
      latencies.push(performance.now() - t0);
      requests += result.requests.length;
      requestMs += result.requests.reduce((a, b) => a + b, 0);
      if (!result.ok) failures++;
    }
  }));
  const elapsed = (performance.now() - started) / 1000;
  const counts = requestCounts();
  const t = tally;
  tally = emptyTally();
  const ops = latencies.length;
  const mb = ((ops - failures) * records * RECORD_BYTES) / MB;
  const billedTx = t.committed > 0 ? await billedTxUnits(t, raw) : 0;
  const billedWrites = counts.dynamoDbWriteUnits - t.meterUnits + billedTx;
  latencies.sort((a, b) => a - b);
  return {
    shape,
    kind,
    clients,
    records,
    ops,
    failures,
    opsPerSecond: ops / elapsed,
    MBps: mb / elapsed,
    latencyMs: { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, mean: latencies.reduce((a, b) => a + b, 0) / ops },
    requests,
    requestMs,
    counts: { ...counts, dynamoDbWriteUnits: billedWrites },
    ...(kind === 'tx' ? { transactions: { committed: t.committed, cancelled: t.cancelled, meterUnits: t.meterUnits, billedUnits: billedTx } } : {}),
    wruPerMB: billedWrites / mb,
    wruPerMBWithCancelled: (billedWrites + (t.committed > 0 ? (t.cancelled * billedTx) / t.committed : 0)) / mb,
    meterWruPerMB: counts.dynamoDbWriteUnits / mb,
    dynamoDbRequestsPerOp: counts.dynamoDbRequests / ops,
    s3PutsPerMB: counts.s3Puts / mb,
  };
}

const cases: Case[] = [];
const progress = (c: Case) =>
  console.error(`  ${c.shape}, ${c.records} records, ${c.clients} client(s), ${c.kind}: ${c.opsPerSecond.toFixed(0)} ops/s, p50 ${c.latencyMs.p50.toFixed(1)} ms`);

try {
  await setup('/topics', { name: 'tx-one', partitions: 1 });
  await setup('/topics', { name: 'tx-three', partitions: 3 });
  await setup('/topics', { name: 'ctp-in', partitions: 4 });
  await setup('/topics', { name: 'ctp-out', partitions: 4 });
  // Input for the members to have consumed (commits may not pass the high watermark).
  for (let p = 0; p < 4; p++) await setup('/topics/ctp-in/records', { records: Array.from({ length: 100 }, (_, i) => ({ value: `in-${i}`, partition: p })) });
  // One group per client, of one member that owns every input partition; client c commits partition c.
  const members = [] as { group: string; memberId: string; generation: number }[];
  for (let c = 0; c < Math.max(...CLIENTS); c++) {
    const group = `ctp-${c}`;
    const joined = await setup(`/groups/${group}/members`, { topics: ['ctp-in'], sessionTimeoutMs: 300_000 });
    members.push({ group, memberId: joined.memberId as string, generation: joined.generation as number });
  }

  const recordsJson = (n: number, topic: string | undefined, partitionOf: (i: number) => number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify({ ...(topic ? { topic } : {}), partition: partitionOf(i), value: values[i % values.length] }));

  type Spec = { shape: Case['shape']; kind: Case['kind']; clients: number; records: number; op: (client: number, n: number) => Promise<Op> };
  const specs: Spec[] = [];
  for (const records of BATCHES) {
    // (a) One partition.
    const txOne = `{"encoding":"base64","records":[${recordsJson(records, 'tx-one', () => 0).join(',')}]}`;
    const plainOne = `{"encoding":"base64","records":[${recordsJson(records, undefined, () => 0).join(',')}]}`;
    // (b) Three partitions: record i on partition i % 3.
    const txThree = `{"encoding":"base64","records":[${recordsJson(records, 'tx-three', (i) => i % 3).join(',')}]}`;
    const all = recordsJson(records, undefined, (i) => i % 3);
    const plainThree = [0, 1, 2].map((p) => `{"encoding":"base64","records":[${all.filter((_, i) => i % 3 === p).join(',')}]}`);
    for (const clients of CLIENTS) {
      for (const kind of ['tx', 'plain'] as const) {
        specs.push({ shape: 'one partition', kind, clients, records, op: async () => {
          const r = kind === 'tx' ? await post('/transactions', txOne) : await post('/topics/tx-one/records', plainOne);
          return { ok: r.ok, requests: [r.ms] };
        } });
      }
      for (const kind of ['tx', 'plain'] as const) {
        specs.push({ shape: 'three partitions', kind, clients, records, op: async () => {
          if (kind === 'tx') {
            const r = await post('/transactions', txThree);
            return { ok: r.ok, requests: [r.ms] };
          }
          const rs = await Promise.all(plainThree.map((body) => post('/topics/tx-three/records', body)));
          return { ok: rs.every((r) => r.ok), requests: rs.map((r) => r.ms) };
        } });
      }
    }
  }
  // (c) Consume-transform-produce: client c writes 3 records on ctp-out/c and commits ctp-in/c.
  for (const clients of CLIENTS) {
    for (const kind of ['tx', 'plain'] as const) {
      specs.push({ shape: 'consume-transform-produce', kind, clients, records: CTP_RECORDS, op: async (c, n) => {
        const { group, memberId, generation } = members[c]!;
        const out = recordsJson(CTP_RECORDS, kind === 'tx' ? 'ctp-out' : undefined, () => c).join(',');
        const offsets = { group, memberId, generation, offsets: [{ topic: 'ctp-in', partition: c, offset: (n % 100) + 1 }] };
        if (kind === 'tx') {
          const r = await post('/transactions', `{"encoding":"base64","records":[${out}],"offsets":${JSON.stringify(offsets)}}`);
          return { ok: r.ok, requests: [r.ms] };
        }
        const produced = await post('/topics/ctp-out/records', `{"encoding":"base64","records":[${out}]}`);
        if (!produced.ok) return { ok: false, requests: [produced.ms] };
        const committed = await post(`/groups/${group}/offsets`, JSON.stringify({ memberId, generation, offsets: offsets.offsets }));
        return { ok: committed.ok, requests: [produced.ms, committed.ms] };
      } });
    }
  }

  console.error(`Brook transactions benchmark: ${SECONDS} s per case, ${RECORD_BYTES}-byte records, inline limit ${stack.config.inlineBatchMaxBytes} B`);
  // Warm up DynamoDB Local's JVM and both paths (a 1-client pass over every case), then measure.
  const warmupStarted = performance.now();
  for (const spec of specs.filter((s) => s.clients === 1)) await measure(spec.shape, spec.kind, 1, spec.records, spec.op, WARMUP_SECONDS / (specs.length / 2));
  console.error(`  warmed up in ${((performance.now() - warmupStarted) / 1000).toFixed(1)} s`);
  errors.clear();
  for (const spec of specs) {
    const result = await measure(spec.shape, spec.kind, spec.clients, spec.records, spec.op, SECONDS);
    cases.push(result);
    progress(result);
  }

  // ---- Results --------------------------------------------------------------------------------------
  const pairs = cases.filter((c) => c.kind === 'tx').map((tx) => ({ tx, plain: cases.find((p) => p.kind === 'plain' && p.shape === tx.shape && p.clients === tx.clients && p.records === tx.records)! }));
  const gbOf = (c: Case) => ((c.ops - c.failures) * c.records * RECORD_BYTES) / 1024 ** 3;
  const costPerGB = (c: Case) => {
    const cost = priceOf({ counts: c.counts, invocations: c.requests, lambdaMs: c.requestMs, apiRequests: c.requests });
    return { total: cost.total / gbOf(c), ...Object.fromEntries(Object.entries(cost.parts).map(([k, v]) => [k, v / gbOf(c)])) } as { total: number } & Record<string, number>;
  };
  const summary = pairs.map(({ tx, plain }) => ({
    shape: tx.shape,
    records: tx.records,
    clients: tx.clients,
    opsPerSecond: { tx: tx.opsPerSecond, plain: plain.opsPerSecond, ratio: tx.opsPerSecond / plain.opsPerSecond },
    p50Ms: { tx: tx.latencyMs.p50, plain: plain.latencyMs.p50 },
    p99Ms: { tx: tx.latencyMs.p99, plain: plain.latencyMs.p99 },
    maxMs: { tx: tx.latencyMs.max, plain: plain.latencyMs.max },
    wruPerMB: { tx: tx.wruPerMB, plain: plain.wruPerMB, ratio: tx.wruPerMB / plain.wruPerMB, txIfCancelledBilled: tx.wruPerMBWithCancelled },
    meterWruPerMB: { tx: tx.meterWruPerMB, plain: plain.meterWruPerMB },
    cancelledPerTransaction: (tx.transactions?.cancelled ?? 0) / Math.max(1, tx.transactions?.committed ?? 0),
    failures: { tx: tx.failures, plain: plain.failures },
    ...(tx.clients === 1 ? { costPerGB: { tx: costPerGB(tx), plain: costPerGB(plain) } } : {}),
  }));

  const mode = stack.config.inlineBatchMaxBytes >= 350_000 ? 'dynamodb-only' : `tiered-${stack.config.inlineBatchMaxBytes}`;
  const date = new Date().toISOString().slice(0, 10);
  const file = `bench/results/transactions-${date}${INLINE === undefined ? '' : `-${mode}`}.json`;
  await mkdir('bench/results', { recursive: true });
  await writeFile(file, `${JSON.stringify({ setup: { secondsPerCase: SECONDS, recordBytes: RECORD_BYTES, clients: CLIENTS, batches: BATCHES, ctpRecords: CTP_RECORDS, inlineBatchMaxBytes: stack.config.inlineBatchMaxBytes, mode }, summary, cases, errors: Object.fromEntries(errors), prices: PRICES }, null, 2)}\n`);

  const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : '-');
  const pad = (s: string, n: number) => s.padStart(n);
  const shortShape = { 'one partition': '1 partition', 'three partitions': '3 partitions', 'consume-transform-produce': 'ctp (3 rec + commit)' } as const;
  console.log(`\nBrook transactions vs plain produce (${mode}; ${RECORD_BYTES}-byte records; ${SECONDS} s per case)`);
  console.log(`${'shape'.padEnd(21)}${pad('batch', 6)}${pad('cli', 4)} | ${pad('tx op/s', 8)}${pad('plain', 7)}${pad('ratio', 6)} | ${pad('tx p50/p99 ms', 14)}${pad('plain p50/p99', 15)} | ${pad('tx WRU/MB', 10)}${pad('plain', 7)}${pad('ratio', 6)} | ${pad('cancelled/tx', 13)}`);
  for (const s of summary) {
    console.log(
      `${shortShape[s.shape].padEnd(21)}${pad(String(s.records), 6)}${pad(String(s.clients), 4)} | ${pad(f(s.opsPerSecond.tx, 0), 8)}${pad(f(s.opsPerSecond.plain, 0), 7)}${pad(f(s.opsPerSecond.ratio, 2), 6)} | ` +
        `${pad(`${f(s.p50Ms.tx)}/${f(s.p99Ms.tx)}`, 14)}${pad(`${f(s.p50Ms.plain)}/${f(s.p99Ms.plain)}`, 15)} | ${pad(f(s.wruPerMB.tx), 10)}${pad(f(s.wruPerMB.plain), 7)}${pad(f(s.wruPerMB.ratio, 2), 6)} | ${pad(f(s.cancelledPerTransaction, 2), 13)}`,
    );
  }
  console.log(`\nCost per GB ingested (1 client; AWS on-demand us-east-1, bench/prices.ts)`);
  console.log(`${'shape'.padEnd(21)}${pad('batch', 6)} | ${pad('tx $/GB', 9)}${pad('plain', 9)}${pad('ratio', 6)} | tx parts (DynamoDB writes, reads, S3, Lambda, API GW)`);
  for (const s of summary.filter((x) => x.costPerGB)) {
    const { tx, plain } = s.costPerGB!;
    console.log(
      `${shortShape[s.shape].padEnd(21)}${pad(String(s.records), 6)} | ${pad(`$${f(tx.total, 3)}`, 9)}${pad(`$${f(plain.total, 3)}`, 9)}${pad(f(tx.total / plain.total, 2), 6)} | ` +
        `$${f(tx.dynamoDbWrites!, 3)} $${f(tx.dynamoDbReads!, 3)} $${f(tx.s3!, 3)} $${f(tx.lambda!, 3)} $${f(tx.apiGateway!, 3)}`,
    );
  }
  const meterNote = cases.filter((c) => c.transactions && c.transactions.committed > 0).map((c) => c.transactions!.meterUnits / c.transactions!.billedUnits);
  console.log(`\nRequest meter's units for transactions / units billed from item sizes: ${f(Math.min(...meterNote), 2)}x to ${f(Math.max(...meterNote), 2)}x`);
  console.log(`errors: ${errors.size ? [...errors].map(([k, v]) => `${k} x${v}`).join(', ') : 'none'}`);
  console.log(`saved ${file}`);
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
