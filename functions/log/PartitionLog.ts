import { randomBytes } from 'node:crypto';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type NativeAttributeValue,
} from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { MAX_INLINE_BATCH_BYTES, type BrookConfig } from '../config.js';
import { createS3Client } from '../storage/s3Client.js';
import { withBaseOffset, type BatchHeader } from '../../protocol/recordBatch.js';
import { transactGetTables } from '../storage/bulk.js';
import { isConditionalCheckFailed, translateStorageError } from '../storage/errors.js';
import { HEAD_SORT_KEY, logPartitionKey } from '../layout/tables.js';
import type { LogItem } from './logItem.js';
import { LogGapError, LogObjects } from './LogObjects.js';
import { checkInRange, LogReader, type PartitionHead, type ReadLimits, type ReadResult } from './LogReader.js';

/** The read side's types live with the reader; callers of the log find them here too. */
export { checkInRange, type PartitionHead, type ReadLimits, type ReadResult } from './LogReader.js';
import { batchObjectKey } from './objectKeys.js';
import { deleteOwn, isOnTheLog, type LogAccess } from './orphans.js';
import { applyItem, headFromItem, headItemKey, offsetsOf, type HeadState } from './headState.js';
import { checkSequence, toStoredTable, type ProducerBatch } from './producerState.js';

export interface AppendInput {
  /** One encoded batch; its base offset field is set at append. */
  batch: Uint8Array;
  header: BatchHeader;
  /** Present for idempotent batches. */
  producer?: ProducerBatch;
  /** Conditional append: only if the high watermark equals this. */
  expectedOffset?: number;
  /** HEAD as read (consistently) just before, in the request's first round trip; read here when absent. */
  knownHead?: HeadState;
}

/** One partition's share of a transaction: its batch, HEAD as read, and the batches placed past it. */
export interface ShareInput extends Omit<AppendInput, 'knownHead'> {
  head: HeadState;
  chain: LogItem[];
  /** The S3 object an earlier try put for this batch. */
  objectKey?: string;
}

export interface PreparedShare {
  pk: string;
  baseOffset: number;
  /** A retry of a batch already appended: no writes. */
  duplicate: boolean;
  /** HEAD once the share is committed. */
  highWatermark?: number;
  objectKey?: string;
  /** The put of the batch item and the HEAD move, for `TransactWriteItems` (document-client shapes). */
  writes: TransactionWrite[];
}

export type TransactionWrite =
  | { Put: { TableName: string; Item: LogItem; ConditionExpression: string } }
  | { Update: Record<string, unknown> & { TableName: string; Key: Record<string, unknown> } };

export interface AppendResult {
  baseOffset: number;
  /** True when this was a retry of a batch already appended: nothing was written. */
  duplicate: boolean;
}

export interface PartitionLogOptions {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  logTable: string;
  bucket: string;
  /**
   * Batches larger than this go to S3, with a pointer item in the log, so
   * every append is exactly one item whatever its size. @default 350000 (the most an item can hold)
   */
  inlineBatchMaxBytes?: number;
  now?: () => number;
  /** How long an append keeps trying on a contended partition before 503 UNAVAILABLE. @default 15000 */
  appendTimeoutMs?: number;
  /** Called after a batch is committed (the local stack wakes long-polls with it). */
  onAppend?: (partitionKey: string, highWatermark: number) => void;
}

/** Placed-but-uncommitted batches learnt per read while contending for an offset. */
const CHAIN_READ_LIMIT = 100;
/** Batch objects a log keeps in memory. */
const OBJECT_CACHE_SIZE = 16;

/**
 * The partition log (docs/design.md, "The partition log"). Appends follow
 * a two-step protocol ("Append: two steps, pipelined" there): put the batch
 * at the next free offset if no item is there, then move HEAD (`next`, the
 * high watermark) past it with an update conditioned on where HEAD was. An
 * item at an offset is never overwritten, and HEAD moves from `N` only by the
 * count of the item at `N`: offsets stay dense, and readers, who stop at
 * `next`, never see a batch that is not committed. An append that stopped
 * between its two steps is committed by the next append that passes it.
 */
