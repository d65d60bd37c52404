/**
 * Consume-transform-produce, exactly once: `runTransactional(consumer, {
 * producer, transform })` runs the consumer with an `eachBatch` that, for each
 * batch of one input partition, calls `transform` for the output messages and
 * commits them together with the input's new position in one transaction
 * (Transaction.ts). A member that dies anywhere leaves the batch either done
 * (outputs and position) or not done at all; the partition's next owner starts
 * at the committed position, so every input is in the output exactly once.
 *
 * What makes it hold:
 * - the consumer commits nothing else (`autoCommit: false`, checked), so the
 *   group's position of a partition moves only with the outputs;
 * - the member's commit in the transaction is fenced as any commit (it must
 *   own the partition), so a member whose partition moved writes nothing;
 * - the transaction is retried with the producer's claim, so a lost answer
 *   does not write twice;
 * - when a commit fails (refused, or its outcome unknown after the retries),
 *   the partition is moved back to the position the group has committed, read
 *   from the server: a batch that was written after all is not done again.
 */
import type { Consumer } from '../Consumer.js';
import type { Producer } from '../Producer.js';
import type { ProducerRecord } from '../producerMessages.js';
import { sleep } from './context.js';
import type { Batch, EachBatchPayload, RunOptions } from './types.js';

/** What `transform` gets: one input partition's batch. */
export interface TransformPayload {
  batch: Batch;
  /** False once the consumer stops or the partition moved away: what `transform` answers then is not written. */
  isRunning(): boolean;
}

export interface TransactionalRunOptions extends Omit<RunOptions, 'eachMessage' | 'eachBatch' | 'eachBatchAutoResolve'> {
  /** The producer of the outputs (idempotent, the default, for retries that never write twice). */
  producer: Producer;
  /**
   * The outputs of one batch of input messages, per topic (kafkajs's
   * `topicMessages`); none (`[]`) commits the input's position alone. Called
   * again for the same messages when the batch was not committed (the member
   * failed to commit it, or a new owner took the partition), so it should
   * depend on its input only.
   */
  transform(payload: TransformPayload): Promise<ProducerRecord[] | void> | ProducerRecord[] | void;
}

/**
 * Runs `consumer` (subscribed, made with `autoCommit: false`) so that each
 * batch's outputs and the input's position are committed in one transaction
 * of `producer`. Resolves once joined, as `consumer.run`; the rebalance hooks
 * and `onCrash` are passed on.
 */
export async function runTransactional(consumer: Consumer, options: TransactionalRunOptions): Promise<void> {
  const { producer, transform, ...hooks } = options;
  if (typeof transform !== 'function') throw new TypeError('runTransactional needs a transform');
  if (!producer || typeof producer.transaction !== 'function') throw new TypeError('runTransactional needs a producer');
  if (consumer.autoCommits) {
    throw new TypeError('runTransactional needs a consumer made with autoCommit: false (its transactions commit the positions)');
  }
  await consumer.run({
    ...hooks,
    eachBatchAutoResolve: false, // the position moves only when the transaction committed
    eachBatch: (payload) => processBatch(consumer, producer, transform, payload),
  });
}

async function processBatch(
  consumer: Consumer,
  producer: Producer,
  transform: TransactionalRunOptions['transform'],
  { batch, resolveOffset, isRunning }: EachBatchPayload,
): Promise<void> {
  const last = batch.messages.at(-1);
  if (!last || !isRunning()) return;
  const outputs = ((await transform({ batch, isRunning })) ?? []).filter((record) => record.messages.length > 0);
  if (!isRunning()) return; // moved away or stopping: the batch is left to whoever owns the partition next
  const transaction = producer.transaction();
  try {
    if (outputs.length > 0) await transaction.sendBatch({ topicMessages: outputs });
    await transaction.sendOffsets({ consumer, topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: last.offset + 1 }] }] });
    await transaction.commit();
  } catch (error) {
    await transaction.abort().catch(() => undefined);
    await backToCommitted(consumer, batch.topic, batch.partition, isRunning);
    throw error; // the consumer reports it and fetches again from the committed position
  }
  resolveOffset(last.offset);
}

/**
 * After a failed commit: the partition's position goes back to what the group
 * committed, which says whether the transaction was written after all (its
 * answer lost). Tried for as long as the consumer runs and owns the
 * partition; once it does not, its next owner (or this member, joining
 * again) reads the committed position anyway.
 */
async function backToCommitted(consumer: Consumer, topic: string, partition: number, isRunning: () => boolean): Promise<void> {
  while (isRunning()) {
    try {
      const [committed] = await consumer.committed([{ topic, partition }]);
      if (committed && isRunning()) consumer.seek({ topic, partition, offset: committed.offset });
      return;
    } catch {
      await sleep(500);
    }
  }
}
