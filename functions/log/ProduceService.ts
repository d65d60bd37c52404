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
import { checkPartition, type Topic } from '../topics/TopicRegistry.js';
import type { PartitionLog } from './PartitionLog.js';
import type { ProducerBatch } from './producerState.js';
import type { ProducerRegistry } from './ProducerRegistry.js';

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

export interface ProduceServiceOptions {
  log: PartitionLog;
  producers: ProducerRegistry;
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
  private readonly compression: BatchCompression;
  private readonly now: () => number;
  /** Keyless records of one request stick to one partition; requests take turns. */
  private stickyCounter = Math.floor(Math.random() * 1_000_000);

  constructor(options: ProduceServiceOptions) {
    this.log = options.log;
    this.producers = options.producers;
    this.compression = options.compression ?? 'auto';
    this.now = options.now ?? Date.now;
  }

  /** JSON produce: records the server encodes into batches. */
  async produce(
    topic: Topic,
    records: RecordToProduce[],
    options: { producer?: ProducerClaim; expectedOffsets?: Record<string, number> } = {},
  ): Promise<ProduceOutcome> {
    const partitions = this.assignPartitions(topic, records);
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
      await this.producers.checkCurrent(options.producer.id, options.producer.epoch);
    }

    const outcomes = new Map<number, { baseOffset: number } | { error: BrookError }>();
    await Promise.all(
      [...byPartition].map(async ([partition, list]) => {
        const producer = options.producer
          ? { producerId: Number(options.producer.id), producerEpoch: options.producer.epoch, baseSequence: options.producer.sequences[String(partition)]! }
          : undefined;
        const batch = encodeBatch(list, { compression: this.compression, ...(producer ? { producer } : {}) });
        outcomes.set(partition, await this.appendOne(topic, partition, batch, list.length, options.producer, expectedOffsets.get(partition)));
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
  async produceBatch(topic: Topic, partition: number, batch: Uint8Array, expectedOffset?: number): Promise<ProduceOutcome> {
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
      await this.producers.checkCurrent(claim.id, claim.epoch);
    }
    const outcome = await this.appendOne(topic, partition, batch, header.recordCount, claim, expectedOffset);
    if ('error' in outcome) throw outcome.error;
    return {
      status: 200,
      results: records.map((_, i) => ({ partition, offset: outcome.baseOffset + i })),
    };
  }

  private async appendOne(
    topic: Topic,
    partition: number,
    batch: Uint8Array,
    count: number,
    claim: ProducerClaim | undefined,
    expectedOffset: number | undefined,
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
      });
      return { baseOffset: result.baseOffset };
    } catch (error) {
      if (error instanceof BrookError) return { error };
      throw error;
    }
  }

  private assignPartitions(topic: Topic, records: RecordToProduce[]): number[] {
    let sticky: number | undefined;
    return records.map(({ record, partition }) => {
      if (partition !== undefined) {
        checkPartition(topic, partition);
        return partition;
      }
      if (record.key !== null) return partitionForKey(record.key, topic.partitions);
      sticky ??= this.stickyCounter++ % topic.partitions;
      return sticky;
    });
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

function checkRecord(topic: Topic, record: ProducerRecord): void {
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
