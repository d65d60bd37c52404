/**
 * The read side of a partition log: records from an offset up to the high
 * watermark, whether they sit in batch items, batch objects in S3 or
 * segments (docs/design.md, "Reads"), and offsets by time. It reads only
 * below the HEAD it is given, so it never sees an uncommitted batch; a gap
 * where a record should be is a `LogGapError` for the caller to resolve
 * (read again consistently, or check the log start).
 */
import { QueryCommand, type DynamoDBDocumentClient, type QueryCommandOutput } from '@aws-sdk/lib-dynamodb';
import { BrookError } from '../../protocol/errors.js';
import { decodeBatch, recordSize, type StoredRecord } from '../../protocol/recordBatch.js';
import type { LogItem } from './logItem.js';
import { LogGapError, type LogObjects } from './LogObjects.js';
import { decodeSegmentIndex, entryAtOrBefore, splitBatches } from './segment.js';

export interface PartitionHead {
  highWatermark: number;
  logStartOffset: number;
}

export interface ReadLimits {
  maxRecords: number;
  maxBytes: number;
}

export interface ReadResult extends PartitionHead {
  records: StoredRecord[];
  nextOffset: number;
}

const READ_PAGE_ITEMS = 25;
/** Partitions whose batch size this process remembers (for the first page of a read). */
const REMEMBERED_PARTITIONS = 1_000;
/** Stored batches of key-compacted topics may have offset gaps. */
const GAPS = { allowGaps: true } as const;

/** `416 OFFSET_OUT_OF_RANGE` unless `offset` lies in `[logStartOffset, highWatermark]`. */
export function checkInRange(offset: number, head: PartitionHead): void {
  if (offset < head.logStartOffset || offset > head.highWatermark) {
    throw new BrookError(
      'OFFSET_OUT_OF_RANGE',
      `offset ${offset} is outside the log [${head.logStartOffset}, ${head.highWatermark}]`,
      { logStartOffset: head.logStartOffset, highWatermark: head.highWatermark },
    );
  }
}

