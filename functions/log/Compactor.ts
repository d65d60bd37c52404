import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type ListObjectsV2CommandOutput, type S3Client } from '@aws-sdk/client-s3';
import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type QueryCommandOutput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { decodeBatch, encodeBatch, withBaseOffset, type StoredRecord } from '../../protocol/recordBatch.js';
import { isConditionalCheckFailed } from '../storage/errors.js';
import { DELETED_TOPIC_PREFIX, type DeletedTopicItem, type Topic } from '../topics/TopicRegistry.js';
import type { Logger } from '../http/logger.js';
import { HEAD_SORT_KEY, logPartitionKey } from './partitionHead.js';
import type { LogItem } from './logItem.js';
import { decodeSegmentIndex, encodeSegmentIndex, splitBatches, type SegmentIndexEntry } from './segment.js';

/** The steps of rolling batches into a segment, in order; tests inject a crash after any of them. */
export type CompactionStep = 'segment-written' | 'pointer-written' | 'batches-deleted' | 'start-advanced';

export interface CompactorOptions {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  tables: { log: string; topics: string };
  bucket: string;
  /** Batches younger than this stay in DynamoDB (unless over the byte budget). @default 300000 */
  minAgeMs?: number;
  /** Bytes of batches a partition keeps in DynamoDB before the oldest are rolled regardless of age. @default 4194304 */
  dynamoDbBudgetBytes?: number;
  /** Largest segment object. @default 8388608 */
  maxSegmentBytes?: number;
  /** How long a tombstone stays in a key-compacted topic after its append, so consumers see it. @default 86400000 */
  tombstoneGraceMs?: number;
  now?: () => number;
  logger?: Logger;
  /** Called after each step; a test throws here to simulate a crash. */
  afterStep?: (step: CompactionStep) => void | Promise<void>;
}

export interface CompactionReport {
  segmentsWritten: number;
  /** Records dropped from key-compacted topics (superseded, or tombstones past their grace). */
  recordsCompacted: number;
  batchesRolled: number;
  offsetsExpired: number;
  topicsPurged: number;
  /** Partitions (or deleted topics) whose pass failed: left for a later run, and no sweep heartbeat. */
  failures: number;
  /** Batch objects no item refers to (an append that died between its S3 PUT and its item), deleted by a sweep. */
  orphansDeleted: number;
}

const S3_LIST_PAGE = 1000;
/**
 * How old an unreferenced batch object must be before a sweep deletes it:
 * far longer than an append (its S3 PUT, then its item) can take, since
 * Lambda stops a produce after 10 s.
 */
export const ORPHAN_MIN_AGE_MS = 3_600_000;
const BATCH_WRITE_LIMIT = 25;

/**
 * The compactor (docs/design.md, "Tiering to S3"): rolls committed batches
 * into S3 segments, applies retention, and removes deleted topics' data.
 *
 * Rolling batches `[a, b)` into a segment keeps every offset readable at
 * every moment: (1) the segment object is written; (2) the item at `a` is
 * replaced by a pointer to the segment, only if it is still a batch; (3) the
 * other batch items and their S3 objects are deleted. Readers find either the
 * batches or the segment, both holding the same bytes. A crash after any step
 * leaves a state the next run finishes: an unreferenced segment object is
 * written again (same key, same bytes) or removed; batches a segment already
 * covers are deleted. Two compactors at once race only on step 2's condition.
 */
export class Compactor {
  private readonly doc: DynamoDBDocumentClient;
  private readonly s3: S3Client;
  private readonly tables: { log: string; topics: string };
  private readonly bucket: string;
  private readonly minAgeMs: number;
  private readonly dynamoDbBudgetBytes: number;
  private readonly maxSegmentBytes: number;
  private readonly tombstoneGraceMs: number;
  private readonly now: () => number;
  private readonly logger: Logger | undefined;
  private readonly afterStep: (step: CompactionStep) => void | Promise<void>;

