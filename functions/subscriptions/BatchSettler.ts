/**
 * What becomes of a batch after a try of its target (docs/subscriptions.md,
 * "Delivery"): delivered, its position settled (in one transaction with the
 * records its answer carried); failed, a retry due after a backoff with a
 * wake-up asked for; or out of retries, parked on the `onFailure` topic or
 * dropped, and the position moved past it. Every write is fenced by the
 * partition's lease: a run that lost it learns so ('lost') and writes nothing.
 */
import { BrookError } from '../../protocol/errors.js';
import type { ProducerRecord, StoredRecord } from '../../protocol/recordBatch.js';
import type { Logger } from '../http/logger.js';
import type { Topic, TopicRegistry } from '../topics/TopicRegistry.js';
import type { TransactionRecord, TransactionService } from '../transactions/TransactionService.js';
import { answerRecords } from './deliveryAnswer.js';
import { backoffDelay, parkedRecord } from './deliveryPolicy.js';
import type { DeliveryItem, SubscriptionItem } from './subscriptionItems.js';
import type { SubscriptionMetrics } from './subscriptionMetrics.js';
import { SettleLanded, SettleLeaseLost, type Settlement, type SubscriptionStore } from './SubscriptionStore.js';
import type { Wakeups } from './wakeups.js';

export interface BatchSettlerOptions {
  store: SubscriptionStore;
  topics: Pick<TopicRegistry, 'find'>;
  /** Writes an answer's records with the settle; without it, an answer carrying records fails its batch. */
  transactions?: Pick<TransactionService, 'commit'>;
  /** Appends parked records to an `onFailure` topic (all or nothing per call, or it throws). */
  park: (topic: Topic, records: ProducerRecord[]) => Promise<void>;
  wakeups: Wakeups;
  /** First retry delay. */
  backoffMs: number;
  /** How long a lease lasts. */
  leaseMs: number;
  logger: Logger;
  metrics?: SubscriptionMetrics;
  now: () => number;
  random: () => number;
}

/** The partition a run delivers under its lease, and the run's counts of what it parked and dropped. */
export interface PartitionRun {
  partition: number;
  owner: string;
  report: { parked: number; dropped: number };
}

/** An answer's records that can never be written as they are (a bad record, a topic that does not exist, too much): the batch fails. */
export class RecordsRefused extends Error {
  override readonly name = 'RecordsRefused';
}

export class BatchSettler {
  constructor(private readonly options: BatchSettlerOptions) {}

  /**
   * Settles a delivered batch (or the delivered part of it). Without
   * records, the plain settle. With the records its answer carried, the
   * settle is made in one transaction with them (TransactionService), so
   * they are written once with the position, or not at all: a batch
   * delivered again after its settle was lost writes its records then, and
   * only then. The dispatcher writes them with its own rights: no API key
   * is involved. Answers the item as settled, 'lost' when the lease was lost
   * (nothing written), or `RecordsRefused` when the records can never be
   * written as they are (nothing written: the batch fails). Any other error
   * (storage throttled, an outcome unknown) is thrown: the partition is
   * tried again later from the position storage holds.
   */
  async settleBatch(
    subscription: SubscriptionItem,
    partition: number,
    owner: string,
    raw: readonly unknown[] | undefined,
    settlement: Settlement,
  ): Promise<DeliveryItem | 'lost' | RecordsRefused> {
    const { store, transactions, logger } = this.options;
    if (!raw) return (await store.settle(subscription, partition, owner, settlement)) ?? 'lost';
    let records: TransactionRecord[];
    try {
      if (!transactions) throw new BrookError('INVALID_REQUEST', 'this dispatcher writes no records');
      records = answerRecords(raw, subscription.encoding, this.options.now());
    } catch (error) {
      if (error instanceof BrookError) return new RecordsRefused(`the answer's records cannot be written: ${error.code}: ${error.message}`.slice(0, 1000));
      throw error;
    }
    const part = store.settlePart(subscription, partition, owner, settlement);
    try {
      await transactions.commit({ records, with: part });
    } catch (error) {
      if (error instanceof SettleLanded) return error.item; // an earlier try of this transaction landed, its answer lost
      if (error instanceof SettleLeaseLost) return 'lost';
      if (error instanceof BrookError && !error.retriable) {
        logger.warn('subscription answer records refused', { subscription: subscription.name, partition, code: error.code, error: error.message });
        return new RecordsRefused(`the answer's records cannot be written: ${error.code}: ${error.message}`.slice(0, 1000));
      }
      throw error;
    }
    return (await part.settled()) ?? 'lost';
  }

