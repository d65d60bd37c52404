/**
 * A subscription delivering through storage faults, checked by history
 * (docs/subscriptions.md, "Delivery"; docs/design.md, "Failure model"). In
 * `npm test`: the single faults that found liveness bugs (last block). With
 * BROOK_FAULT_LONG=1 also longer runs of the subscription alone
 * (faults.test.ts runs it with producers and a group under every fault
 * class): a few producers append through test/helpers/storageProxy.ts while a
 * subscription is delivered by two dispatcher instances at once to a webhook
 * that fails a seeded fraction of batches (test/helpers/subscriptionWorkload.ts).
 * Once the producers are done the faults stop, delivery drains, the log and
 * the subscription's positions are read, and test/helpers/deliveryHistory.ts
 * judges every delivery: one batch in flight per partition, the log's records
 * in order, no position skipped, redelivery only of the last acknowledged
 * batch, everything delivered.
 *
 * BROOK_FAULT_BATCHES (default 4 per producer) sizes each run, as in
 * faults.test.ts; BROOK_FAULT_SEED (default 1) seeds the webhook's answers;
 * BROOK_FAULT_DRAIN_MS (default 60000) bounds the drain;
 * BROOK_FAULT_STREAM_TRIGGER=1 triggers dispatchers only on new records (as
 * the DynamoDB stream does) instead of every 50 ms; BROOK_FAULT_LOST_SETTLES=1
 * adds a run losing the answers of the dispatcher's own writes.
 *
 * The last block holds two liveness gaps this harness found (a lost answer to
 * the dispatcher's lease or settle write stranded a partition), fixed since.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrookConfig } from '../../functions/config.js';
import { brookUnderTest, type BrookUnderTest } from '../helpers/brookHandlers.js';
import { silentLogger } from '../../functions/http/logger.js';
import { createDispatcher } from '../../functions/wiring.js';
import { checkDeliveryHistory } from '../helpers/deliveryHistory.js';
import { ALL_TOGETHER, readWholeLog, startFaultyStack, type FaultyStack } from '../helpers/faultyStack.js';
import type { FaultRule, StorageProxy } from '../helpers/storageProxy.js';
import { startSubscriptionWorkload } from '../helpers/subscriptionWorkload.js';
import { startWebhookReceiver } from '../helpers/webhookReceiver.js';

const PRODUCERS = 4;
const PARTITIONS = 3;
const BATCHES = Number(process.env.BROOK_FAULT_BATCHES ?? 4);
const RECORDS_PER_BATCH = 3;
const MAX_ATTEMPTS = 12;
const SEED = Number(process.env.BROOK_FAULT_SEED ?? 1);
const DRAIN_MS = Number(process.env.BROOK_FAULT_DRAIN_MS ?? 60_000);
/** Set BROOK_FAULT_STREAM_TRIGGER=1 to trigger dispatchers only on new records, as the DynamoDB stream does. */
const ONLY_ON_NEW_RECORDS = process.env.BROOK_FAULT_STREAM_TRIGGER === '1';

let stack: FaultyStack;
let dynamo: StorageProxy;
let s3: StorageProxy;
let config: BrookConfig;
let brook: BrookUnderTest;

/** No faults, and the "all together" mix of faults.test.ts. */
const FAULTS: Record<string, { dynamodb: FaultRule[]; s3: FaultRule[] }> = {
  'no faults': { dynamodb: [], s3: [] },
  'all together': ALL_TOGETHER,
};
/**
 * BROOK_FAULT_LOST_SETTLES=1 adds a run where a third of the dispatcher's
 * writes to its delivery items (UpdateItem on the subscriptions table) are
 * performed but their answers lost: acknowledgements and failures written
 * without the dispatcher hearing of it.
 */
if (process.env.BROOK_FAULT_LOST_SETTLES === '1') {
  FAULTS['lost settles'] = { dynamodb: [{ table: '-subscriptions', operation: 'UpdateItem', fraction: 0.3, action: { kind: 'lostAnswer' } }], s3: [] };
}

/** One producer: BATCHES plain batches to its partition, each retried until acknowledged or out of attempts. */
async function runProducer(index: number, topic: string): Promise<void> {
  const partition = index % PARTITIONS;
  for (let batch = 0; batch < BATCHES; batch++) {
    const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ value: `p-${index}/${batch}/${i}`, partition }));
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const response = await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records } }).catch(() => undefined);
      if (response?.status === 200) break;
      await sleep(5 * attempt);
    }
    await sleep(20);
  }
}

