/**
 * Brook through storage faults, checked by history (docs/design.md,
 * "Failure model"). Under each fault class alone and all together, at the
 * same time on one topic:
 *
 * - ten producers (half of them idempotent) append, each attempt recorded with
 *   its outcome (test/helpers/history.ts judges the log read at the end);
 * - a consumer group of three consumes and commits, one member leaving and
 *   coming back, one crashing and going on as a zombie
 *   (test/helpers/groupWorkload.ts; judged by test/helpers/groupHistory.ts:
 *   one owner at a time, commits fenced, nothing lost or skipped);
 * - a subscription delivers to a webhook that fails some batches, through two
 *   dispatchers (test/helpers/subscriptionWorkload.ts; judged by
 *   test/helpers/deliveryHistory.ts: one batch in flight, in order, nothing
 *   skipped, everything delivered once faults stop);
 * - the compactor rolls the topic into S3 segments, so the final reads go
 *   through segments.
 *
 * Storage sits behind test/helpers/storageProxy.ts, which throttles, resets
 * connections, loses answers and slows calls; one class gives each request's
 * Lambda little time, so handlers are abandoned at random awaits. A client
 * sees retriable errors, never a 500.
 *
 * BROOK_FAULT_BATCHES (default 4 per producer) and BROOK_FAULT_GROUP_MS
 * (default 8000) size each run; set them higher for a longer one.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { Compactor } from '../../functions/log/Compactor.js';
import { createS3Client } from '../../functions/storage/s3Client.js';
import type { ApiRequest, ApiResponse } from '../helpers/apiEvent.js';
import type { BrookUnderTest } from '../helpers/brookHandlers.js';
import { seededRandom } from '../helpers/random.js';
import { checkDeliveryHistory } from '../helpers/deliveryHistory.js';
import { ALL_TOGETHER, countBy, readWholeLog, startFaultyStack, type FaultyStack } from '../helpers/faultyStack.js';
import { checkGroupHistory, describeEvent, type GroupHistory } from '../helpers/groupHistory.js';
import { runGroupWorkload } from '../helpers/groupWorkload.js';
import { checkProduceHistory, type Outcome, type ProduceAttempt } from '../helpers/history.js';
import type { FaultRule, StorageProxy } from '../helpers/storageProxy.js';
import { startSubscriptionWorkload } from '../helpers/subscriptionWorkload.js';

const PRODUCERS = 10;
const PARTITIONS = 3;
const BATCHES = Number(process.env.BROOK_FAULT_BATCHES ?? 4);
const RECORDS_PER_BATCH = 3;
/** Attempts per batch before a producer gives up on it (its outcome stays in the history). */
const MAX_ATTEMPTS = 12;
/** How long the group consumes under faults (a crashed member's partitions move after its 6 s session). */
const GROUP_MS = Number(process.env.BROOK_FAULT_GROUP_MS ?? 8_000);
/** How long delivery may take to catch up once faults stop. */
const DRAIN_MS = 60_000;

let stack: FaultyStack;
let dynamo: StorageProxy;
let s3: StorageProxy;
let config: BrookConfig;
let brook: BrookUnderTest;

interface FaultClass {
  dynamodb: FaultRule[];
  s3: FaultRule[];
  /** Each request's Lambda has this many ms left (uniform in the range), so some are abandoned at a random await. */
  lambdaTimeoutMs?: [number, number];
}

/** The fault classes, each as proxy rules for DynamoDB and S3. */
const FAULTS: Record<string, FaultClass> = {
  throttling: {
    dynamodb: [{ fraction: 0.25, action: { kind: 'throttle' } }],
    s3: [{ fraction: 0.25, action: { kind: 'throttle' } }],
  },
  'connection resets': {
    dynamodb: [{ fraction: 0.2, action: { kind: 'reset' } }],
    s3: [{ fraction: 0.2, action: { kind: 'reset' } }],
  },
  'lost answers': {
    dynamodb: [{ fraction: 0.2, action: { kind: 'lostAnswer' } }],
    s3: [{ fraction: 0.2, action: { kind: 'lostAnswer' } }],
  },
  'slow calls': {
    dynamodb: [{ fraction: 0.3, action: { kind: 'delay', ms: 150 } }],
    s3: [{ fraction: 0.3, action: { kind: 'delay', ms: 300 } }],
  },
  // The request answers 503 TIMEOUT half a second before its Lambda's deadline and aborts its storage calls
  // wherever it is (functions/storage/callLimits.ts): with 0-400 ms to work and slow calls, at a random await.
  'lambda timeouts': {
    dynamodb: [{ fraction: 0.3, action: { kind: 'delay', ms: 120 } }],
    s3: [{ fraction: 0.3, action: { kind: 'delay', ms: 200 } }],
    lambdaTimeoutMs: [600, 1_500],
  },
  'all together': { ...ALL_TOGETHER, lambdaTimeoutMs: [800, 3_000] },
};

