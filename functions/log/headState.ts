/**
 * A partition's HEAD item (docs/design.md, "The partition log"): the high
 * watermark (`next`), the log start offset (`start`), the running maximum
 * record timestamp (`m`) and the idempotent producers' table (`pr`).
 */
import { HEAD_SORT_KEY } from '../layout/tables.js';
import type { LogItem } from './logItem.js';
import { fromStoredTable, recordBatch, type ProducerTable, type StoredProducerTable } from './producerState.js';

export interface HeadState {
  next: number;
  start: number;
  /** Running maximum record timestamp of the log. */
  m: number;
  producers: ProducerTable;
}

/** The key of the HEAD item of the partition whose log items have `pk`. */
export function headItemKey(pk: string): { pk: string; sk: number } {
  return { pk, sk: HEAD_SORT_KEY };
}

/** HEAD from its stored item; a partition never appended to has none (an empty log at 0). */
export function headFromItem(item: Record<string, unknown> | undefined): HeadState {
  return {
    next: (item?.next as number | undefined) ?? 0,
    start: (item?.start as number | undefined) ?? 0,
    m: (item?.m as number | undefined) ?? Number.MIN_SAFE_INTEGER,
    producers: fromStoredTable(item?.pr as StoredProducerTable | undefined),
  };
}

/** The offsets a reader needs from HEAD. */
export function offsetsOf(head: HeadState): { highWatermark: number; logStartOffset: number } {
  return { highWatermark: head.next, logStartOffset: head.start };
}

/** HEAD as it is once `item`, the batch at `head.next`, is committed. */
export function applyItem(head: HeadState, item: LogItem): HeadState {
  return {
    next: item.sk + item.c,
    start: head.start,
    m: item.m,
    producers: item.p
      ? recordBatch(head.producers, { producerId: item.p[0], epoch: item.p[1], baseSequence: item.p[2], count: item.c }, item.sk, item.t)
      : head.producers,
  };
}
