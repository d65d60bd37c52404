/**
 * Group hand-over time through the SDK on the local stack
 * (`npx tsx bench/handover.ts`): two members share a topic; one leaves
 * (`disconnect`) or dies (its network cut, no leave), and we time until the
 * other owns every partition. Session timeout 6 s (the minimum), so the
 * server's heartbeat interval is 2 s; also with the consumer option
 * `heartbeatIntervalMs: 500`.
 *
 * Options (env): BENCH_HANDOVER_TRIALS (5). Prints a table and writes
 * bench/results/handover.json.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack.js';
import { Brook, type Consumer, type FetchLike } from '../sdk/index.js';

const TRIALS = Number(process.env.BENCH_HANDOVER_TRIALS ?? 5);
const SESSION_TIMEOUT_MS = 6_000;
const PARTITIONS = 4;

const dataDir = await mkdtemp(join(tmpdir(), 'brook-bench-handover-'));
const stack = await startLocalStack({ port: 0, dataDir, apiKey: randomBytes(24).toString('hex'), compactIntervalMs: 0 });
const admin = new Brook({ url: stack.url, apiKey: stack.adminKey }).admin();

const owned = (consumer: Consumer) => consumer.assignment().reduce((sum, t) => sum + t.partitions.length, 0);
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One trial: ms from the leave (or the cut) until the survivor owns every partition. */
async function trial(kind: 'leave' | 'crash', heartbeatIntervalMs: number | undefined): Promise<number> {
  const topic = `handover-${randomBytes(4).toString('hex')}`;
  const groupId = `g-${randomBytes(4).toString('hex')}`;
  await admin.createTopic({ name: topic, partitions: PARTITIONS });
  let cut = false;
  const cuttable: FetchLike = (url, init) => (cut ? Promise.reject(new Error('connect ECONNREFUSED')) : fetch(url, init));
  const options = {
    groupId,
    sessionTimeoutMs: SESSION_TIMEOUT_MS,
    maxWaitTimeMs: 200,
    retry: { maxRetries: 1, initialMs: 5, maxMs: 10 },
    ...(heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs } : {}),
  };
  const survivor = new Brook({ url: stack.url, apiKey: stack.adminKey }).consumer(options);
  const leaving = new Brook({ url: stack.url, apiKey: stack.adminKey, fetch: cuttable }).consumer(options);
  const quiet = console.error;
  console.error = () => {};
  try {
    for (const consumer of [survivor, leaving]) {
      await consumer.subscribe({ topic });
      await consumer.run({ eachMessage: async () => {} });
    }
    await until(() => owned(survivor) === PARTITIONS / 2 && owned(leaving) === PARTITIONS / 2);
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 1_000)); // anywhere in the heartbeat cycle
    const started = performance.now();
    if (kind === 'leave') await leaving.disconnect();
    else cut = true;
    await until(() => owned(survivor) === PARTITIONS);
    return performance.now() - started;
  } finally {
    await Promise.all([survivor.disconnect(), leaving.disconnect()]);
    console.error = quiet;
  }
}

const summarize = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: Math.round(sorted[Math.floor(sorted.length / 2)]!), max: Math.round(sorted.at(-1)!), trials: sorted.map(Math.round) };
};

try {
  const rows: Record<string, ReturnType<typeof summarize>> = {};
  for (const [label, interval] of [['server heartbeat interval (2 s)', undefined], ['heartbeatIntervalMs 500', 500]] as const) {
    for (const kind of ['leave', 'crash'] as const) {
      const times: number[] = [];
      for (let i = 0; i < TRIALS; i++) times.push(await trial(kind, interval));
      rows[`${kind}, ${label}`] = summarize(times);
    }
  }
  console.log(`Group hand-over through the SDK, session timeout ${SESSION_TIMEOUT_MS} ms, ${TRIALS} trials each (ms until the survivor owns every partition)`);
  console.table(Object.fromEntries(Object.entries(rows).map(([k, v]) => [k, { median: v.median, max: v.max }])));
  console.log('targets: on leave < 1000 ms; on a crash <= session timeout + one heartbeat');
  await mkdir('bench/results', { recursive: true });
  await writeFile('bench/results/handover.json', `${JSON.stringify({ sessionTimeoutMs: SESSION_TIMEOUT_MS, partitions: PARTITIONS, trials: TRIALS, results: rows }, null, 2)}\n`);
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