  constructor(options: CompactorOptions) {
    this.doc = options.doc;
    this.s3 = options.s3;
    this.tables = options.tables;
    this.bucket = options.bucket;
    this.minAgeMs = options.minAgeMs ?? 300_000;
    this.dynamoDbBudgetBytes = options.dynamoDbBudgetBytes ?? 4 * 1024 * 1024;
    this.maxSegmentBytes = options.maxSegmentBytes ?? 8 * 1024 * 1024;
    this.tombstoneGraceMs = options.tombstoneGraceMs ?? 86_400_000;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    this.afterStep = options.afterStep ?? (() => undefined);
  }

  /** One pass over every topic and every deleted topic. */
  /** A sweep: every partition of every topic, and the purge of deleted topics (the schedule). */
  async runOnce(): Promise<CompactionReport> {
    return this.run(() => true, { sweep: true });
  }

  /**
   * A pass over the partitions named by their log keys (`<topicId>#<partition>`,
   * as the log table's stream reports changed HEAD items), and the purge of
   * deleted topics: what an append triggers, so that an idle log costs nothing.
   */
  async runFor(partitionKeys: Iterable<string>): Promise<CompactionReport> {
    const wanted = new Set(partitionKeys);
    return this.run((topic, partition) => wanted.has(logPartitionKey(topic.topicId, partition)), { sweep: false });
  }

  private async run(includes: (topic: Topic, partition: number) => boolean, { sweep }: { sweep: boolean }): Promise<CompactionReport> {
    const report: CompactionReport = {
      segmentsWritten: 0,
      recordsCompacted: 0,
      batchesRolled: 0,
      offsetsExpired: 0,
      topicsPurged: 0,
      failures: 0,
      orphansDeleted: 0,
    };
    for (const item of await this.scanTopicsTable()) {
      if (item.pk.startsWith(DELETED_TOPIC_PREFIX)) {
        try {
          await this.purgeTopic(item as unknown as DeletedTopicItem);
          report.topicsPurged++;
        } catch (error) {
          report.failures++;
          this.logger?.warn('purge of a deleted topic failed; the next run retries', { marker: item.pk, error: (error as Error).message });
        }
        continue;
      }
      if (item.pk.startsWith('#')) continue;
      const topic = item as unknown as Topic;
      for (let partition = 0; partition < topic.partitions; partition++) {
        if (!includes(topic, partition)) continue;
        try {
          await this.processPartition(topic, partition, report);
          if (sweep) report.orphansDeleted += await this.deleteOrphans(topic, partition);
        } catch (error) {
          report.failures++;
          this.logger?.warn('compaction of a partition failed; the next run (an append, or the daily sweep) retries', {
            topic: topic.name,
            partition,
            error: (error as Error).message,
          });
        }
      }
    }
    return report;
  }

  /**
   * One partition's pass: roll batches into segments, apply retention,
   * compact keys. An idle partition costs one eventually consistent read:
   * the pass is skipped when HEAD shows nothing new since a pass that left no
   * batch in DynamoDB (`cw`), and no retention or tombstone deadline has come.
   */
  async processPartition(topic: Pick<Topic, 'topicId' | 'config'>, partition: number, report?: CompactionReport): Promise<void> {
    const pk = logPartitionKey(topic.topicId, partition);
    const seen = await this.doc.send(new GetCommand({ TableName: this.tables.log, Key: { pk, sk: HEAD_SORT_KEY } }));
    const head = seen.Item as { next?: number; cw?: number; ot?: number; cp?: number } | undefined;
    const next = head?.next ?? 0;
    if (next === 0 || !this.passDue(topic, { ...head, next })) return;
    await this.compactPartition(topic, partition, report);
    await this.applyRetention(topic, partition, report);
    await this.compactKeys(topic, partition, report);
    await this.markPassed(pk, next);
  }

  private passDue(topic: Pick<Topic, 'config'>, head: { next: number; cw?: number; ot?: number; cp?: number }): boolean {
    if (head.cw !== head.next) return true;
    const now = this.now();
    const { retentionMs, cleanupPolicy } = topic.config;
    if (cleanupPolicy === 'delete') return retentionMs >= 0 && head.ot !== undefined && head.ot < now - retentionMs;
    // Key-compacted: tombstones fall due with time alone; look again once an hour (or per grace period, if shorter).
    return head.cp === undefined || now - head.cp >= Math.min(this.tombstoneGraceMs, 3_600_000);
  }