export class PartitionLog {
  private readonly doc: DynamoDBDocumentClient;
  private readonly logTable: string;
  private readonly inlineBatchMaxBytes: number;
  private readonly now: () => number;
  private readonly onAppend: ((partitionKey: string, highWatermark: number) => void) | undefined;
  private readonly appendTimeoutMs: number;
  private readonly objects: LogObjects;
  private readonly reader: LogReader;
  private readonly orphans: LogAccess;

  constructor(options: PartitionLogOptions) {
    this.doc = options.doc;
    this.logTable = options.logTable;
    this.inlineBatchMaxBytes = Math.min(options.inlineBatchMaxBytes ?? MAX_INLINE_BATCH_BYTES, MAX_INLINE_BATCH_BYTES);
    this.now = options.now ?? Date.now;
    this.onAppend = options.onAppend;
    this.appendTimeoutMs = options.appendTimeoutMs ?? 15_000;
    // Objects are immutable; keep the newest few for consumers reading the same batches.
    this.objects = new LogObjects({ s3: options.s3, bucket: options.bucket, cachedObjects: OBJECT_CACHE_SIZE });
    this.reader = new LogReader(this.doc, this.logTable, this.objects);
    this.orphans = { doc: this.doc, logTable: this.logTable, objects: this.objects };
  }

  /** High watermark and log start offset, strongly consistent. */
  async head(topicId: string, partition: number): Promise<PartitionHead> {
    const head = await this.readHead(logPartitionKey(topicId, partition), true);
    return { highWatermark: head.next, logStartOffset: head.start };
  }

  /**
   * The HEADs of several partitions at one instant (`TransactGetItems`, twice
   * the read units), by log partition key: never some partitions of a
   * transaction without the others.
   */
  async headsTogether(partitions: readonly { topicId: string; partition: number }[]): Promise<Map<string, PartitionHead>> {
    const keys = [...new Set(partitions.map(({ topicId, partition }) => logPartitionKey(topicId, partition)))];
    const found = await transactGetTables(this.doc, { [this.logTable]: { Keys: keys.map(headItemKey) } });
    const items = new Map((found[this.logTable] ?? []).map((item) => [item.pk as string, item]));
    return new Map(keys.map((pk) => [pk, offsetsOf(headFromItem(items.get(pk)))]));
  }

