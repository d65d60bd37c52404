/**
 * A subscription under load, driven the way the deployed stack drives it
 * (docs/subscriptions.md, "Delivery"), for the fault harness: a webhook that
 * fails a seeded fraction of deliveries (HTTP 500, sometimes a partial
 * `batchItemFailures` answer, sometimes slowly), a subscription on it
 * (`startAt: "earliest"`, small batches, retried forever), and two dispatcher
 * instances (two Lambda invocations) running at once: each calls `onAppends`
 * for every partition of the topic about every 50 ms, as the DynamoDB stream
 * trigger would, and runs the wake-ups the dispatchers ask for once due, as
 * the wake state machine would. Both race for the same partitions, so the
 * lease's one-batch-in-flight guarantee is really exercised.
 *
 * An error out of a dispatcher (storage throttled, a connection reset) never
 * stops the workload: it is counted and kept as a sample, and the stack goes
 * on, as the next trigger would. `history()` gives what
 * test/helpers/deliveryHistory.ts checks.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../../functions/http/logger.js';
import type { Dispatcher } from '../../functions/subscriptions/Dispatcher.js';
import type { Wakeups } from '../../functions/subscriptions/wakeups.js';
import { createDispatcher } from '../../functions/wiring.js';
import type { SubscriptionDescription } from '../../protocol/types.js';
import type { BrookUnderTest } from './brookHandlers.js';
import type { ReceivedBatch, WebhookAnswer } from './deliveryHistory.js';
import { seededRandom } from './random.js';
import { startWebhookReceiver, type Answer, type ReceivedDelivery, type WebhookReceiver } from './webhookReceiver.js';

export interface SubscriptionWorkloadOptions {
  brook: BrookUnderTest;
  topic: string;
  partitions: number;
  /** The subscription's name. */
  name: string;
  /** Seeds the webhook's answers and the choice of instance. @default 1 */
  seed?: number;
  /** The fraction of deliveries the webhook fails (500 or a partial answer). @default 0.3 */
  failureRate?: number;
  /** @default 4 */
  batchSize?: number;
  /**
   * Trigger `onAppends` only for partitions whose high watermark grew since
   * that instance's last trigger, as the DynamoDB stream does, instead of for
   * every partition every tick. Then, once appends stop, only wake-ups drive
   * delivery: a lost wake-up shows as a partition that never drains.
   * @default false
   */
  onlyOnNewRecords?: boolean;
}

/** What happened, for the checker and the report. */
export interface SubscriptionHistory {
  deliveries: ReceivedBatch[];
  /** Dispatcher invocations (onAppends and wake-ups) run. */
  invocations: number;
  wakeupsAsked: number;
  wakeupsRun: number;
  /** Errors out of a dispatcher, and partition runs that failed inside one (logged as errors): storage faults. */
  dispatcherErrors: number;
  /** A few of those errors' messages. */
  errorSamples: string[];
  /** Answers the webhook gave. */
  answers: { delivered: number; failed: number; partial: number; slow: number };
}

export interface SubscriptionWorkload {
  receiver: WebhookReceiver;
  /** Keeps dispatching until every partition's position reaches its high watermark (faults should be off by then); rejects after `timeoutMs`. */
  drain(timeoutMs: number): Promise<void>;
  /** Stops both instances once their invocations end; pending wake-ups are dropped. */
  stop(): Promise<void>;
  history(): SubscriptionHistory;
  /** Per-partition positions as `GET /v1/subscriptions/{name}` shows them. */
  positions(): Promise<Record<number, number>>;
}

/** How often each instance triggers `onAppends`. */
const APPENDS_EVERY_MS = 50;
/** How long a slow answer takes. */
const SLOW_MS = 200;
const SAMPLES = 10;