  /**
   * Records on HEAD what the pass left: `cw`, the high watermark it started
   * from when no batch is left in DynamoDB; `ot`, the oldest append time still
   * in the log; `cp`, when it ran. Appends never touch these attributes.
   */
  private async markPassed(pk: string, passedNext: number): Promise<void> {
    const head = await this.readHead(pk);
    const items = await this.committedItems(pk, head.start, head.next);
    const batchesLeft = items.some((item) => !item.s);
    const oldest = items.reduce((min, item) => Math.min(min, item.t), Number.POSITIVE_INFINITY);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.log,
        Key: { pk, sk: HEAD_SORT_KEY },
        UpdateExpression: `SET cp = :now${Number.isFinite(oldest) ? ', ot = :ot' : ''}${batchesLeft ? '' : ', cw = :cw'}${removals(batchesLeft ? 'cw' : undefined, Number.isFinite(oldest) ? undefined : 'ot')}`,
        ConditionExpression: 'attribute_exists(#next)',
        ExpressionAttributeNames: { '#next': 'next' },
        ExpressionAttributeValues: {
          ':now': this.now(),
          ...(Number.isFinite(oldest) ? { ':ot': oldest } : {}),
          ...(batchesLeft ? {} : { ':cw': passedNext }),
        },
      }),
    );
  }

  /** Rolls old enough (or over-budget) committed batches of one partition into segments. */
  async compactPartition(topic: Pick<Topic, 'topicId'>, partition: number, report?: CompactionReport): Promise<void> {
    const pk = logPartitionKey(topic.topicId, partition);
    const head = await this.readHead(pk);
    const units = await this.deleteCovered(await this.committedItems(pk, head.start, head.next));
    const batches = units.filter((item) => !item.s);

    const cutoff = this.now() - this.minAgeMs;
    let inlineBytes = batches.reduce((sum, item) => sum + (item.b?.length ?? 0), 0);
    const eligible: LogItem[] = [];
    for (const item of batches) {
      if (item.t > cutoff && inlineBytes <= this.dynamoDbBudgetBytes) break;
      if (eligible.length > 0 && eligible.at(-1)!.sk + eligible.at(-1)!.c !== item.sk) break;
      eligible.push(item);
      inlineBytes -= item.b?.length ?? 0;
    }
    for (const run of this.runs(eligible)) {
      await this.rollIntoSegment(topic.topicId, partition, run);
      if (report) {
        report.segmentsWritten++;
        report.batchesRolled += run.length;
      }
    }
  }

  /** Removes whole segments and batches past the topic's retention and moves the log start offset. */
  async applyRetention(topic: Pick<Topic, 'topicId' | 'config'>, partition: number, report?: CompactionReport): Promise<void> {
    const { retentionMs, retentionBytes, cleanupPolicy } = topic.config;
    if (cleanupPolicy !== 'delete' || (retentionMs < 0 && retentionBytes < 0)) return;
    const pk = logPartitionKey(topic.topicId, partition);
    const head = await this.readHead(pk);
    const items = await this.deleteCovered(await this.committedItems(pk, head.start, head.next));
    let total = items.reduce((sum, item) => sum + sizeOf(item), 0);
    const expired: LogItem[] = [];
    for (const item of items) {
      const tooOld = retentionMs >= 0 && item.t < this.now() - retentionMs;
      const tooBig = retentionBytes >= 0 && total > retentionBytes;
      if (!tooOld && !tooBig) break;
      expired.push(item);
      total -= sizeOf(item);
    }
    if (expired.length === 0) return;
    const start = expired.at(-1)!.sk + expired.at(-1)!.c;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.log,
          Key: { pk, sk: HEAD_SORT_KEY },
          UpdateExpression: 'SET #start = :start',
          ConditionExpression: '#start < :start',
          ExpressionAttributeNames: { '#start': 'start' },
          ExpressionAttributeValues: { ':start': start },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    await this.afterStep('start-advanced');
    // Below the log start offset nothing is read any more: remove the items, then their objects.
    await this.deleteItems(expired);
    for (const item of expired) {
      await this.deleteObjectOf(item);
      for (const key of item.g ?? []) await this.deleteObjectQuietly(key);
    }
    if (report) report.offsetsExpired += start - head.start;
  }

  /**
   * Key compaction (`cleanupPolicy: compact`): rewrites segments keeping only
   * the newest record of each key in the whole partition, and dropping
   * tombstones appended longer than the grace period ago. Kept records keep
   * their offsets, so batches get offset gaps. Batches still in DynamoDB (the
   * newest data) are not rewritten; they only count for what is newest.
   */
  async compactKeys(topic: Pick<Topic, 'topicId' | 'config'>, partition: number, report?: CompactionReport): Promise<void> {
    if (topic.config.cleanupPolicy !== 'compact') return;
    const pk = logPartitionKey(topic.topicId, partition);
    const head = await this.readHead(pk);
    const units = await this.deleteCovered(await this.committedItems(pk, head.start, head.next));
    const batchesOf = new Map<LogItem, StoredRecord[][]>();
    const newest = new Map<string, number>();
    for (const unit of units) {
      const batches = (unit.s ? splitBatches(await this.readWhole(unit.s)) : [await this.batchBytes(unit)]).map(
        (bytes) => decodeBatch(bytes, { allowGaps: true }).records,
      );
      batchesOf.set(unit, batches);
      for (const record of batches.flat()) if (record.key) newest.set(keyOf(record.key), record.offset);
    }
    const graceEnd = this.now() - this.tombstoneGraceMs;
    for (const unit of units) {
      if (!unit.s) continue;
      const batches = batchesOf.get(unit)!;
      const kept = batches.map((records) =>
        records.filter((r) => r.key === null || (newest.get(keyOf(r.key)) === r.offset && !(r.value === null && unit.t < graceEnd))),
      );
      const dropped = batches.flat().length - kept.flat().length;
      if (dropped === 0) continue;
      await this.rewriteSegment(unit, kept);
      if (report) report.recordsCompacted += dropped;
    }
  }

  private async rewriteSegment(segment: LogItem, keptByBatch: StoredRecord[][]): Promise<void> {
    const oldIndex = decodeSegmentIndex(segment.sk, segment.x!);
    const parts: Uint8Array[] = [];
    const entries: SegmentIndexEntry[] = [];
    let position = 0;
    keptByBatch.forEach((kept, i) => {
      if (kept.length === 0) return;
      const base = kept[0]!.offset;
      const batch = encodeBatch(kept, { baseOffset: base, offsetDeltas: kept.map((r) => r.offset - base), compression: 'auto' });
      // The old running maximum stays an upper bound that never decreases: offsets by time still bisect.
      entries.push({ offset: base, position, maxTimestamp: oldIndex[i]!.maxTimestamp });
      parts.push(batch);
      position += batch.length;
    });
    const generation = (segment.v ?? 0) + 1;
    const key = segment.s!.replace(/(\.\d+)?\.seg$/, `.${generation}.seg`);
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.concat(parts) }));
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.log,
          Item: { ...segment, s: key, v: generation, x: encodeSegmentIndex(segment.sk, entries), z: position },
          ConditionExpression: 's = :old',
          ExpressionAttributeValues: { ':old': segment.s },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      await this.deleteObjectQuietly(key);
      return;
    }
    await this.deleteObjectQuietly(segment.s!);
  }

  private async readWhole(key: string): Promise<Uint8Array> {
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return object.Body!.transformToByteArray();
  }

  /** Removes every log item and S3 object of a deleted topic, then its marker. */
  async purgeTopic(marker: DeletedTopicItem): Promise<void> {
    for (let partition = 0; partition < marker.partitions; partition++) {
      const pk = logPartitionKey(marker.topicId, partition);
      let startKey: Record<string, unknown> | undefined;
      do {
        const page: QueryCommandOutput = await this.doc.send(
          new QueryCommand({
            TableName: this.tables.log,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
            ProjectionExpression: 'pk, sk',
            ExclusiveStartKey: startKey,
          }),
        );
        await this.deleteItems((page.Items ?? []) as LogItem[]);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
    for (const prefix of [`batches/${marker.topicId}/`, `segments/${marker.topicId}/`]) await this.deletePrefix(prefix);
    await this.doc.send(new DeleteCommand({ TableName: this.tables.topics, Key: { pk: marker.pk } }));
  }

  private runs(eligible: LogItem[]): LogItem[][] {
    const runs: LogItem[][] = [];
    let current: LogItem[] = [];
    let bytes = 0;
    for (const item of eligible) {
      const size = sizeOf(item);
      if (current.length > 0 && bytes + size > this.maxSegmentBytes) {
        runs.push(current);
        current = [];
        bytes = 0;
      }
      current.push(item);
      bytes += size;
    }
    if (current.length > 0) runs.push(current);
    return runs;
  }

  private async rollIntoSegment(topicId: string, partition: number, run: LogItem[]): Promise<void> {
    const first = run[0]!;
    const last = run.at(-1)!;
    const end = last.sk + last.c;
    const parts: Uint8Array[] = [];
    const entries: SegmentIndexEntry[] = [];
    let position = 0;
    for (const item of run) {
      const bytes = withBaseOffset(await this.batchBytes(item), item.sk);
      entries.push({ offset: item.sk, position, maxTimestamp: item.m });
      parts.push(bytes);
      position += bytes.length;
    }
    const key = `segments/${topicId}/${partition}/${String(first.sk).padStart(16, '0')}-${String(end).padStart(16, '0')}.seg`;
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: Buffer.concat(parts) }));
    await this.afterStep('segment-written');

    const garbage = run.flatMap((item) => (item.o ? [item.o] : []));
    const pointer: LogItem = {
      pk: first.pk,
      sk: first.sk,
      c: end - first.sk,
      t: Math.max(...run.map((item) => item.t)),
      m: last.m,
      s: key,
      x: encodeSegmentIndex(first.sk, entries),
      z: position,
      // The S3 batches this segment replaces, deleted last; a run after a crash finds them here.
      ...(garbage.length > 0 ? { g: garbage } : {}),
    };
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tables.log,
          Item: pointer,
          // Replace the first batch only while it is one: another compactor may have rolled it already.
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(s)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      const existing = await this.doc.send(new GetCommand({ TableName: this.tables.log, Key: { pk: first.pk, sk: first.sk }, ConsistentRead: true }));
      if ((existing.Item as LogItem | undefined)?.s !== key) await this.deleteObjectQuietly(key);
      return;
    }
    await this.afterStep('pointer-written');
    await this.deleteItems(run.slice(1));
    await this.afterStep('batches-deleted');
    await this.collectGarbage(pointer);
  }

  /** Deletes the S3 batches a segment replaced, then forgets them. */
  private async collectGarbage(pointer: LogItem): Promise<void> {
    if (!pointer.g?.length) return;
    for (const key of pointer.g) await this.deleteObjectQuietly(key);
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.log,
        Key: { pk: pointer.pk, sk: pointer.sk },
        UpdateExpression: 'REMOVE g',
        ConditionExpression: 's = :s',
        ExpressionAttributeValues: { ':s': pointer.s },
      }),
    );
  }

  /**
   * Finishes what a compactor that stopped after writing a pointer left:
   * deletes the batch items a segment before them covers, and the S3
   * batches the segment replaced.
   * Returns the remaining items (segments and batches), in offset order.
   */
  private async deleteCovered(items: LogItem[]): Promise<LogItem[]> {
    const kept: LogItem[] = [];
    const covered: LogItem[] = [];
    let coveredUpTo = -1;
    for (const item of items) {
      if (item.sk < coveredUpTo) {
        covered.push(item);
        continue;
      }
      kept.push(item);
      if (item.s) coveredUpTo = item.sk + item.c;
    }
    if (covered.length > 0) await this.deleteItems(covered);
    for (const segment of kept.filter((item) => item.g?.length)) await this.collectGarbage(segment);
    return kept;
  }

  private async committedItems(pk: string, start: number, next: number): Promise<LogItem[]> {
    if (next === 0) return [];
    const items: LogItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.log,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :zero AND :last',
          ExpressionAttributeValues: { ':pk': pk, ':zero': 0, ':last': next - 1 },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...((page.Items ?? []) as LogItem[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    // Items below the log start are leftovers of retention that stopped half-way: delete them too.
    const below = items.filter((item) => item.sk + item.c <= start);
    if (below.length > 0) {
      await this.deleteItems(below);
      for (const item of below) await this.deleteObjectOf(item);
    }
    return items.filter((item) => item.sk + item.c > start);
  }

  /**
   * Deletes the partition's batch objects that no item refers to and that are
   * older than `ORPHAN_MIN_AGE_MS`: what an append leaves when it dies after
   * its S3 PUT and before its item. Items are read first, objects listed
   * after, so an object written meanwhile is young and kept. Costs one Query
   * and one LIST per partition (a sweep, once a day).
   */
  async deleteOrphans(topic: Pick<Topic, 'topicId'>, partition: number): Promise<number> {
    const pk = logPartitionKey(topic.topicId, partition);
    const referenced = new Set<string>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: QueryCommandOutput = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.log,
          // Every item, also any at or past HEAD's next (an append that a later one completes).
          KeyConditionExpression: 'pk = :pk AND sk >= :zero',
          ExpressionAttributeValues: { ':pk': pk, ':zero': 0 },
          ProjectionExpression: '#o',
          ExpressionAttributeNames: { '#o': 'o' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) if (typeof item.o === 'string') referenced.add(item.o);
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const cutoff = this.now() - ORPHAN_MIN_AGE_MS;
    let deleted = 0;
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: `batches/${topic.topicId}/${partition}/`, MaxKeys: S3_LIST_PAGE, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        if (referenced.has(object.Key!) || (object.LastModified?.getTime() ?? this.now()) > cutoff) continue;
        await this.deleteObjectQuietly(object.Key!);
        deleted++;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return deleted;
  }

  private async readHead(pk: string): Promise<{ next: number; start: number }> {
    const result = await this.doc.send(new GetCommand({ TableName: this.tables.log, Key: { pk, sk: HEAD_SORT_KEY }, ConsistentRead: true }));
    return { next: (result.Item?.next as number | undefined) ?? 0, start: (result.Item?.start as number | undefined) ?? 0 };
  }

  private async batchBytes(item: LogItem): Promise<Uint8Array> {
    if (item.b) return item.b;
    const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: item.o! }));
    return object.Body!.transformToByteArray();
  }

  private async deleteItems(items: LogItem[]): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_LIMIT) {
      let requests: Record<string, unknown>[] | undefined = items
        .slice(i, i + BATCH_WRITE_LIMIT)
        .map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
      for (let round = 0; requests && requests.length > 0 && round < 8; round++) {
        const result = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tables.log]: requests as never } }));
        requests = result.UnprocessedItems?.[this.tables.log] as Record<string, unknown>[] | undefined;
      }
    }
  }

  private async deleteObjectOf(item: LogItem): Promise<void> {
    const key = item.o ?? item.s;
    if (key) await this.deleteObjectQuietly(key);
  }

  private async deleteObjectQuietly(key: string): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      this.logger?.warn('could not delete an object; it stays as garbage', { key, error: (error as Error).message });
    }
  }

  private async deletePrefix(prefix: string): Promise<void> {
    let token: string | undefined;
    do {
      const page: ListObjectsV2CommandOutput = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, MaxKeys: S3_LIST_PAGE, ContinuationToken: token }),
      );
      // One key at a time: the S3 emulator's multi-object delete can fail while emptying a folder (a race in s3rver's clean-up).
      for (const object of page.Contents ?? []) await this.deleteObjectQuietly(object.Key!);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  private async scanTopicsTable(): Promise<Record<string, unknown>[] & { pk: string }[]> {
    const items: ({ pk: string } & Record<string, unknown>)[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page: ScanCommandOutput = await this.doc.send(new ScanCommand({ TableName: this.tables.topics, ConsistentRead: true, ExclusiveStartKey: startKey }));
      items.push(...((page.Items ?? []) as ({ pk: string } & Record<string, unknown>)[]));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

function removals(...names: (string | undefined)[]): string {
  const present = names.filter((name): name is string => name !== undefined);
  return present.length > 0 ? ` REMOVE ${present.join(', ')}` : '';
}

function keyOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('base64');
}

function sizeOf(item: LogItem): number {
  return item.z ?? item.b?.length ?? 0;
}