  /** Gives up the lease with a retry due after the backoff, and asks to be woken then. */
  async retryLater(
    subscription: SubscriptionItem,
    partition: number,
    owner: string,
    failure: { attempts: number; batchEnd: number; lastError: string },
  ): Promise<'waiting' | 'lost'> {
    const delay = backoffDelay(Math.max(1, failure.attempts), this.options.backoffMs, this.options.random);
    const settled = await this.options.store.settle(subscription, partition, owner, {
      attempts: failure.attempts,
      retryAt: this.options.now() + delay,
      batchEnd: failure.batchEnd,
      lastError: failure.lastError,
    });
    if (!settled) return 'lost';
    await this.options.wakeups.schedule({ subscription: subscription.name, partition }, delay);
    return 'waiting';
  }

  /**
   * Records that exhausted their retries (or grew too old): parked on the
   * `onFailure` topic with their source headers, or dropped and counted.
   * Either way the position moves past them. If parking fails for a while
   * (the topic is gone, storage throttles), they wait and parking is tried
   * again, without another try of the target; if it can never succeed (a
   * record too large with its source headers, say), they are dropped, the
   * reason in `lastError`.
   */
  async exhaust(run: PartitionRun, subscription: SubscriptionItem, current: DeliveryItem, records: StoredRecord[], error: string): Promise<DeliveryItem | 'waiting' | 'lost'> {
    const { store, topics, park, metrics, logger } = this.options;
    const { partition, owner } = run;
    const to = records.at(-1)!.offset + 1;
    const settlement: Settlement = { position: to, attempts: 0, lastError: error, leaseUntil: this.options.now() + this.options.leaseMs };
    let parked = false;
    if (subscription.onFailure) {
      const target = await topics.find(subscription.onFailure.topic);
      try {
        if (!target) throw new Error(`topic "${subscription.onFailure.topic}" does not exist`);
        await park(target, records.map((record) => parkedRecord(record, { topic: subscription.topic, partition }, error)));
        parked = true;
      } catch (parkError) {
        const reason = `cannot park on ${subscription.onFailure.topic}: ${parkError instanceof Error ? parkError.message : String(parkError)}`;
        if (!(parkError instanceof BrookError) || parkError.retriable || !target) {
          // Keeps the batch and its count of tries: the next wake-up parks it without trying the target again.
          return this.retryLater(subscription, partition, owner, { attempts: Math.max(current.attempts, (subscription.maxRetries >= 0 ? subscription.maxRetries : 0) + 1), batchEnd: to, lastError: reason });
        }
        settlement.lastError = reason;
      }
    }
    if (parked) {
      settlement.parked = records.length;
      run.report.parked += records.length;
      metrics?.(subscription.name, 'subscriptionParked', records.length);
    } else {
      settlement.dropped = records.length;
      run.report.dropped += records.length;
      metrics?.(subscription.name, 'subscriptionDropped', records.length);
    }
    logger.warn(parked ? 'subscription records parked' : 'subscription records dropped', { subscription: subscription.name, partition, from: records[0]!.offset, count: records.length, error: settlement.lastError });
    return (await store.settle(subscription, partition, owner, settlement)) ?? 'lost';
  }
}
