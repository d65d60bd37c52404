/**
 * Transactions (docs/http.md, Transactions; docs/design.md, "Transactions"):
 * records on any topics and partitions, and a consumer group's commits, made
 * visible together or not at all in one DynamoDB `TransactWriteItems`.
 *
 * Each partition's share is what an append writes (PartitionLog.prepareShare):
 * its batch item, put only where no item is, and HEAD moved over it only from
 * where HEAD was read; the commits are what a member's commit writes, each
 * only while the member owns its partition. A reader stops at HEAD, and every
 * HEAD moves in the same transaction as its batch, so no reader ever sees a
 * batch of a transaction that did not commit: every fetch is read-committed.
 * When another append got there first (an offset taken, HEAD moved), the
 * transaction reads that partition again and tries anew; a refusal (an
 * expected offset missed, a fenced member, a producer out of sequence)
 * changes nothing.
 */
import { TransactWriteCommand, type DynamoDBDocumentClient, type NativeAttributeValue } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { encodeBatch, readBatchHeader, type ProducerRecord } from '../../protocol/recordBatch.js';
import type { CommitEntry, GroupCoordinator } from '../groups/GroupCoordinator.js';
import { headFromItem, type HeadState } from '../log/headState.js';
import type { LogItem } from '../log/logItem.js';
import type { PartitionLog, PreparedShare } from '../log/PartitionLog.js';
import { assignPartitions, checkRecord, type BatchCompression } from '../log/ProduceService.js';
import { checkEpoch } from '../log/ProducerRegistry.js';
import type { SnapshotReader } from '../log/SnapshotReader.js';
import { conflictBackoff, lostRaceWait, translateConflictError } from '../storage/conflicts.js';
import { topicNotFound, type Topic } from '../topics/TopicRegistry.js';

/** DynamoDB's limits on one `TransactWriteItems`. */
export const TRANSACTION_LIMITS = { items: 100, bytes: 4 * 1024 * 1024 } as const;
/** What an item costs besides its batch bytes (keys, attribute names, HEAD's producer table): counted against the 4 MB generously. */
const ITEM_OVERHEAD_BYTES = 1_024;
/** How long a transaction keeps trying on contended partitions before 503 UNAVAILABLE. */
const CONTENTION_TIMEOUT_MS = 15_000;
const BUSY = 'the partitions of this transaction are being appended to by many requests at once; retry';

export interface TransactionRecord {
  topic: string;
  partition?: number;
  record: ProducerRecord;
}

/**
 * Writes of another feature that must happen with the records, all or
 * nothing (a member's commits; a subscription's delivered position): each an
 * item of `TransactWriteItems` in the document client's shape, and why the
 * write at `index` was refused when its condition failed.
 */
export interface TransactionPart {
  writes: object[];
  refusal(index: number): Promise<Error>;
}

export interface TransactionInput {
  records: TransactionRecord[];
  /** Writes of other features, made with the records (see `TransactionPart`). */
  with?: TransactionPart;
  /** A consumer group member's commits, written in the same transaction. */
  offsets?: { group: string; memberId: string; generation: number; offsets: CommitEntry[] };
  /** An idempotent producer's claim: the first sequence of its records per topic and partition. */
  producer?: { id: string; epoch: number; sequences: Record<string, Record<string, number>> };
  /** Per topic and partition, the high watermark the transaction expects to append at. */
  expectedOffsets?: Record<string, Record<string, number>>;
}

export interface TransactionResult {
  results: { topic: string; partition: number; offset: number }[];
}

export interface TransactionServiceOptions {
  doc: DynamoDBDocumentClient;
  log: PartitionLog;
  snapshots: SnapshotReader;
  groups: Pick<GroupCoordinator, 'transactionalCommit'>;
  compression?: BatchCompression;
}

/** One partition's part of the transaction, and where its last try stood. */
interface Share {
  topic: Topic;
  partition: number;
  records: ProducerRecord[];
  batch: Uint8Array;
  producer?: { producerId: string; epoch: number; baseSequence: number; count: number };
  expectedOffset?: number;
  head: HeadState;
  chain: LogItem[];
  objectKey?: string;
}

export class TransactionService {
  private readonly doc: DynamoDBDocumentClient;
  private readonly log: PartitionLog;
  private readonly snapshots: SnapshotReader;
  private readonly groups: Pick<GroupCoordinator, 'transactionalCommit'>;
  private readonly compression: BatchCompression;
  /** Keyless records without a partition stick to one partition per topic per transaction; transactions take turns. */
  private stickyCounter = Math.floor(Math.random() * 1_000_000);

  constructor(options: TransactionServiceOptions) {
    this.doc = options.doc;
    this.log = options.log;
    this.snapshots = options.snapshots;
    this.groups = options.groups;
    this.compression = options.compression ?? 'auto';
  }

