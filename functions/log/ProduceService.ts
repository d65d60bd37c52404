import { BrookError } from '../../protocol/errors.js';
import { PARTITION_NUMBER_PATTERN } from '../../protocol/names.js';
import { partitionForKey } from '../../protocol/partitioner.js';
import {
  decodeBatch,
  encodeBatch,
  InvalidBatchError,
  readBatchHeader,
  recordSize,
  type BatchHeader,
  type ProducerRecord,
} from '../../protocol/recordBatch.js';
import type { ProduceResult, ProducerClaim } from '../../protocol/types.js';
import { checkPartition, topicNotFound, type Topic } from '../topics/TopicRegistry.js';
import type { HeadState } from './headState.js';
import type { PartitionLog } from './PartitionLog.js';
import type { ProducerBatch } from './producerState.js';
import { checkEpoch, type ProducerRegistry } from './ProducerRegistry.js';
import type { SnapshotReader } from './SnapshotReader.js';

export interface RecordToProduce {
  record: ProducerRecord;
  /** The partition the producer chose, if any. */
  partition?: number;
}

export interface ProduceOutcome {
  /** 200 when every partition succeeded, 207 when some did. */
  status: 200 | 207;
  results: ProduceResult[];
}

export type BatchCompression = 'none' | 'gzip' | 'auto';

/**
 * What a produce reads before it writes, in one round trip (`readFor`): the
 * topic, the HEAD of each partition its records land on, the producer's
 * epoch. Handed to `produce` or `produceBatch`, which then only write.
 */
export interface ProduceReads {
  topic: Topic;
  heads: Map<number, HeadState>;
  /** Read when the request has a producer claim: its id and current epoch (undefined: not registered). */
  producer?: { id: string; epoch: number | undefined };
  /** Where this request's keyless records go (one partition per request, in turns). */
  sticky: number;
}

export interface ProduceServiceOptions {
  log: PartitionLog;
  producers: ProducerRegistry;
  /** Reads the topic, HEADs and producer in one round trip (`readFor`). */
  snapshots?: SnapshotReader;
  /** How the server compresses the batches it encodes from JSON. @default 'auto' */
  compression?: BatchCompression;
  now?: () => number;
}

/**
 * Produce (docs/http.md, Produce): places records on partitions, checks the whole
 * request before anything is written, then appends one batch per partition,
 * all partitions at once.
 */
export class ProduceService {
  private readonly log: PartitionLog;
  private readonly producers: ProducerRegistry;
  private readonly snapshots: SnapshotReader | undefined;
  private readonly compression: BatchCompression;
  private readonly now: () => number;
  /** Keyless records of one request stick to one partition; requests take turns. */
  private stickyCounter = Math.floor(Math.random() * 1_000_000);

  constructor(options: ProduceServiceOptions) {
    this.log = options.log;
    this.producers = options.producers;
    this.snapshots = options.snapshots;
    this.compression = options.compression ?? 'auto';
    this.now = options.now ?? Date.now;
  }

  /**
   * Produce's reads, all in one round trip when this process has seen the
   * topic before: the topic (404 if it is gone), the HEAD of every partition
   * `records` land on (or `partition`, for a binary batch) and the epoch of
   * `producerId`. Nothing is checked against them yet: `produce` does it.
   */
  async readFor(topicName: string, target: { records: RecordToProduce[] } | { partition: number }, producerId?: string): Promise<ProduceReads> {
    if (!this.snapshots) throw new Error('ProduceService.readFor needs a SnapshotReader');
    const sticky = this.stickyCounter++;
    const partitionsOf = (topic: Topic) =>
      'partition' in target ? [target.partition] : this.assignPartitions(topic, target.records, sticky, false);
    const snapshot = await this.snapshots.read([{ name: topicName, partitions: partitionsOf }], producerId !== undefined ? { producerId } : {});
    const found = snapshot.topics.get(topicName);
    if (!found) throw topicNotFound(topicName);
    return {
      topic: found.topic,
      heads: found.heads,
      sticky,
      ...(producerId !== undefined ? { producer: { id: producerId, epoch: snapshot.producerEpoch } } : {}),
    };
  }