type Call = (request: ApiRequest) => Promise<ApiResponse>;

/** Calls the handlers as API Gateway would, each request's Lambda given the time `fault` allows. */
function callerUnder(fault: FaultClass, seed: number): Call {
  const random = seededRandom(seed);
  const range = fault.lambdaTimeoutMs;
  return (request) => brook.call(range ? { ...request, lambdaTimeoutMs: range[0] + Math.floor(random() * (range[1] - range[0])) } : request);
}

/**
 * The compactor, as its schedule would run it, through the same faults: moves
 * every batch it may (no minimum age) into S3 segments, pass after pass, until
 * `done`. A pass that fails is left for the next one, as in AWS; the count is kept.
 */
async function runCompactor(topic: string, done: () => boolean): Promise<{ passes: number; failed: number; segments: number }> {
  const compactor = new Compactor({ doc: brook.wiring.doc, s3: createS3Client(config), tables: config.tables, bucket: config.bucket, minAgeMs: 0, dynamoDbBudgetBytes: 0 });
  const counts = { passes: 0, failed: 0, segments: 0 };
  while (!done()) {
    try {
      // The topic is looked up in the pass: a throttled lookup fails that pass only.
      const { topicId } = await brook.topics.get(topic);
      const partitionKeys = Array.from({ length: PARTITIONS }, (_, partition) => `${topicId}#${partition}`);
      const report = await compactor.runFor(partitionKeys);
      counts.segments += report.segmentsWritten;
      counts.failed += report.failures;
    } catch {
      counts.failed++;
    }
    counts.passes++;
    await sleep(100);
  }
  return counts;
}

/** What an answer says about an attempt: ok with offsets, a contract error, or nothing known. */
function outcomeOf(response: { status: number; body: { results?: { offset: number }[]; error?: { code: string; retriable: boolean } } }): Outcome {
  if (response.status === 200) return { kind: 'ok', offsets: response.body.results!.map((r) => r.offset) };
  if (response.body.error) return { kind: 'error', code: response.body.error.code, retriable: response.body.error.retriable };
  return { kind: 'unknown' };
}

/** One producer's run: BATCHES batches to its partition, each retried on retriable or unknown outcomes, as a client would. */
async function runProducer(call: Call, name: string, topic: string, idempotent: boolean, history: ProduceAttempt[], statuses: number[]): Promise<void> {
  const partition = Number(name.split('-')[1]) % PARTITIONS;
  let producer: { id: string; epoch: number } | undefined;
  if (idempotent) {
    for (let i = 0; !producer && i < MAX_ATTEMPTS; i++) {
      const registered = await call({ method: 'POST', path: '/v1/producers', body: {} });
      statuses.push(registered.status);
      if (registered.status === 200) producer = registered.body as { id: string; epoch: number };
      else await sleep(5 * i);
    }
    if (!producer) throw new Error(`${name} could not register`);
  }
  let sequence = 0;
  for (let batch = 0; batch < BATCHES; batch++) {
    const values = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => `${name}/${batch}/${i}`);
    const body = {
      records: values.map((value) => ({ value, partition })),
      ...(producer ? { producer: { ...producer, sequences: { [partition]: sequence } } } : {}),
    };
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      let outcome: Outcome;
      try {
        const response = await call({ method: 'POST', path: `/v1/topics/${topic}/records`, body });
        statuses.push(response.status);
        outcome = outcomeOf(response as never);
      } catch {
        outcome = { kind: 'unknown' };
      }
      history.push({ producer: name, idempotent, partition, values, outcome });
      if (outcome.kind === 'ok') break;
      if (outcome.kind === 'error' && !outcome.retriable) break;
      await sleep(5 * attempt);
    }
    sequence += RECORDS_PER_BATCH;
  }
}