  /**
   * Appends one batch: all its records or none, at dense offsets.
   *
   * Contended appends are pipelined: an append that finds another batch at
   * its offset does not wait for that batch to be committed; it reads the
   * batches placed from there on (counts and producers, not bytes) and tries
   * the offset after the last. Once its own batch is placed it moves HEAD over every batch between
   * HEAD and its own in one conditional update, committing whoever it passes
   * (crashed appends included). HEAD still only ever moves along the chain of
   * immutable items, so offsets stay dense.
   */
  async append(topicId: string, partition: number, input: AppendInput): Promise<AppendResult> {
    const pk = logPartitionKey(topicId, partition);
    const deadline = Date.now() + this.appendTimeoutMs;
    const token = randomBytes(8).toString('base64url');
    let objectKey: string | undefined;
    try {
      let head = input.knownHead ?? (await this.readHead(pk, true));
      /** Items placed after HEAD by other appends, in offset order, starting at `head.next`. */
      let chain: LogItem[] = [];
      for (;;) {
        const slot = chain.reduce(applyItem, head);
        if (input.expectedOffset !== undefined && input.expectedOffset !== slot.next) {
          if (chain.length > 0) await this.commitThrough(head, chain);
          throw new BrookError('OFFSET_MISMATCH', `expected offset ${input.expectedOffset}, but the high watermark is ${slot.next}`, {
            highWatermark: slot.next,
          });
        }
        if (input.producer) {
          const decision = checkSequence(slot.producers, input.producer);
          if (decision.kind === 'duplicate') {
            // The original may still be uncommitted in the chain: commit it before answering.
            const upTo = chain.filter((item) => item.sk <= decision.baseOffset);
            if (upTo.length > 0) await this.commitThrough(head, upTo);
            return { baseOffset: decision.baseOffset, duplicate: true };
          }
        }
        if (input.batch.length > this.inlineBatchMaxBytes) objectKey ??= await this.putBatchObject(topicId, partition, input.batch);
        const item = this.batchItem(pk, slot, input, token, objectKey);
        let landed: boolean;
        try {
          landed = await this.putIfAbsent(item);
        } catch (error) {
          // The put may have landed (its answer lost): the object may be referenced now, so it is never deleted here;
          // the daily sweep removes it if no item refers to it.
          objectKey = undefined;
          throw error;
        }
        if (landed) {
          objectKey = undefined; // referenced by the log now: never clean it up
          const passed = await this.commitThrough(head, [...chain, item]);
          if (passed && !(await isOnTheLog(this.orphans, item, passed, input.batch))) {
            // HEAD had passed this offset over another batch before the put: that batch's item was since rolled into a
            // segment (or expired), so the offset looked free. The item is an orphan no reader sees: remove it, start
            // again. Its S3 object is left to the orphan sweep: the next try puts a new one.
            await deleteOwn(this.orphans, item);
            head = await this.readHead(pk, true);
            chain = [];
            continue;
          }
          return { baseOffset: item.sk, duplicate: false };
        }
        // Other appends hold this offset and maybe more after it: learn them all in one read and move past them.
        const placed = await this.placedFrom(pk, slot.next);
        if (placed[0]?.sk === slot.next && isContiguous(placed)) {
          chain.push(...placed);
        } else {
          // The chain moved under us (compaction, or HEAD passed it): start again from HEAD.
          head = await this.readHead(pk, true);
          chain = [];
        }
        if (Date.now() > deadline) throw new BrookError('UNAVAILABLE', 'the partition is too contended to append now; retry');
      }
    } catch (error) {
      throw translateStorageError(error);
    } finally {
      if (objectKey) await this.objects.deleteQuietly(objectKey);
    }
  }