  /** JSON produce: records the server encodes into batches. With `reads` (from `readFor`), it only writes. */
  async produce(
    topic: Topic,
    records: RecordToProduce[],
    options: { producer?: ProducerClaim; expectedOffsets?: Record<string, number>; reads?: ProduceReads } = {},
  ): Promise<ProduceOutcome> {
    const { reads } = options;
    const partitions = this.assignPartitions(topic, records, reads?.sticky ?? this.stickyCounter++);
    for (const { record } of records) checkRecord(topic, record);
    const byPartition = new Map<number, ProducerRecord[]>();
    partitions.forEach((partition, i) => {
      const list = byPartition.get(partition) ?? [];
      list.push(records[i]!.record);
      byPartition.set(partition, list);
    });
    const expectedOffsets = this.checkExpectedOffsets(topic, options.expectedOffsets, byPartition);
    if (options.producer) {
      const missing = [...byPartition.keys()].filter((p) => options.producer!.sequences[String(p)] === undefined);
      if (missing.length > 0) {
        throw new BrookError('INVALID_REQUEST', `producer.sequences has no sequence for partition ${missing.join(', ')}`);
      }
      await this.checkProducer(options.producer, reads);
    }

    const outcomes = new Map<number, { baseOffset: number } | { error: BrookError }>();
    await Promise.all(
      [...byPartition].map(async ([partition, list]) => {
        const producer = options.producer
          ? { producerId: Number(options.producer.id), producerEpoch: options.producer.epoch, baseSequence: options.producer.sequences[String(partition)]! }
          : undefined;
        const batch = encodeBatch(list, { compression: this.compression, ...(producer ? { producer } : {}) });
        const append = { claim: options.producer, expectedOffset: expectedOffsets.get(partition), knownHead: reads?.heads.get(partition) };
        outcomes.set(partition, await this.appendOne(topic, partition, batch, list.length, append));
      }),
    );

    const nextInPartition = new Map<number, number>();
    const results: ProduceResult[] = partitions.map((partition) => {
      const outcome = outcomes.get(partition)!;
      if ('error' in outcome) return { partition, error: outcome.error.toJSON().error };
      const index = nextInPartition.get(partition) ?? 0;
      nextInPartition.set(partition, index + 1);
      return { partition, offset: outcome.baseOffset + index };
    });
    return finish(results, outcomes);
  }

  /**
   * Binary produce: one batch in Brook's record-batch format, stored as it
   * came once it is checked (CRC, framing, record sizes, producer).
   */
  async produceBatch(topic: Topic, partition: number, batch: Uint8Array, expectedOffset?: number, reads?: ProduceReads): Promise<ProduceOutcome> {
    checkPartition(topic, partition);
    let header: BatchHeader;
    let records: ProducerRecord[];
    try {
      ({ header, records } = decodeBatch(batch));
    } catch (error) {
      if (error instanceof InvalidBatchError) throw new BrookError('INVALID_RECORD', `invalid record batch: ${error.message}`);
      throw error;
    }
    if (header.sizeBytes !== batch.length) {
      throw new BrookError('INVALID_RECORD', 'the body must hold exactly one record batch');
    }
    for (const record of records) checkRecord(topic, record);
    let claim: ProducerClaim | undefined;
    if (header.producerId >= 0) {
      claim = { id: String(header.producerId), epoch: header.producerEpoch, sequences: { [partition]: header.baseSequence } };
      if (header.baseSequence < 0) throw new BrookError('INVALID_RECORD', 'an idempotent batch needs a base sequence');
      await this.checkProducer(claim, reads);
    }
    const outcome = await this.appendOne(topic, partition, batch, header.recordCount, { claim, expectedOffset, knownHead: reads?.heads.get(partition) });
    if ('error' in outcome) throw outcome.error;
    return {
      status: 200,
      results: records.map((_, i) => ({ partition, offset: outcome.baseOffset + i })),
    };
  }