beforeAll(async () => {
  stack = await startFaultyStack('brook-f', { dynamodb: 7, s3: 11 });
  ({ dynamo, s3, config, brook } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

/** Segments the compactor wrote in all runs: some pass must have succeeded, or compaction was not put through faults at all. */
let segmentsWritten = 0;
/** Operations checked per fault class, printed at the end (the closing note reports them). */
const checkedOperations: Record<string, unknown> = {};

describe('Brook through storage faults, checked by history', () => {
  afterAll(() => {
    console.info(`operations checked per fault class: ${JSON.stringify(checkedOperations)}`);
    expect(segmentsWritten).toBeGreaterThan(0);
  });

  it.each(Object.keys(FAULTS))(
    '%s: produce, a group and a subscription keep their promises; no 500',
    { timeout: GROUP_MS + DRAIN_MS + 120_000 },
    async (fault) => {
      const slug = fault.replace(/\W+/g, '-');
      const topic = `faults-${slug}`;
      expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: PARTITIONS } })).status).toBe(201);
      const subscription = await startSubscriptionWorkload({ brook, topic, partitions: PARTITIONS, name: `s-${slug}`, seed: 5 });
      dynamo.setRules(FAULTS[fault]!.dynamodb);
      s3.setRules(FAULTS[fault]!.s3);
      const history: ProduceAttempt[] = [];
      const statuses: number[] = [];
      let injected: unknown;
      const call = callerUnder(FAULTS[fault]!, 13);
      let running = true;
      const compaction = runCompactor(topic, () => !running);
      let groupHistory: GroupHistory;
      try {
        const group = runGroupWorkload({ call, group: `g-${slug}`, topic, partitions: PARTITIONS, durationMs: GROUP_MS, seed: 18 });
        await Promise.all(Array.from({ length: PRODUCERS }, (_, i) => runProducer(call, `p-${i}`, topic, i % 2 === 0, history, statuses)));
        groupHistory = await group;
      } finally {
        running = false;
        await compaction;
        injected = { dynamodb: dynamo.stats(), s3: s3.stats() };
        dynamo.setRules([]);
        s3.setRules([]);
      }
      try {
        await subscription.drain(DRAIN_MS);
      } finally {
        await subscription.stop();
      }
      const log = await readWholeLog(brook, topic, PARTITIONS);
      const produced = checkProduceHistory(history, log);
      const consumed = checkGroupHistory(groupHistory, log);
      const deliveries = subscription.history();
      const delivered = checkDeliveryHistory(deliveries.deliveries, log, await subscription.positions());
      const compacted = await compaction;
      const groupErrors = groupHistory.events.filter((e) => e.kind !== 'stop' && e.kind !== 'release' && e.outcome.kind === 'error' && e.outcome.status >= 500 && e.outcome.status !== 503);
      console.info(
        `${fault}: produce ${JSON.stringify(produced.checked)}, answers ${JSON.stringify(countBy(statuses))}; ` +
          `group ${JSON.stringify(consumed.summary)}; subscription ${JSON.stringify(delivered.stats)}, ${JSON.stringify(deliveries.answers)}, dispatcher errors ${deliveries.dispatcherErrors}; ` +
          `compactor ${JSON.stringify(compacted)}; storage ${JSON.stringify(injected)}`,
      );
      if (!consumed.ok) console.info(groupHistory.events.map((e) => describeEvent(e, groupHistory.startedAt)).join('\n'));
      expect(produced.violations).toEqual([]);
      expect(consumed.violations).toEqual([]);
      expect(delivered.violations).toEqual([]);
      expect(statuses.filter((status) => status >= 500 && status !== 503)).toEqual([]);
      expect(groupErrors.map((e) => describeEvent(e, groupHistory.startedAt))).toEqual([]);
      expect(produced.checked.acknowledged).toBeGreaterThan(0);
      expect(delivered.checked.acknowledged).toBeGreaterThanOrEqual(log.length);
      expect(subscription.receiver.maxInFlightPerPartition).toBe(1);
      expect(compacted.passes).toBeGreaterThan(0);
      segmentsWritten += compacted.segments;
      checkedOperations[fault] = {
        produceAttempts: produced.checked.attempts,
        groupEvents: groupHistory.events.length,
        deliveries: deliveries.deliveries.length,
        storageCalls: injected,
      };
    },
  );
});