  async commit(input: TransactionInput): Promise<TransactionResult> {
    const { shares, placement } = await this.sharesOf(input);
    const commits = input.offsets
      ? await this.groups.transactionalCommit(input.offsets.group, { memberId: input.offsets.memberId, generation: input.offsets.generation, offsets: input.offsets.offsets })
      : undefined;
    const others = joinParts([commits, input.with]);
    checkLimits([...shares.values()], others.writes.length);

    const deadline = Date.now() + CONTENTION_TIMEOUT_MS;
    const list = [...shares.values()];
    let prepared: PreparedShare[] = [];
    try {
      for (let attempt = 1; ; attempt++) {
        prepared = await Promise.all(list.map((share) => this.prepare(share)));
        const duplicates = prepared.filter((p) => p.duplicate).length;
        if (duplicates === list.length) break; // a retry of a transaction that committed: its original offsets
        if (duplicates > 0) {
          throw new BrookError('OUT_OF_ORDER_SEQUENCE', "some of this transaction's sequences were appended before and some were not: the producer reused its sequences");
        }
        const writes = [...prepared.flatMap((p) => p.writes), ...others.writes];
        try {
          await this.doc.send(new TransactWriteCommand({ TransactItems: writes as never }));
          prepared.forEach((p) => this.log.committed(p.pk, p.highWatermark!));
          break;
        } catch (error) {
          const reasons = cancellationReasons(error);
          if (!reasons) throw error;
          const retry = await this.learnFrom(reasons, list, others);
          if (!retry || Date.now() > deadline) throw translateConflictError(error, BUSY);
          // A collision with a transaction in progress waits more each time; a race another writer won (it committed)
          // waits less each time, so a transaction that keeps losing gets ahead of newer ones.
          if (retry === 'backoff') await conflictBackoff(attempt);
          else if (attempt > 1) await lostRaceWait(attempt);
        }
      }
    } catch (error) {
      // A refusal wrote nothing: the S3 objects of large batches are of no use. (An unknown outcome leaves them to the sweep.)
      if (error instanceof BrookError && !error.retriable) await Promise.all(list.map((s) => (s.objectKey ? this.log.deleteBatchObject(s.objectKey) : undefined)));
      throw error instanceof BrookError ? error : translateConflictError(error, BUSY);
    }
    const baseOffsets = new Map(list.map((share, i) => [share, prepared[i]!.baseOffset]));
    return {
      results: placement.map(({ share, index }) => ({ topic: share.topic.name, partition: share.partition, offset: baseOffsets.get(share)! + index })),
    };
  }

  /** Reads the topics, HEADs and producer in one round trip and checks the whole request before anything is written. */
  private async sharesOf(input: TransactionInput): Promise<{ shares: Map<string, Share>; placement: { share: Share; index: number }[] }> {
    const byTopic = new Map<string, TransactionRecord[]>();
    for (const record of input.records) (byTopic.get(record.topic) ?? byTopic.set(record.topic, []).get(record.topic)!).push(record);
    for (const name of Object.keys(input.expectedOffsets ?? {})) {
      if (!byTopic.has(name)) throw new BrookError('INVALID_REQUEST', `expectedOffsets names topic "${name}", which this transaction does not write`);
    }
    const sticky = this.stickyCounter++;
    const placed = (topic: Topic, strict: boolean) => assignPartitions(topic, byTopic.get(topic.name)!.map(asRecordToProduce), sticky, strict);
    const snapshot = await this.snapshots.read(
      [...byTopic.keys()].map((name) => ({ name, partitions: (topic: Topic) => [...new Set(placed(topic, false))] })),
      input.producer ? { producerId: input.producer.id } : {},
    );
    if (input.producer) checkEpoch(input.producer.id, input.producer.epoch, snapshot.producerEpoch);
    const shares = new Map<string, Share>();
    /** Where each record goes: its share, and its place in that share's batch. */
    const placedAt = new Map<TransactionRecord, { share: Share; index: number }>();
    for (const [name, records] of byTopic) {
      const found = snapshot.topics.get(name);
      if (!found) throw topicNotFound(name);
      const partitions = placed(found.topic, true);
      records.forEach((record, i) => {
        checkRecord(found.topic, record.record);
        const partition = partitions[i]!;
        const key = shareKey(name, partition);
        let share = shares.get(key);
        if (!share) {
          share = { topic: found.topic, partition, records: [], batch: new Uint8Array(), head: found.heads.get(partition) ?? headFromItem(undefined), chain: [] };
          shares.set(key, share);
        }
        placedAt.set(record, { share, index: share.records.length });
        share.records.push(record.record);
      });
    }
    for (const share of shares.values()) this.complete(share, input);
    return { shares, placement: input.records.map((record) => placedAt.get(record)!) };
  }