  /**
   * Records from `offset` on, in order, never past the high watermark. At
   * least one record when any exists at or after `offset`, even if it is
   * larger than `maxBytes`.
   */
  async read(topicId: string, partition: number, offset: number, limits: ReadLimits, known?: PartitionHead): Promise<ReadResult> {
    const pk = logPartitionKey(topicId, partition);
    const head = known ?? (await this.head(topicId, partition));
    checkInRange(offset, head);
    const empty = { ...head, records: [], nextOffset: offset };
    if (offset === head.highWatermark || limits.maxRecords <= 0) return empty;
    try {
      try {
        return await this.reader.readCommitted(pk, offset, limits, head, false);
      } catch (error) {
        if (!(error instanceof LogGapError)) throw error;
      }
      try {
        // An eventually consistent read may lag a just-committed batch: read again, consistently.
        return await this.reader.readCommitted(pk, offset, limits, head, true);
      } catch (error) {
        if (!(error instanceof LogGapError)) throw error;
        // Retention moved the log start past `offset` while this read was under way.
        checkInRange(offset, await this.head(topicId, partition));
        throw error;
      }
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  /** The first offset whose record timestamp is at least `timestamp`; the high watermark when there is none. */
  async offsetForTimestamp(topicId: string, partition: number, timestamp: number, known?: PartitionHead): Promise<number> {
    const head = known ?? (await this.head(topicId, partition));
    try {
      return await this.reader.offsetForTimestamp(logPartitionKey(topicId, partition), timestamp, head);
    } catch (error) {
      throw translateStorageError(error);
    }
  }

  /**
   * The item of `input`'s batch at `slot.next`: stored inline, or pointing at
   * `objectKey` (its S3 object) when the batch is over the inline limit.
   */
  private batchItem(pk: string, slot: HeadState, input: AppendInput, token: string, objectKey: string | undefined): LogItem {
    const item: LogItem = {
      pk,
      sk: slot.next,
      c: input.header.recordCount,
      t: this.now(),
      m: Math.max(slot.m, input.header.maxTimestamp),
      a: token,
      ...(input.producer ? { p: [input.producer.producerId, input.producer.epoch, input.producer.baseSequence] as [string, number, number] } : {}),
    };
    if (objectKey !== undefined) {
      item.o = objectKey;
      item.z = input.batch.length;
    } else {
      item.b = withBaseOffset(input.batch, slot.next);
    }
    return item;
  }

  /** The update that moves HEAD from `current` to `after`, only if HEAD is still at `current.next`. */
  private headMove(pk: string, current: HeadState, after: HeadState) {
    return {
      TableName: this.logTable,
      Key: { pk, sk: HEAD_SORT_KEY },
      UpdateExpression: 'SET #next = :next, #m = :m, #pr = :pr, #start = if_not_exists(#start, :zero)',
      ConditionExpression: current.next === 0 ? 'attribute_not_exists(#next) OR #next = :at' : '#next = :at',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      ExpressionAttributeNames: { '#next': 'next', '#m': 'm', '#start': 'start', '#pr': 'pr' },
      ExpressionAttributeValues: { ':next': after.next, ':m': after.m, ':pr': toStoredTable(after.producers), ':zero': 0, ':at': current.next },
    };
  }

  /**
   * One partition's share of a transaction (docs/design.md, "Transactions"):
   * the same item an append would put, placed after `chain` (the batches other
   * appends placed past HEAD and did not commit yet), and the same HEAD move
   * over the chain and it, as two writes for one `TransactWriteItems`. The put
   * is refused if the offset is taken, the move if HEAD moved: the transaction
   * then reads again and tries anew. Checks the expected offset and the
   * producer's sequence as an append does; a retry of a batch already
   * appended is `duplicate`, with no writes. Writes nothing itself but the S3
   * object of a batch over the inline limit (given back as `objectKey`, to be
   * reused by the next try).
   */
  async prepareShare(topicId: string, partition: number, input: ShareInput): Promise<PreparedShare> {
    const pk = logPartitionKey(topicId, partition);
    const slot = input.chain.reduce(applyItem, input.head);
    if (input.expectedOffset !== undefined && input.expectedOffset !== slot.next) {
      throw new BrookError('OFFSET_MISMATCH', `expected offset ${input.expectedOffset} on partition ${partition}, but the high watermark is ${slot.next}`, {
        highWatermark: slot.next,
      });
    }
    if (input.producer) {
      const decision = checkSequence(slot.producers, input.producer);
      if (decision.kind === 'duplicate') return { pk, baseOffset: decision.baseOffset, duplicate: true, writes: [] };
    }
    let objectKey = input.objectKey;
    if (input.batch.length > this.inlineBatchMaxBytes) objectKey ??= await this.putBatchObject(topicId, partition, input.batch);
    const item = this.batchItem(pk, slot, input, randomBytes(8).toString('base64url'), objectKey);
    const after = applyItem(slot, item);
    return {
      pk,
      baseOffset: item.sk,
      duplicate: false,
      highWatermark: after.next,
      ...(objectKey !== undefined ? { objectKey } : {}),
      writes: [
        { Put: { TableName: this.logTable, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } },
        { Update: this.headMove(pk, input.head, after) },
      ],
    };
  }

  /**
   * HEAD and the batches placed past it but not committed yet, for
   * `prepareShare` after a try was refused: from `knownHead` (HEAD as the
   * refusal returned it) or read afresh. The chain is read from there; if it
   * does not start at HEAD (HEAD moved meanwhile), both are read again.
   */
  async placedAfter(topicId: string, partition: number, knownHead?: HeadState): Promise<{ head: HeadState; chain: LogItem[] }> {
    const pk = logPartitionKey(topicId, partition);
    let head = knownHead ?? (await this.readHead(pk, true));
    for (let reads = 1; ; reads++) {
      const placed = await this.placedFrom(pk, head.next);
      if (placed.length === 0 || (placed[0]!.sk === head.next && isContiguous(placed)) || reads >= 3) return { head, chain: placed.length > 0 && placed[0]!.sk === head.next && isContiguous(placed) ? placed : [] };
      head = await this.readHead(pk, true);
    }
  }

  /** Says that a transaction committed its batch on `pk` (the local stack wakes long-polls with it). */
  committed(pk: string, highWatermark: number): void {
    this.onAppend?.(pk, highWatermark);
  }

  /** The S3 object of a batch a refused transaction will not use. */
  async deleteBatchObject(key: string): Promise<void> {
    await this.objects.deleteQuietly(key);
  }

  private async putBatchObject(topicId: string, partition: number, batch: Uint8Array): Promise<string> {
    const key = batchObjectKey(topicId, partition);
    await this.objects.put(key, batch);
    return key;
  }

  private async readHead(pk: string, consistent: boolean): Promise<HeadState> {
    const result = await this.doc.send(new GetCommand({ TableName: this.logTable, Key: headItemKey(pk), ConsistentRead: consistent }));
    return headFromItem(result.Item);
  }

  /**
   * Writes `item` at its offset unless one is there; whether it is there now.
   * When the SDK sends the put again (the first answer was lost) and the item
   * it finds is this very one (same append token), the put had landed.
   */
  private async putIfAbsent(item: LogItem): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.logTable,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const found = (error as { Item?: Record<string, NativeAttributeValue> }).Item;
      return found !== undefined && unmarshallItem(found).a === item.a;
    }
  }

