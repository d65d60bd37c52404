/**
 * What the compactor's parts share: the clients, tables, clock and logger,
 * and one partition's committed items as the compactor sees them. Reading
 * them finishes what an earlier run left half done (items below the log
 * start, batch items a segment already covers, S3 batches a segment
 * replaced), so every part starts from a clean partition.
 */
import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import { batchWriteAll, queryAll } from '../storage/bulk.js';
import type { LogItem } from './logItem.js';
import type { Logger } from './logger.js';
import { LogObjects } from './LogObjects.js';
import { logPartitionKey } from '../layout/tables.js';
import { readHeadsOf } from '../storage/partitionHeads.js';

/** The steps of rolling batches into a segment, in order; tests inject a crash after any of them. */
export type CompactionStep = 'segment-written' | 'pointer-written' | 'batches-deleted' | 'start-advanced';

export interface CompactionStoreOptions {
  doc: DynamoDBDocumentClient;
  s3: S3Client;
  tables: { log: string; topics: string };
  bucket: string;
  now: () => number;
  logger: Logger | undefined;
  afterStep: (step: CompactionStep) => void | Promise<void>;
}

/** A partition's log range and its items in it, segments and batches, in offset order. */
export interface PartitionItems {
  pk: string;
  start: number;
  next: number;
  items: LogItem[];
}

export class CompactionStore {
  readonly doc: DynamoDBDocumentClient;
  readonly tables: { log: string; topics: string };
  readonly objects: LogObjects;
  readonly now: () => number;
  readonly logger: Logger | undefined;
  /** Called after each step; a test throws here to simulate a crash. */
  readonly afterStep: (step: CompactionStep) => void | Promise<void>;

  constructor(options: CompactionStoreOptions) {
    this.doc = options.doc;
    this.tables = options.tables;
    this.objects = new LogObjects({ s3: options.s3, bucket: options.bucket, logger: options.logger });
    this.now = options.now;
    this.logger = options.logger;
    this.afterStep = options.afterStep;
  }

  /**
   * The partition's committed items, strongly consistent, once what an
   * earlier run left half done is finished: what every part of a pass starts from.
   */
  async liveItems(topicId: string, partition: number): Promise<PartitionItems> {
    const committed = await this.committedItems(topicId, partition);
    return { ...committed, items: await this.deleteCovered(committed.items) };
  }

  /**
   * The items from the log start up to the high watermark (HEAD read
   * strongly consistent). Items below the log start, leftovers of retention
   * that stopped half-way, are deleted on the way, with their objects.
   */
  async committedItems(topicId: string, partition: number): Promise<PartitionItems> {
    const pk = logPartitionKey(topicId, partition);
    const [head] = await readHeadsOf(this.doc, this.tables.log, topicId, [partition]);
    const { logStartOffset: start, highWatermark: next } = head!;
    if (next === 0) return { pk, start, next, items: [] };
    const items = await queryAll<LogItem>(this.doc, {
      TableName: this.tables.log,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :zero AND :last',
      ExpressionAttributeValues: { ':pk': pk, ':zero': 0, ':last': next - 1 },
      ConsistentRead: true,
    });
    const below = items.filter((item) => item.sk + item.c <= start);
    if (below.length > 0) {
      await this.deleteItems(below);
      for (const item of below) await this.deleteObjectOf(item);
    }
    return { pk, start, next, items: items.filter((item) => item.sk + item.c > start) };
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

  /** Deletes the S3 batches a segment replaced, then forgets them. */
  async collectGarbage(pointer: LogItem): Promise<void> {
    if (!pointer.g?.length) return;
    for (const key of pointer.g) await this.objects.deleteQuietly(key);
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

  /** Deletes log items by key; unprocessed ones are sent again with backoff, then the call fails loudly. */
  async deleteItems(items: readonly Pick<LogItem, 'pk' | 'sk'>[]): Promise<void> {
    await batchWriteAll(
      this.doc,
      this.tables.log,
      items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } })),
    );
  }

  /** Deletes the object an item points to (its S3 batch or its segment), if any. */
  async deleteObjectOf(item: LogItem): Promise<void> {
    const key = item.o ?? item.s;
    if (key) await this.objects.deleteQuietly(key);
  }
}