beforeAll(async () => {
  stack = await startFaultyStack('brook-fs', { dynamodb: 17, s3: 19 });
  ({ dynamo, s3, config, brook } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

// The group and the subscription run under every fault class in faults.test.ts; these longer runs of one alone
// (no faults, then all together) are for BROOK_FAULT_LONG=1.
describe.runIf(process.env.BROOK_FAULT_LONG === '1')('a subscription delivering through storage faults, checked by history', () => {
  it.each(Object.keys(FAULTS))('%s: one batch in flight, in order, nothing skipped, everything delivered', async (fault) => {
    const slug = fault.replace(/\W+/g, '-');
    const topic = `faults-sub-${slug}`;
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: PARTITIONS } })).status).toBe(201);
    const workload = await startSubscriptionWorkload({ brook, topic, partitions: PARTITIONS, name: `s-${slug}`, seed: SEED, onlyOnNewRecords: ONLY_ON_NEW_RECORDS });
    const started = Date.now();
    let injected: unknown;
    try {
      dynamo.setRules(FAULTS[fault]!.dynamodb);
      s3.setRules(FAULTS[fault]!.s3);
      try {
        await Promise.all(Array.from({ length: PRODUCERS }, (_, i) => runProducer(i, topic)));
        await sleep(1500); // delivery goes on under faults a little longer
      } finally {
        injected = { dynamodb: dynamo.stats(), s3: s3.stats() };
        dynamo.setRules([]);
        s3.setRules([]);
      }
      await workload.drain(DRAIN_MS);
    } finally {
      await workload.stop();
    }
    const history = workload.history();
    const log = await readWholeLog(brook, topic, PARTITIONS);
    const verdict = checkDeliveryHistory(history.deliveries, log, await workload.positions());
    console.info(
      `${fault} (seed ${SEED}): ${Date.now() - started} ms; checked ${JSON.stringify(verdict.checked)}; stats ${JSON.stringify(verdict.stats)}; ` +
        `answers ${JSON.stringify(history.answers)}; invocations ${history.invocations}, wake-ups ${history.wakeupsRun}/${history.wakeupsAsked}; ` +
        `dispatcher errors ${history.dispatcherErrors} ${JSON.stringify(history.errorSamples.slice(0, 3))}; storage ${JSON.stringify(injected)}`,
    );
    expect(verdict.violations).toEqual([]);
    expect(log.length).toBeGreaterThan(0);
    expect(verdict.checked.acknowledged).toBeGreaterThanOrEqual(log.length);
    expect(verdict.stats.failed + verdict.stats.partial).toBeGreaterThan(0);
    expect(verdict.stats.retries).toBeGreaterThan(0);
    expect(workload.receiver.maxInFlightPerPartition).toBe(1);
  }, DRAIN_MS + 60_000 + BATCHES * 2_000);
});

/**
 * Found by this harness (run with BROOK_FAULT_STREAM_TRIGGER=1, and by
 * reading Dispatcher.ts): when storage performs one of the dispatcher's
 * conditional writes but its answer is lost, the SDK's retry of that write
 * finds its condition false. The dispatcher used to read that as "someone
 * else holds the partition" and, triggered by an append (not a wake-up),
 * asked for no wake-up, so the partition waited for the next append or the
 * daily sweep. Now it recognizes its own write in the item the failed
 * condition answers with (its lease owner, its settle token) and goes on.
 */
describe('liveness: a lost answer to the dispatcher\'s own write', () => {
  async function lostWrite(name: string, nth: number, status: number) {
    const topic = `liveness-${name}`;
    expect((await brook.call({ method: 'POST', path: '/v1/topics', body: { name: topic, partitions: 1 } })).status).toBe(201);
    const hook = await startWebhookReceiver();
    hook.answer = () => ({ status });
    try {
      const created = await brook.call({ method: 'POST', path: '/v1/subscriptions', body: { name, topic, target: { type: 'http', url: hook.url }, startAt: 'earliest' } });
      expect(created.status).toBe(201);
      expect((await brook.call({ method: 'POST', path: `/v1/topics/${topic}/records`, body: { records: [{ value: 'x', partition: 0 }] } })).status).toBe(200);
      const { topicId } = await brook.topics.get(topic);
      const asked: { subscription: string; partition: number; delayMs: number }[] = [];
      // A backoff long enough that the retry is not due when the dispatcher looks again.
      const wiring = (await brookUnderTest({ ...config, subscriptionBackoffMs: 2000 })).wiring;
      const dispatcher = createDispatcher(wiring, { logger: silentLogger, wakeups: { schedule: async (wake, delayMs) => void asked.push({ ...wake, delayMs }) }, leaseMs: 2000 });
      // The nth UpdateItem on the subscriptions table: 1 is the lease (acquire), 2 the failed try's write (retry later).
      dynamo.setRules([{ table: '-subscriptions', operation: 'UpdateItem', nth, action: { kind: 'lostAnswer' } }]);
      let report: unknown;
      let lost: number;
      try {
        report = await dispatcher.onAppends([`${topicId}#0`]);
      } finally {
        lost = dynamo.stats().faults.lostAnswer;
        dynamo.setRules([]);
      }
      expect(lost, 'the answer of that write was lost').toBe(1);
      const description = (await brook.call({ method: 'GET', path: `/v1/subscriptions/${name}` })).body as { partitions: { position: number; attempts: number }[] };
      const partition = description.partitions[0]!;
      return { asked, received: hook.received.length, partition, evidence: `report ${JSON.stringify(report)}; wake-ups asked ${JSON.stringify(asked)}; received ${hook.received.length}; partition ${JSON.stringify(partition)}` };
    } finally {
      await hook.close();
    }
  }

  it('a lost answer to the lease write: the record is delivered', async () => {
    const { received, partition, evidence } = await lostWrite('lost-lease', 1, 200);
    expect(received, evidence).toBe(1);
    expect(partition.position, evidence).toBe(1);
  });

  it('a lost answer to a failed try\'s write: a wake-up is asked for the retry', async () => {
    const { asked, received, partition, evidence } = await lostWrite('lost-failure', 2, 500);
    expect(received, evidence).toBe(1);
    expect(asked, evidence).toEqual([expect.objectContaining({ subscription: 'lost-failure', partition: 0 })]);
    expect(partition, evidence).toMatchObject({ position: 0, attempts: 1 });
  });
});