  /**
   * The batches placed from `offset` on (committed or not), without their
   * bytes. Batches are only ever placed right after a known one, so these
   * form a contiguous chain.
   */
  private async placedFrom(pk: string, offset: number): Promise<LogItem[]> {
    const result = await this.doc.send(
      new QueryCommand({
        TableName: this.logTable,
        KeyConditionExpression: 'pk = :pk AND sk >= :offset',
        ExpressionAttributeValues: { ':pk': pk, ':offset': offset },
        ProjectionExpression: 'pk, sk, c, t, m, p',
        ConsistentRead: true,
        Limit: CHAIN_READ_LIMIT,
      }),
    );
    return (result.Items ?? []) as LogItem[];
  }

  /**
   * Moves HEAD past the last of `items` (a contiguous chain of placed batches
   * that starts at or after `head.next`), applying each batch's producer
   * state, in one update conditioned on HEAD not having moved. When it has,
   * the update is tried again from where HEAD now is. Answers undefined when
   * this call moved HEAD, or HEAD as found already past the last item: then
   * someone else committed the chain, or (for an append's own item put late,
   * see `isOnTheLog`) the offset had been committed over another batch.
   */
  private async commitThrough(head: HeadState, items: LogItem[]): Promise<HeadState | undefined> {
    const last = items.at(-1)!;
    const pk = last.pk;
    let current = head;
    for (;;) {
      if (current.next > last.sk) return current;
      const pending = items.filter((item) => item.sk >= current.next);
      if (pending[0]?.sk !== current.next) throw new Error('HEAD is not on the chain of placed batches');
      const after = pending.reduce(applyItem, current);
      try {
        await this.doc.send(new UpdateCommand(this.headMove(pk, current, after)));
        this.onAppend?.(pk, after.next);
        return undefined;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        // HEAD moved: another append committed some or all of these. Go on from where it is now.
        const found = (error as { Item?: Record<string, NativeAttributeValue> }).Item;
        current = found ? headFromItem(unmarshallItem(found)) : await this.readHead(pk, true);
      }
    }
  }
}

function isContiguous(items: LogItem[]): boolean {
  return items.every((item, i) => i === 0 || item.sk === items[i - 1]!.sk + items[i - 1]!.c);
}

function unmarshallItem(item: Record<string, NativeAttributeValue>): Record<string, unknown> {
  // The error of a failed condition carries the item in DynamoDB's wire format.
  return unmarshall(item as Parameters<typeof unmarshall>[0]);
}



/** The partition log of a deployment: its log table and bucket, from `config`. */
export function partitionLogFor(
  config: Pick<BrookConfig, 'tables' | 'bucket' | 'inlineBatchMaxBytes' | 'region' | 's3Endpoint'>,
  doc: DynamoDBDocumentClient,
  options: Partial<PartitionLogOptions> = {},
): PartitionLog {
  return new PartitionLog({
    doc,
    s3: createS3Client(config),
    logTable: config.tables.log,
    bucket: config.bucket,
    inlineBatchMaxBytes: config.inlineBatchMaxBytes,
    ...options,
  });
}