  /** Refuses a fenced or unknown producer: from the epoch read with the rest when there is one, else with a read of its own. */
  private async checkProducer(claim: ProducerClaim, reads: ProduceReads | undefined): Promise<void> {
    if (reads?.producer?.id === claim.id) checkEpoch(claim.id, claim.epoch, reads.producer.epoch);
    else await this.producers.checkCurrent(claim.id, claim.epoch);
  }

  private async appendOne(
    topic: Topic,
    partition: number,
    batch: Uint8Array,
    count: number,
    { claim, expectedOffset, knownHead }: { claim: ProducerClaim | undefined; expectedOffset: number | undefined; knownHead: HeadState | undefined },
  ): Promise<{ baseOffset: number } | { error: BrookError }> {
    const producer: ProducerBatch | undefined = claim
      ? { producerId: claim.id, epoch: claim.epoch, baseSequence: claim.sequences[String(partition)]!, count }
      : undefined;
    try {
      // The batch was just encoded, or decoded whole: reading its header cannot fail.
      const header = readBatchHeader(batch);
      const result = await this.log.append(topic.topicId, partition, {
        batch,
        header,
        ...(producer ? { producer } : {}),
        ...(expectedOffset !== undefined ? { expectedOffset } : {}),
        ...(knownHead ? { knownHead } : {}),
      });
      return { baseOffset: result.baseOffset };
    } catch (error) {
      if (error instanceof BrookError) return { error };
      throw error;
    }
  }

  private assignPartitions(topic: Topic, records: RecordToProduce[], sticky: number, strict = true): number[] {
    return assignPartitions(topic, records, sticky, strict);
  }

  private checkExpectedOffsets(
    topic: Topic,
    expected: Record<string, number> | undefined,
    byPartition: Map<number, ProducerRecord[]>,
  ): Map<number, number> {
    const result = new Map<number, number>();
    for (const [key, offset] of Object.entries(expected ?? {})) {
      const partition = Number(key);
      if (!PARTITION_NUMBER_PATTERN.test(key)) throw new BrookError('INVALID_REQUEST', `expectedOffsets key "${key}" is not a partition`);
      checkPartition(topic, partition);
      if (byPartition.has(partition)) result.set(partition, offset);
    }
    return result;
  }
}

/** Each record's partition: its own, else its key's, else the request's sticky one. Refuses a partition the topic lacks when `strict`. */
export function assignPartitions(topic: Topic, records: readonly RecordToProduce[], sticky: number, strict = true): number[] {
  return records.map(({ record, partition }) => {
    if (partition !== undefined) {
      if (strict) checkPartition(topic, partition);
      return partition;
    }
    if (record.key !== null) return partitionForKey(record.key, topic.partitions);
    return sticky % topic.partitions;
  });
}

/** Refuses a record its topic does not take: too large, or keyless on a key-compacted topic. */
export function checkRecord(topic: Topic, record: ProducerRecord): void {
  if (record.key === null && topic.config.cleanupPolicy === 'compact') {
    throw new BrookError('INVALID_RECORD', `topic "${topic.name}" is key-compacted: every record needs a key`);
  }
  const size = recordSize(record);
  if (size > topic.config.maxMessageBytes) {
    throw new BrookError(
      'RECORD_TOO_LARGE',
      `a record of ${size} bytes is over the topic's maxMessageBytes of ${topic.config.maxMessageBytes}`,
      { maxMessageBytes: topic.config.maxMessageBytes },
    );
  }
}

function finish(
  results: ProduceResult[],
  outcomes: Map<number, { baseOffset: number } | { error: BrookError }>,
): ProduceOutcome {
  // In partition order, so the error answered when all fail does not depend on which append finished first.
  const failures = [...outcomes.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, outcome]) => outcome)
    .filter((o): o is { error: BrookError } => 'error' in o);
  if (failures.length === 0) return { status: 200, results };
  if (failures.length === outcomes.size) {
    // Nothing was appended: answer with the error itself (e.g. 409 OFFSET_MISMATCH), per-record results beside it.
    const first = failures[0]!.error;
    throw new BrookError(first.code, first.message, outcomes.size > 1 ? { ...first.details, results } : first.details);
  }
  return { status: 207, results };
}
