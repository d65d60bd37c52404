/**
 * The dispatcher (docs/subscriptions.md, "Delivery"): it delivers the
 * records of subscribed partitions to their targets, one batch per
 * partition at a time, in offset order.
 *
 * A partition is delivered only under its lease (SubscriptionStore.acquire):
 * two dispatchers never deliver the same partition at once, and every change
 * of its position is fenced by the lease. The position moves only after the
 * target answered, so a crash can deliver again at most the batch in flight.
 * A failed batch waits for its retry in the delivery item (`retryAt`), and a
 * wake-up is asked for, so a retry never needs another append. Records a
 * target answers with are written in one transaction with the settle that
 * moves the position (BatchSettler), so they are written once.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ProducerRecord, StoredRecord } from '../../protocol/recordBatch.js';
import type { Logger } from '../http/logger.js';
import type { PartitionHead, PartitionLog } from '../log/PartitionLog.js';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mapLimit } from '../storage/mapLimit.js';
import type { Topic, TopicRegistry } from '../topics/TopicRegistry.js';
import { BatchSettler, RecordsRefused } from './BatchSettler.js';
import type { DeliveryOutcome } from './deliveryAnswer.js';
import { firstBody, type DeliveryBody } from './deliveryPolicy.js';
import type { DispatchTrigger } from './dispatchEvents.js';
import { dueTasks, tasksOfAppends, unique, type Task } from './dispatchTasks.js';
import type { LambdaInvoker } from './lambdaTarget.js';
import type { SecretOpener } from './secretOpener.js';
import type { DeliveryItem, SubscriptionItem } from './subscriptionItems.js';
import type { SubscriptionMetrics } from './subscriptionMetrics.js';
import type { SubscriptionStore } from './SubscriptionStore.js';
import type { TransactionService } from '../transactions/TransactionService.js';
import type { Wakeups } from './wakeups.js';
import type { WebhookDelivery } from './webhookTarget.js';

/** How many records one read brings at most; a batch is cut to its body size anyway. */
const READ_MAX_BYTES = 8 * 1024 * 1024;
/** Partitions delivered at once by one dispatcher run. */
const PARALLEL_PARTITIONS = 32;

export interface DispatcherOptions {
  store: SubscriptionStore;
  doc: DynamoDBDocumentClient;
  logTable: string;
  log: Pick<PartitionLog, 'head' | 'read'>;
  topics: Pick<TopicRegistry, 'find'>;
  /**
   * Writes the records a target answered with, in one transaction with the
   * settle that moves the position (docs/subscriptions.md, "Answers with
   * records"). Without it, an answer carrying records fails its batch.
   */
  transactions?: Pick<TransactionService, 'commit'>;
  /** Appends parked records to an `onFailure` topic (all or nothing per call, or it throws; a BrookError that is not retriable will never succeed). */
  park: (topic: Topic, records: ProducerRecord[]) => Promise<void>;
  webhook: (delivery: WebhookDelivery) => Promise<DeliveryOutcome>;
  lambda: LambdaInvoker;
  /** Opens webhook secrets (the deployment's private key). */
  opener: Pick<SecretOpener, 'open'>;
  wakeups: Wakeups;
  /** First retry delay (`BROOK_SUBSCRIPTION_BACKOFF_MS`). */
  backoffMs: number;
  allowPrivateTargets: boolean;
  logger: Logger;
  metrics?: SubscriptionMetrics;
  now?: () => number;
  random?: () => number;
  /** How long a lease lasts: longer than a delivery may take. @default 60000 */
  leaseMs?: number;
  /** How long a target has to answer. @default 30000 */
  deliveryTimeoutMs?: number;
  /** How long one run keeps delivering before it hands on to a wake-up. @default 240000 */
  budgetMs?: number;
}

export interface DispatchReport {
  partitions: number;
  delivered: number;
  failed: number;
  parked: number;
  dropped: number;
}

type RunEnd = 'caughtUp' | 'waiting' | 'lost' | 'stopped';

