/**
 * The items of a partition's log in the log table (docs/design.md, "The
 * partition log"): one per appended batch, or one per segment once the
 * compactor has rolled batches into S3. Shared by the appends, the reads and
 * the compactor.
 */

/**
 * One item of the log table per appended batch, at `sk = baseOffset`.
 * Attribute names are short: every append pays for them per KB.
 */
export interface LogItem {
  pk: string;
  sk: number;
  /** Record count. */
  c: number;
  /** Append time (ms): retention is judged by it. */
  t: number;
  /** Running maximum record timestamp up to and including this batch: monotonic, so offsets by time can bisect. */
  m: number;
  /** The batch bytes, when stored inline. */
  b?: Uint8Array;
  /** The S3 key of the batch, when it was too large to store inline. */
  o?: string;
  /** Producer of an idempotent batch: [id, epoch, baseSequence]; lets a helper commit it with its state. */
  p?: [string, number, number];
  /** A segment pointer: the S3 key of the segment holding offsets `[sk, sk + c)`. */
  s?: string;
  /** The segment's index (see segment.ts). */
  x?: Uint8Array;
  /** Bytes of the segment, or of the S3 batch. */
  z?: number;
  /** S3 batches a segment replaced that are still to be deleted (the compactor's to-do list). */
  g?: string[];
  /** How many times key compaction rewrote the segment. */
  v?: number;
  /**
   * The append that wrote the batch (a random token): when the answer to its
   * put is lost and the put is sent again, the refusal shows the item as it
   * is, and the append knows it for its own rather than placing the batch twice.
   */
  a?: string;
}

/** Bytes an item holds: its segment or S3 batch, or its inline batch. */
export function sizeOf(item: LogItem): number {
  return item.z ?? item.b?.length ?? 0;
}