/** What the webhook's answer means, as the contract reads it (deliveryAnswer.ts). */
function meaningOf(answer: Answer): WebhookAnswer {
  if (answer.status < 200 || answer.status > 299) return { kind: 'failed', status: answer.status };
  const failures = answer.body ? (JSON.parse(answer.body) as { batchItemFailures?: { itemIdentifier: string }[] }).batchItemFailures : undefined;
  if (!failures || failures.length === 0) return { kind: 'delivered' };
  return { kind: 'partial', failedFrom: Math.min(...failures.map((f) => Number(f.itemIdentifier))) };
}

function asReceivedBatch(delivery: ReceivedDelivery): ReceivedBatch {
  return {
    partition: delivery.batch.partition,
    deliveryId: String(delivery.headers['brook-delivery-id']),
    records: delivery.batch.records.map((record) => ({ offset: record.offset, value: record.value })),
    arrivedAt: delivery.arrivedAt,
    answeredAt: delivery.at,
    answer: meaningOf(delivery.answered),
  };
}

export async function startSubscriptionWorkload(options: SubscriptionWorkloadOptions): Promise<SubscriptionWorkload> {
  const { brook, topic, partitions, name } = options;
  const random = seededRandom(options.seed ?? 1);
  const failureRate = options.failureRate ?? 0.3;
  const answers = { delivered: 0, failed: 0, partial: 0, slow: 0 };

  // The webhook: fails a seeded fraction, a third of those with a partial answer; some answers are slow.
  const receiver = await startWebhookReceiver();
  receiver.answer = (batch) => {
    const roll = random();
    const delayMs = random() < 0.15 ? SLOW_MS : 0;
    if (delayMs) answers.slow++;
    if (roll < failureRate * 0.65) {
      answers.failed++;
      return { status: 500, delayMs };
    }
    if (roll < failureRate) {
      answers.partial++;
      const failedAt = Math.floor(random() * batch.records.length);
      const failed = batch.records.slice(failedAt).filter((_, i) => i === 0 || random() < 0.5);
      return { status: 200, body: JSON.stringify({ batchItemFailures: failed.map((r) => ({ itemIdentifier: String(r.offset) })) }), delayMs };
    }
    answers.delivered++;
    return { status: 200, delayMs };
  };

  let dispatcherErrors = 0;
  const errorSamples: string[] = [];
  const noteError = (message: string) => {
    dispatcherErrors++;
    if (errorSamples.length < SAMPLES) errorSamples.push(message);
  };
  /** Counts the dispatcher's own error lines (a partition run that failed): storage faults it caught. */
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: (message, extra) => noteError(`${message}: ${String(extra?.error ?? '')}`),
  };

  // Wake-ups wait in this list until due; either instance runs them (in AWS, a Step Functions execution invokes the dispatcher).
  let stopped = false;
  let wakeupsAsked = 0;
  let wakeupsRun = 0;
  let invocations = 0;
  const pending: { subscription: string; partition: number; dueAt: number }[] = [];
  const wakeups: Wakeups = {
    schedule: async (wake, delayMs) => {
      wakeupsAsked++;
      if (!stopped) pending.push({ ...wake, dueAt: Date.now() + delayMs });
    },
  };
  /** The first due wake-up, with every other one due for the same partition (one run serves them all). */
  const takeDueWake = () => {
    const now = Date.now();
    const at = pending.findIndex((w) => w.dueAt <= now);
    if (at === -1) return undefined;
    const wake = pending[at]!;
    for (let i = pending.length - 1; i >= 0; i--) {
      const other = pending[i]!;
      if (other.dueAt <= now && other.subscription === wake.subscription && other.partition === wake.partition) pending.splice(i, 1);
    }
    return wake;
  };

  // The subscription (retried: the caller may already have storage faults on).
  for (let attempt = 0; ; attempt++) {
    const created = await brook
      .call({ method: 'POST', path: '/v1/subscriptions', body: { name, topic, target: { type: 'http', url: receiver.url }, startAt: 'earliest', batchSize: options.batchSize ?? 4, maxRetries: -1 } })
      .catch(() => undefined);
    if (created?.status === 201 || created?.status === 409) break;
    if (attempt >= 20) throw new Error(`cannot create subscription ${name}: ${JSON.stringify(created?.body)}`);
    await sleep(20);
  }
  const { topicId } = await brook.topics.get(topic);
  const partitionKeys = Array.from({ length: partitions }, (_, p) => `${topicId}#${p}`);

  const invoke = async (run: () => Promise<unknown>) => {
    invocations++;
    try {
      await run();
    } catch (error) {
      noteError(`invocation failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  };

  // Two instances, each one invocation at a time.
  const dispatchers: Dispatcher[] = [0, 1].map(() => createDispatcher(brook.wiring, { logger, wakeups, leaseMs: 3000, deliveryTimeoutMs: 1500 }));
  /** The partitions to trigger: all, or those whose high watermark grew since `seen` (updated). */
  const partitionsToTrigger = async (seen: number[]): Promise<string[]> => {
    if (!options.onlyOnNewRecords) return partitionKeys;
    const keys: string[] = [];
    for (let p = 0; p < partitions; p++) {
      const head = await brook.log.head(topicId, p).catch(() => undefined);
      if (head && head.highWatermark > (seen[p] ?? 0)) {
        seen[p] = head.highWatermark;
        keys.push(partitionKeys[p]!);
      }
    }
    return keys;
  };
  const instance = async (dispatcher: Dispatcher, offsetMs: number) => {
    let lastAppends = Date.now() - APPENDS_EVERY_MS + offsetMs;
    const seen: number[] = [];
    while (!stopped) {
      const wake = takeDueWake();
      if (wake) {
        wakeupsRun++;
        await invoke(() => dispatcher.wake(wake.subscription, wake.partition));
      } else if (Date.now() - lastAppends >= APPENDS_EVERY_MS) {
        lastAppends = Date.now();
        const keys = await partitionsToTrigger(seen);
        if (keys.length > 0) await invoke(() => dispatcher.onAppends(keys));
      } else {
        await sleep(5 + Math.floor(random() * 5));
      }
    }
  };
  const running = dispatchers.map((dispatcher, i) => instance(dispatcher, i * 25));

  const positions = async (): Promise<Record<number, number>> => {
    const response = await brook.call({ method: 'GET', path: `/v1/subscriptions/${name}` });
    if (response.status !== 200) throw new Error(`GET /v1/subscriptions/${name} answered ${response.status}: ${JSON.stringify(response.body)}`);
    return Object.fromEntries((response.body as SubscriptionDescription).partitions.map((p) => [p.partition, p.position]));
  };

  return {
    receiver,
    positions,
    drain: async (timeoutMs) => {
      const until = Date.now() + timeoutMs;
      let last = '';
      for (;;) {
        const response = await brook.call({ method: 'GET', path: `/v1/subscriptions/${name}` }).catch(() => undefined);
        if (response?.status === 200) {
          const shown = (response.body as SubscriptionDescription).partitions;
          last = JSON.stringify(shown.map((p) => ({ partition: p.partition, position: p.position, highWatermark: p.highWatermark, attempts: p.attempts, lastError: p.lastError })));
          if (shown.length === partitions && shown.every((p) => p.position >= p.highWatermark)) return;
        }
        if (Date.now() > until) throw new Error(`not drained after ${timeoutMs} ms: ${last}; wake-ups pending ${pending.length}`);
        await sleep(100);
      }
    },
    stop: async () => {
      stopped = true;
      pending.length = 0;
      await Promise.all(running);
      await receiver.close();
    },
    history: () => ({
      deliveries: receiver.received.filter((d) => d.batch.subscription === name).map(asReceivedBatch),
      invocations,
      wakeupsAsked,
      wakeupsRun,
      dispatcherErrors,
      errorSamples: [...errorSamples],
      answers: { ...answers },
    }),
  };
}