/** One partition's delivery in one run: its lease owner, the run's deadline and report. */
interface Run extends Task {
  owner: string;
  /** Epoch ms after which no batch starts: the run hands on to a wake-up. */
  deadline: number;
  /** The run was a wake-up: if the partition is still blocked, it must ask for another. */
  woken: boolean;
  report: DispatchReport;
}

/**
 * The `brook-delivery-id` of a batch: the same for the same records of the
 * same subscription (a retry, a redelivery after a crash), different for any
 * other batch, so a receiver may skip an id it has handled.
 */
export function deliveryIdOf(subscriptionId: string, partition: number, from: number, to: number): string {
  const hex = createHash('sha256').update(`${subscriptionId}/${partition}/${from}/${to}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** A failure that is the dispatcher's own (a secret it cannot open): it does not count as a try of the target. */
class InfrastructureError extends Error {
  override readonly name = 'InfrastructureError';
}

export class Dispatcher {
  /** The prefix of this dispatcher's lease owners (each partition run has its own). */
  readonly owner = `d-${randomUUID()}`;
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly deliveryTimeoutMs: number;
  private readonly budgetMs: number;
  private readonly settler: BatchSettler;

  constructor(private readonly options: DispatcherOptions) {
    this.now = options.now ?? Date.now;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.deliveryTimeoutMs = options.deliveryTimeoutMs ?? 30_000;
    this.budgetMs = options.budgetMs ?? 240_000;
    this.settler = new BatchSettler({ ...options, leaseMs: this.leaseMs, now: this.now, random: options.random ?? Math.random });
  }

  /** Stops pending wake-ups that live in this process (the local stack stopping). */
  stop(): void {
    this.options.wakeups.stop?.();
  }

  /**
   * Runs what a trigger asks for. `remainingMs` is how long the invocation
   * may still run (Lambda's `getRemainingTimeInMillis()`): no batch starts
   * later than a delivery timeout before it ends.
   */
  async dispatch(trigger: DispatchTrigger, remainingMs?: number): Promise<DispatchReport> {
    const limit = remainingMs === undefined ? this.budgetMs : Math.min(this.budgetMs, remainingMs - this.deliveryTimeoutMs - 10_000);
    const deadline = this.now() + Math.max(0, limit);
    if (trigger.kind === 'wake') return this.wake(trigger.subscription, trigger.partition, deadline);
    if (trigger.kind === 'sweep') return this.sweep(deadline);
    const tasks = [...(await tasksOfAppends(this.options.store, trigger.partitionKeys))];
    for (const name of trigger.subscriptions) tasks.push(...(await dueTasks(this.options, name)));
    return this.runAll(unique(tasks), deadline, false);
  }

  /** Appends landed on these log partitions (`<topicId>#<partition>`): deliver them to every active subscription of their topics. */
  async onAppends(partitionKeys: Iterable<string>, deadline = this.now() + this.budgetMs): Promise<DispatchReport> {
    return this.runAll(await tasksOfAppends(this.options.store, partitionKeys), deadline, false);
  }

  /** A wake-up it asked for: a retry or a batching window is due. */
  async wake(name: string, partition: number, deadline = this.now() + this.budgetMs): Promise<DispatchReport> {
    const subscription = await this.options.store.find(name);
    return this.runAll(subscription ? [{ subscription, partition }] : [], deadline, true);
  }

  /** Every active subscription's partitions that have records to deliver (the daily sweep; the local stack's timer). */
  async sweep(deadline = this.now() + this.budgetMs): Promise<DispatchReport> {
    const tasks: Task[] = [];
    for (const listed of await this.options.store.list()) tasks.push(...(await dueTasks(this.options, listed.name)));
    return this.runAll(tasks, deadline, false);
  }

  private async runAll(tasks: Task[], deadline: number, woken: boolean): Promise<DispatchReport> {
    const report: DispatchReport = { partitions: tasks.length, delivered: 0, failed: 0, parked: 0, dropped: 0 };
    const wakeSoon = (task: Task, delayMs: number) =>
      this.options.wakeups.schedule({ subscription: task.subscription.name, partition: task.partition }, delayMs).catch((error: unknown) => {
        this.options.logger.error('cannot schedule a subscription wake-up', { subscription: task.subscription.name, partition: task.partition, error: String(error) });
      });
    await mapLimit(tasks, PARALLEL_PARTITIONS, async (task) => {
      // Out of time before this partition's turn: hand it on.
      if (this.now() >= deadline) return wakeSoon(task, 0);
      try {
        await this.runPartition({ ...task, owner: `${this.owner}/${randomUUID().slice(0, 8)}`, deadline, woken, report });
      } catch (error) {
        report.failed++;
        this.options.logger.error('subscription delivery failed', {
          subscription: task.subscription.name,
          partition: task.partition,
          error: error instanceof Error ? error.message : String(error),
        });
        // Whatever went wrong (storage throttled, say), try again later rather than wait for the next append.
        await wakeSoon(task, this.options.backoffMs);
      }
    });
    return report;
  }

  /**
   * Delivers one partition while there is something to deliver. After giving
   * up the lease it looks again: an append whose trigger found the lease
   * taken is delivered by the holder, never left behind.
   */
  private async runPartition(run: Run): Promise<void> {
    const { store, log } = this.options;
    // This run lost the lease on the way (a reset, or a write it could not recognize as its own: SubscriptionStore.settle).
    let lost = false;
    for (;;) {
      // One round trip: the settings as they are now, the lease, and the partition's HEAD.
      const now = this.now();
      const [fresh, acquired, head] = await Promise.allSettled([
        store.find(run.subscription.name),
        store.acquire(run.subscription, run.partition, run.owner, now, now + this.leaseMs),
        log.head(run.subscription.topicId, run.partition),
      ]);
      if (acquired.status === 'rejected') throw acquired.reason;
      if ('blockedUntil' in acquired.value) {
        // A wake-up that came early (a clock's skew, a wait longer than one step) asks for the next. So does a run
        // that lost the lease: it cannot tell whether whoever blocks the partition now will deliver what it left.
        if ((run.woken || lost) && acquired.value.blockedUntil > now) {
          await this.options.wakeups.schedule({ subscription: run.subscription.name, partition: run.partition }, acquired.value.blockedUntil - now + 50);
        }
        return;
      }
      if (fresh.status === 'rejected' || head.status === 'rejected') {
        await store.release(run.subscription, run.partition, run.owner).catch(() => undefined);
        throw fresh.status === 'rejected' ? fresh.reason : (head as PromiseRejectedResult).reason;
      }
      const subscription = fresh.value;
      if (!subscription || subscription.id !== run.subscription.id || subscription.state !== 'active') {
        // Paused, deleted or made again since the trigger was read: no delivery starts.
        if (subscription?.id === run.subscription.id) await store.release(run.subscription, run.partition, run.owner);
        else await store.discard(run.subscription, run.partition); // the item the lease made for a subscription that is gone
        return;
      }
      let end: { end: RunEnd; position: number };
      try {
        end = await this.deliverUnderLease({ ...run, subscription }, acquired.value.delivery, head.value);
      } catch (error) {
        await store.release(subscription, run.partition, run.owner).catch(() => undefined);
        throw error;
      }
      // A reset (or an expiry) took the lease: go again from where the position is now.
      if (end.end === 'lost') {
        lost = true;
        continue;
      }
      if (end.end !== 'caughtUp' || this.now() >= run.deadline) return;
      // An append whose trigger found the lease taken is delivered here, not left behind.
      const after = await log.head(subscription.topicId, run.partition);
      if (Math.max(end.position, after.logStartOffset) >= after.highWatermark) return;
    }
  }

  /** Delivers batches while the lease holds and records remain; answers how it ended and the position it left. */
  private async deliverUnderLease(run: Run, acquired: DeliveryItem, firstHead: PartitionHead): Promise<{ end: RunEnd; position: number }> {
    const { store, log, logger, metrics } = this.options;
    const { partition, owner } = run;
    let subscription = run.subscription;
    let current = acquired;
    const ended = (end: RunEnd) => ({ end, position: current.position });
    const wakeAfter = (delayMs: number) => this.options.wakeups.schedule({ subscription: subscription.name, partition }, delayMs);
    for (let batch = 0; ; batch++) {
      let head = firstHead;
      if (batch > 0) {
        const [fresh, latest] = await Promise.all([store.find(subscription.name), log.head(subscription.topicId, partition)]);
        // Paused or deleted meanwhile: no new batch starts.
        if (!fresh || fresh.id !== subscription.id || fresh.state !== 'active') {
          await store.release(subscription, partition, owner);
          return ended('stopped');
        }
        subscription = fresh;
        head = latest;
      }
      const now = this.now();
      if (now >= run.deadline) {
        await store.release(subscription, partition, owner);
        await wakeAfter(0);
        return ended('waiting');
      }
      const position = Math.max(current.position, head.logStartOffset);
      metrics?.(subscription.name, 'subscriptionLag', Math.max(0, head.highWatermark - position));
      if (position >= head.highWatermark) {
        if (position !== current.position) await store.settle(subscription, partition, owner, { position, attempts: 0 });
        else await store.release(subscription, partition, owner);
        return { end: 'caughtUp', position };
      }
      // A batch tried before is sent again as it was: the same records under the same delivery id.
      const retrying = current.batchEnd !== undefined && position === current.position;
      const end = retrying ? Math.min(current.batchEnd!, head.highWatermark) : head.highWatermark;
      const read = await log.read(subscription.topicId, partition, position, { maxRecords: subscription.batchSize, maxBytes: READ_MAX_BYTES }, { ...head, highWatermark: end });
      if (read.records.length === 0) {
        // Only offsets removed by key compaction lie here: step over them.
        const next = await store.settle(subscription, partition, owner, { position: Math.max(read.nextOffset, position + 1), attempts: 0, leaseUntil: now + this.leaseMs });
        if (!next) return ended('lost');
        current = next;
        continue;
      }
      const records = read.records;
      metrics?.(subscription.name, 'subscriptionIteratorAge', Math.max(0, now - records[0]!.timestamp));

      if (subscription.maxBatchingWindowMs > 0 && !retrying && records.length < subscription.batchSize) {
        const due = Math.min(records[0]!.timestamp, now) + subscription.maxBatchingWindowMs;
        if (due > now) {
          // The window is held like a retry: appends meanwhile find the partition waiting and ask for nothing more.
          const waiting = await store.settle(subscription, partition, owner, { attempts: current.attempts, retryAt: due });
          if (!waiting) return ended('lost');
          await wakeAfter(due - now);
          return ended('waiting');
        }
      }

      if (subscription.maxRecordAgeMs >= 0) {
        const fresh = records.findIndex((record) => now - record.timestamp <= subscription.maxRecordAgeMs);
        const count = fresh === -1 ? records.length : fresh;
        if (count > 0) {
          const next = await this.settler.exhaust(run, subscription, current, records.slice(0, count), `older than maxRecordAgeMs (${subscription.maxRecordAgeMs} ms)`);
          if (next === 'lost' || next === 'waiting') return ended(next);
          current = next;
          continue;
        }
      }

      const body = firstBody({ subscription: subscription.name, topic: subscription.topic, partition, attempt: current.attempts + 1 }, records, subscription.encoding);
      const last = body.records.at(-1)!.offset + 1;
      // Retries ran out while parking could not be done: park now, without another try of the target.
      if (subscription.maxRetries >= 0 && current.attempts > subscription.maxRetries) {
        const next = await this.settler.exhaust(run, subscription, current, body.records, current.lastError ?? 'retries exhausted');
        if (next === 'lost' || next === 'waiting') return ended(next);
        current = next;
        continue;
      }

      let outcome = await this.deliver(subscription, deliveryIdOf(subscription.id, partition, position, last), body);
      if (outcome.kind === 'delivered') {
        // Caught up with the HEAD read before this batch: settle and give up the lease in one write (the caller looks again).
        const caughtUp = last >= head.highWatermark;
        const next = await this.settler.settleBatch(subscription, partition, owner, outcome.records, {
          position: last,
          attempts: 0,
          lastError: null,
          lastDeliveredAt: this.now(),
          ...(caughtUp ? {} : { leaseUntil: this.now() + this.leaseMs }),
        });
        if (next instanceof RecordsRefused) {
          // The answer's records cannot be written: nothing was, and the batch failed (below).
          outcome = { kind: 'failed', error: next.message };
        } else {
          run.report.delivered += body.records.length;
          metrics?.(subscription.name, 'subscriptionDeliveries', body.records.length);
          if (next === 'lost') return ended('lost');
          current = next;
          if (caughtUp) return { end: 'caughtUp', position: last };
          continue;
        }
      }

      let attempts = current.attempts + 1;
      let error = outcome.kind === 'failed' ? outcome.error : `the target failed offset ${outcome.failedFrom} (batchItemFailures)`;
      if (outcome.kind === 'partial' && outcome.failedFrom > position) {
        // The records before the first failure are delivered; the rest is a new batch with one failed try.
        const firstFailed = outcome.failedFrom;
        const delivered = body.records.filter((record) => record.offset < firstFailed).length;
        const next = await this.settler.settleBatch(subscription, partition, owner, outcome.records, {
          position: firstFailed,
          attempts: 0,
          lastDeliveredAt: this.now(),
          leaseUntil: this.now() + this.leaseMs,
        });
        if (next instanceof RecordsRefused) {
          // Nothing was written: the whole batch failed.
          outcome = { kind: 'failed', error: next.message };
          error = next.message;
        } else {
          run.report.delivered += delivered;
          metrics?.(subscription.name, 'subscriptionDeliveries', delivered);
          if (next === 'lost') return ended('lost');
          current = next;
          attempts = 1;
        }
      } else if (outcome.kind === 'partial' && outcome.records) {
        // No record of the batch was acknowledged: there is no position to write the records with.
        error += `; the answer's ${outcome.records.length} records were not written, since no record of the batch was delivered`;
      }
      // What is parked or dropped once retries run out: the whole batch, or after a partial answer only the record it failed first.
      const failedFrom = outcome.kind === 'partial' ? outcome.failedFrom : undefined;
      const failed: StoredRecord[] = failedFrom !== undefined ? body.records.filter((record) => record.offset === failedFrom) : body.records;
      run.report.failed++;
      metrics?.(subscription.name, 'subscriptionFailures', 1);
      logger.warn('subscription batch failed', { subscription: subscription.name, partition, offset: failed[0]!.offset, attempt: attempts, error });

      const tooOld = subscription.maxRecordAgeMs >= 0 && this.now() - failed[0]!.timestamp > subscription.maxRecordAgeMs;
      if ((subscription.maxRetries >= 0 && attempts > subscription.maxRetries) || tooOld) {
        const next = await this.settler.exhaust(run, { ...subscription }, { ...current, attempts }, failed, error);
        if (next === 'lost' || next === 'waiting') return ended(next);
        current = next;
        continue;
      }
      return ended(await this.settler.retryLater(subscription, partition, owner, { attempts, batchEnd: last, lastError: error }));
    }
  }

  /** One try of one batch, answered within the delivery timeout. */
  private async deliver(subscription: SubscriptionItem, deliveryId: string, body: DeliveryBody): Promise<DeliveryOutcome> {
    const signal = AbortSignal.timeout(this.deliveryTimeoutMs);
    const offsets = body.records.map((record) => record.offset);
    const { target } = subscription;
    if (target.type === 'lambda') return this.options.lambda({ functionArn: target.functionArn, body: body.body, offsets, signal });
    let secret: string;
    try {
      secret = await this.options.opener.open(subscription.sealedSecret ?? '');
    } catch (error) {
      // Not the target's failure: no try is counted, the partition is tried again after a backoff.
      throw new InfrastructureError(`the webhook secret cannot be opened: ${error instanceof Error ? error.message : String(error)}`);
    }
    return this.options.webhook({
      url: target.url,
      secret,
      subscription: subscription.name,
      deliveryId,
      body: body.body,
      offsets,
      signal,
      allowPrivateTargets: this.options.allowPrivateTargets,
      now: this.now,
    });
  }
}
