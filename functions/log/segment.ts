import { readBatchHeader } from '../../protocol/recordBatch.js';

/**
 * A segment: committed batches rolled out of DynamoDB into one S3 object,
 * back to back, each with its base offset set (so each stays a valid batch).
 * Its index, kept in the segment's pointer item in the log, says where each
 * batch starts, so a fetch reads what it needs with one ranged GET.
 */
export interface SegmentIndexEntry {
  /** Base offset of the batch. */
  offset: number;
  /** Byte position of the batch in the segment object. */
  position: number;
  /** Running maximum record timestamp up to and including this batch. */
  maxTimestamp: number;
}

/** Bytes per index entry: offset delta (uint32), position (uint32), running max timestamp (float64, exact below 2^53). */
const ENTRY_BYTES = 16;

export function encodeSegmentIndex(baseOffset: number, entries: readonly SegmentIndexEntry[]): Uint8Array {
  const out = Buffer.alloc(entries.length * ENTRY_BYTES);
  entries.forEach((entry, i) => {
    out.writeUInt32BE(entry.offset - baseOffset, i * ENTRY_BYTES);
    out.writeUInt32BE(entry.position, i * ENTRY_BYTES + 4);
    out.writeDoubleBE(entry.maxTimestamp, i * ENTRY_BYTES + 8);
  });
  return out;
}

export function decodeSegmentIndex(baseOffset: number, bytes: Uint8Array): SegmentIndexEntry[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const entries: SegmentIndexEntry[] = [];
  for (let at = 0; at + ENTRY_BYTES <= view.length; at += ENTRY_BYTES) {
    entries.push({ offset: baseOffset + view.readUInt32BE(at), position: view.readUInt32BE(at + 4), maxTimestamp: view.readDoubleBE(at + 8) });
  }
  return entries;
}

/** Index of the last entry whose batch starts at or before `offset`. */
export function entryAtOrBefore(entries: readonly SegmentIndexEntry[], offset: number): number {
  let low = 0;
  let high = entries.length - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (entries[mid]!.offset <= offset) low = mid;
    else high = mid - 1;
  }
  return low;
}

/** Splits bytes read from a segment back into its batches. */
export function splitBatches(bytes: Uint8Array): Uint8Array[] {
  const batches: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const header = readBatchHeader(bytes.subarray(at));
    batches.push(bytes.subarray(at, at + header.sizeBytes));
    at += header.sizeBytes;
  }
  return batches;
}

/** A batch to put in a segment: its bytes (base offset set) and its running maximum timestamp. */
export interface SegmentPart {
  offset: number;
  bytes: Uint8Array;
  maxTimestamp: number;
}

/** A segment ready to write: the object's bytes and the index its pointer item keeps. */
export interface BuiltSegment {
  body: Uint8Array;
  index: Uint8Array;
}

/** Lays `parts` back to back and indexes them against `baseOffset`, the offset of the segment's pointer item. */
export function buildSegment(baseOffset: number, parts: readonly SegmentPart[]): BuiltSegment {
  const entries: SegmentIndexEntry[] = [];
  let position = 0;
  for (const part of parts) {
    entries.push({ offset: part.offset, position, maxTimestamp: part.maxTimestamp });
    position += part.bytes.length;
  }
  return { body: Buffer.concat(parts.map((part) => part.bytes)), index: encodeSegmentIndex(baseOffset, entries) };
}