export class LogReader {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly logTable: string,
    private readonly objects: LogObjects,
  ) {}

  /** Records per batch item of each partition, as the last read of it here found them. */
  private readonly batchSizes = new Map<string, number>();

  /**
   * Records of partition `pk` from `offset` on, in order, below `head`'s high
   * watermark, within `limits` (at least one record if any). `consistent`
   * reads see a batch committed a moment ago.
   */
  async readCommitted(pk: string, offset: number, limits: ReadLimits, head: PartitionHead, consistent: boolean): Promise<ReadResult> {
    const records: StoredRecord[] = [];
    let bytes = 0;
    let expected = offset;
    /** Takes the records of `item` from `expected` on; whether to go on with the next item. */
    const take = async (item: LogItem): Promise<boolean> => {
      for (;;) {
        // A segment is read a range of batches at a time: go on in it until its end, or until the read is full.
        const part = await this.recordsOf(item, expected, limits.maxBytes - bytes);
        for (const record of part.records) {
          if (record.offset < expected) continue;
          if (record.offset >= head.highWatermark) return false;
          const size = recordSize(record);
          if (records.length >= limits.maxRecords || (records.length > 0 && bytes + size > limits.maxBytes)) return false;
          records.push(record);
          bytes += size;
          expected = record.offset + 1;
        }
        if (part.end === undefined) break;
        // Offsets the range covered past its last record were compacted away.
        expected = Math.max(expected, part.end);
        if (records.length >= limits.maxRecords || bytes >= limits.maxBytes || expected >= head.highWatermark) return false;
      }
      // A key-compacted segment may end in offsets whose records were compacted away.
      expected = Math.max(expected, item.sk + item.c);
      // Full already: no need to read the next item to find that out.
      if (records.length >= limits.maxRecords || bytes >= limits.maxBytes) return false;
      return expected < head.highWatermark;
    };

    // A consumer asks for the offset its last fetch ended at, where a batch starts: one forward query finds it
    // and what follows. An offset inside a batch (or a segment) needs the item before it too.
    let page = await this.pageFrom(pk, { ':from': offset }, 'sk BETWEEN :from AND :last', head, this.firstPage(pk, offset, limits, head), consistent);
    let items = (page.Items ?? []) as LogItem[];
    if (items[0]?.sk !== offset) {
      const first = await this.itemCovering(pk, offset, consistent);
      if (!first || first.sk + first.c <= offset) throw new LogGapError();
      items = [first, ...items];
    }
    let more = true;
    let itemsTaken = 0;
    for (;;) {
      for (const item of items) {
        // Batches a segment already covers (the compactor deletes them right after writing it).
        if (item.sk + item.c <= expected) continue;
        if (item.sk > expected) throw new LogGapError(); // the first item may start before `offset`
        itemsTaken++;
        more = await take(item);
        if (!more) break;
      }
      const startKey = page.LastEvaluatedKey;
      if (!more) break;
      if (!startKey) {
        if (expected < head.highWatermark) throw new LogGapError();
        break;
      }
      page = await this.pageFrom(pk, {}, 'sk <= :last', head, READ_PAGE_ITEMS, consistent, startKey);
      items = (page.Items ?? []) as LogItem[];
    }
    if (records.length > 0) this.rememberBatchSize(pk, records.length / Math.max(1, itemsTaken));
    return { ...head, records, nextOffset: expected };
  }

  /**
   * How many items the first page of a read asks for. A reader near the end
   * (everything up to the high watermark fits in `maxRecords`) takes all
   * there is. A reader that is behind takes the batches its `maxRecords`
   * needs at the partition's batch size as this process last read it (25,
   * a full page, the first time): a batch can be 350 KB, so a page of 25
   * where one batch fills the fetch would read and bill up to 1 MB.
   */
  private firstPage(pk: string, offset: number, limits: ReadLimits, head: PartitionHead): number {
    const available = head.highWatermark - offset;
    if (available <= limits.maxRecords) return Math.min(READ_PAGE_ITEMS, available);
    const batchSize = this.batchSizes.get(pk);
    if (batchSize === undefined) return READ_PAGE_ITEMS;
    return Math.max(1, Math.min(READ_PAGE_ITEMS, Math.ceil(limits.maxRecords / batchSize)));
  }

  private rememberBatchSize(pk: string, recordsPerItem: number): void {
    this.batchSizes.delete(pk);
    this.batchSizes.set(pk, recordsPerItem);
    if (this.batchSizes.size > REMEMBERED_PARTITIONS) this.batchSizes.delete(this.batchSizes.keys().next().value!);
  }

  /** One page of the batch items of `pk` below the high watermark, in offset order. */
  private pageFrom(
    pk: string,
    values: Record<string, number>,
    range: string,
    head: PartitionHead,
    limit: number,
    consistent: boolean,
    startKey?: Record<string, unknown>,
  ): Promise<QueryCommandOutput> {
    return this.doc.send(
      new QueryCommand({
        TableName: this.logTable,
        KeyConditionExpression: `pk = :pk AND ${range}`,
        ExpressionAttributeValues: { ':pk': pk, ':last': head.highWatermark - 1, ...values },
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        Limit: limit,
        ConsistentRead: consistent,
      }),
    );
  }

  /**
   * The records of a log item from `from` on: all of a batch, or, for a
   * segment, the batches from the one holding `from` up to about `maxBytes`
   * more, read with one ranged GET; `end` is where that range stopped when it
   * stopped before the segment's end (the base offset of the next batch).
   */
  private async recordsOf(item: LogItem, from: number, maxBytes: number): Promise<{ records: StoredRecord[]; end?: number }> {
    if (!item.s) return { records: decodeBatch(await this.objects.batchBytes(item), GAPS).records };
    const index = decodeSegmentIndex(item.sk, item.x!);
    const firstEntry = entryAtOrBefore(index, from);
    let lastEntry = firstEntry;
    while (lastEntry + 1 < index.length && index[lastEntry + 1]!.position - index[firstEntry]!.position < Math.max(maxBytes, 1)) lastEntry++;
    const start = index[firstEntry]!.position;
    const next = index[lastEntry + 1];
    const bytes = await this.objects.read(item.s, start, next ? next.position : item.z!);
    const records = splitBatches(bytes).flatMap((batch) => decodeBatch(batch, GAPS).records);
    return next ? { records, end: next.offset } : { records };
  }

  /** The batch item whose offsets include `offset` (or the last one before it). */
  private async itemCovering(pk: string, offset: number, consistent: boolean): Promise<LogItem | undefined> {
    const result = await this.doc.send(
      new QueryCommand({
        TableName: this.logTable,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :zero AND :offset',
        ExpressionAttributeValues: { ':pk': pk, ':zero': 0, ':offset': offset },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: consistent,
      }),
    );
    return result.Items?.[0] as LogItem | undefined;
  }

  /** The first offset whose record timestamp is at least `timestamp`; the high watermark when there is none. */
  async offsetForTimestamp(pk: string, timestamp: number, head: PartitionHead): Promise<number> {
    // Binary search over batches on their running maximum timestamp, which never decreases with the offset.
    let low = head.logStartOffset;
    let high = head.highWatermark;
    let found: LogItem | undefined;
    while (low < high) {
      const item = await this.itemCovering(pk, Math.floor((low + high) / 2), true);
      if (!item) break;
      if (item.m >= timestamp) {
        found = item;
        high = item.sk;
      } else {
        low = item.sk + item.c;
      }
    }
    if (!found) return head.highWatermark;
    let records: StoredRecord[];
    if (found.s) {
      // In a segment: the index's running maximum finds the batch; read from there (a key-compacted
      // segment may have dropped the record that set the maximum, so the answer can be in a later batch).
      const index = decodeSegmentIndex(found.sk, found.x!);
      const entry = Math.max(0, index.findIndex((e) => e.maxTimestamp >= timestamp));
      records = splitBatches(await this.objects.read(found.s, index[entry]!.position, found.z!)).flatMap((b) => decodeBatch(b, GAPS).records);
    } else {
      records = decodeBatch(await this.objects.batchBytes(found), GAPS).records;
    }
    const record = records.find((r) => r.offset >= head.logStartOffset && r.timestamp >= timestamp);
    return record?.offset ?? found.sk + found.c;
  }
}