  /** The share's batch, producer sequence and expected offset. */
  private complete(share: Share, input: TransactionInput): void {
    const name = share.topic.name;
    const expected = input.expectedOffsets?.[name]?.[String(share.partition)];
    if (expected !== undefined) share.expectedOffset = expected;
    let claim: { producerId: number; producerEpoch: number; baseSequence: number } | undefined;
    if (input.producer) {
      const baseSequence = input.producer.sequences[name]?.[String(share.partition)];
      if (baseSequence === undefined) {
        throw new BrookError('INVALID_REQUEST', `producer.sequences has no sequence for ${name}/${share.partition}`);
      }
      claim = { producerId: Number(input.producer.id), producerEpoch: input.producer.epoch, baseSequence };
      share.producer = { producerId: input.producer.id, epoch: input.producer.epoch, baseSequence, count: share.records.length };
    }
    share.batch = encodeBatch(share.records, { compression: this.compression, ...(claim ? { producer: claim } : {}) });
  }

  private async prepare(share: Share): Promise<PreparedShare> {
    const prepared = await this.log.prepareShare(share.topic.topicId, share.partition, {
      batch: share.batch,
      header: readBatchHeader(share.batch),
      head: share.head,
      chain: share.chain,
      ...(share.producer ? { producer: share.producer } : {}),
      ...(share.expectedOffset !== undefined ? { expectedOffset: share.expectedOffset } : {}),
      ...(share.objectKey !== undefined ? { objectKey: share.objectKey } : {}),
    });
    if (prepared.objectKey !== undefined) share.objectKey = prepared.objectKey;
    return prepared;
  }

  /**
   * What a cancelled transaction teaches: a share whose offset was taken or
   * whose HEAD moved reads its partition again ('again'); a collision with
   * another transaction waits a little ('backoff'); a commit whose member no
   * longer owns its partition is refused (thrown). Undefined: nothing to learn
   * (throttling, or an unknown reason): the caller gives up with the error.
   */
  private async learnFrom(
    reasons: CancellationReason[],
    shares: Share[],
    others: TransactionPart,
  ): Promise<'again' | 'backoff' | undefined> {
    const othersStart = shares.length * 2;
    const refused = reasons.findIndex((reason, i) => i >= othersStart && reason.Code === 'ConditionalCheckFailed');
    if (refused >= 0) throw await others.refusal(refused - othersStart);
    let outcome: 'again' | 'backoff' | undefined;
    await Promise.all(
      shares.map(async (share, s) => {
        const put = reasons[2 * s];
        const head = reasons[2 * s + 1];
        if (put?.Code !== 'ConditionalCheckFailed' && head?.Code !== 'ConditionalCheckFailed') return;
        // HEAD as the refusal returned it, else read afresh: the HEAD this try was conditioned on is stale either way.
        const moved = head?.Code === 'ConditionalCheckFailed' && head.Item ? headFromItem(unmarshall(head.Item as never)) : undefined;
        ({ head: share.head, chain: share.chain } = await this.log.placedAfter(share.topic.topicId, share.partition, moved));
        outcome = 'again';
      }),
    );
    if (outcome) return outcome;
    if (reasons.some((reason) => reason.Code === 'TransactionConflict')) return 'backoff';
    return undefined;
  }
}

interface CancellationReason {
  Code?: string;
  Item?: Record<string, NativeAttributeValue>;
}

function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if ((error as { name?: string }).name !== 'TransactionCanceledException') return undefined;
  return (error as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
}

function shareKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function asRecordToProduce(record: TransactionRecord) {
  return { record: record.record, ...(record.partition !== undefined ? { partition: record.partition } : {}) };
}

/** Several parts as one: their writes in order, each refusal asked of the part that wrote it. */
function joinParts(parts: (TransactionPart | undefined)[]): TransactionPart {
  const present = parts.filter((part): part is TransactionPart => part !== undefined);
  return {
    writes: present.flatMap((part) => part.writes),
    refusal: async (index) => {
      for (const part of present) {
        if (index < part.writes.length) return part.refusal(index);
        index -= part.writes.length;
      }
      throw new Error(`no write at index ${index}`);
    },
  };
}

/** Refuses a transaction DynamoDB could not make atomic: over 100 items, or over 4 MB, saying which. */
function checkLimits(shares: Share[], commits: number): void {
  const items = shares.length * 2 + commits;
  if (items > TRANSACTION_LIMITS.items) {
    throw new BrookError(
      'REQUEST_TOO_LARGE',
      `this transaction needs ${items} DynamoDB items (2 per partition written, 1 per committed offset); ` +
        `a transaction holds at most ${TRANSACTION_LIMITS.items}`,
      { limit: 'items', items, maxItems: TRANSACTION_LIMITS.items },
    );
  }
  const bytes = shares.reduce((sum, share) => sum + share.batch.length + 2 * ITEM_OVERHEAD_BYTES, 0) + commits * ITEM_OVERHEAD_BYTES;
  if (bytes > TRANSACTION_LIMITS.bytes) {
    throw new BrookError(
      'REQUEST_TOO_LARGE',
      `this transaction holds about ${bytes} bytes; a transaction holds at most ${TRANSACTION_LIMITS.bytes} bytes (4 MB)`,
      { limit: 'bytes', bytes, maxBytes: TRANSACTION_LIMITS.bytes },
    );
  }
}
