import { gunzipSync, gzipSync } from 'node:zlib';
import { crc32c } from './crc32c.js';
import { readVarint, varintSize, writeVarint } from './varint.js';

/**
 * Brook's record-batch format, version 1 (docs/record-batch.md): a fixed
 * header, then the records, optionally gzip-compressed as one block. The
 * layout follows Kafka's v2 record batch; all fixed-width integers are
 * big-endian.
 *
 *  offset size field
 *   0     8    baseOffset     offset of the first record; set by the server at append, outside the CRC
 *   8     4    batchLength    bytes after this field
 *  12     1    magic          1
 *  13     4    crc            CRC-32C (Castagnoli) of every byte after this field
 *  17     2    attributes     bits 0-2: compression (0 none, 1 gzip); other bits 0
 *  19     4    recordCount
 *  23     8    firstTimestamp
 *  31     8    maxTimestamp
 *  39     8    producerId     -1 when not idempotent
 *  47     2    producerEpoch  -1 when not idempotent
 *  49     4    baseSequence   -1 when not idempotent
 *  53     ..   records
 *
 * Each record (zig-zag varints, as Kafka): length, attributes (int8, 0),
 * timestampDelta (from firstTimestamp), offsetDelta, keyLength (-1 = null),
 * key, valueLength (-1 = null), value, headerCount, then per header:
 * nameLength, name (UTF-8), valueLength, value.
 */
export const BATCH_MAGIC = 1;
export const BATCH_HEADER_BYTES = 53;
export const RECORD_BATCH_CONTENT_TYPE = 'application/vnd.brook.batch';
/** The most a gzip block may inflate to: more than any request (6 MB) or segment batch holds, so a small bomb is refused. */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export const Compression = { None: 0, Gzip: 1 } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

const COMPRESSION_MASK = 0x07;
const BASE_OFFSET_AT = 0;
const BATCH_LENGTH_AT = 8;
const MAGIC_AT = 12;
const CRC_AT = 13;
const CRC_COVERS_FROM = 17;

export interface RecordHeader {
  name: string;
  value: Uint8Array;
}

/** A record as a producer gives it. */
export interface ProducerRecord {
  key: Uint8Array | null;
  /** `null` is a tombstone. */
  value: Uint8Array | null;
  headers: RecordHeader[];
  timestamp: number;
}

/** A record as read back: with its offset. */
export interface StoredRecord extends ProducerRecord {
  offset: number;
}

export interface ProducerIdentity {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

export const NO_PRODUCER: ProducerIdentity = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

export interface BatchHeader extends ProducerIdentity {
  baseOffset: number;
  /** Bytes of the whole batch, header included. */
  sizeBytes: number;
  compression: Compression;
  recordCount: number;
  firstTimestamp: number;
  maxTimestamp: number;
}

export class InvalidBatchError extends Error {
  override readonly name = 'InvalidBatchError';
}

export interface EncodeOptions {
  baseOffset?: number;
  producer?: ProducerIdentity;
  /**
   * `gzip` always compresses; `auto` keeps gzip only when it saves at least a
   * tenth of the bytes (so incompressible data is not paid twice). @default 'none'
   */
  compression?: 'none' | 'gzip' | 'auto';
  /**
   * Offset of each record relative to the first, for a batch with gaps (the
   * server's rewrite of a key-compacted batch). @default 0, 1, 2, ...
   */
  offsetDeltas?: readonly number[];
}

/** Bytes a record takes inside a batch, its length prefix included. */
function recordBodySize(record: ProducerRecord, timestampDelta: number, offsetDelta: number): number {
  let size = 1 + varintSize(timestampDelta) + varintSize(offsetDelta);
  size += record.key === null ? varintSize(-1) : varintSize(record.key.length) + record.key.length;
  size += record.value === null ? varintSize(-1) : varintSize(record.value.length) + record.value.length;
  size += varintSize(record.headers.length);
  for (const header of record.headers) {
    const nameBytes = Buffer.byteLength(header.name, 'utf8');
    size += varintSize(nameBytes) + nameBytes + varintSize(header.value.length) + header.value.length;
  }
  return size;
}

function encodeRecords(records: readonly ProducerRecord[], firstTimestamp: number, deltas?: readonly number[]): Uint8Array {
  const delta = (i: number) => deltas?.[i] ?? i;
  const sizes = records.map((record, i) => recordBodySize(record, record.timestamp - firstTimestamp, delta(i)));
  const total = sizes.reduce((sum, size) => sum + varintSize(size) + size, 0);
  const out = Buffer.allocUnsafe(total);
  let at = 0;
  records.forEach((record, i) => {
    at = writeVarint(out, at, sizes[i]!);
    out[at++] = 0;
    at = writeVarint(out, at, record.timestamp - firstTimestamp);
    at = writeVarint(out, at, delta(i));
    at = writeBytes(out, at, record.key);
    at = writeBytes(out, at, record.value);
    at = writeVarint(out, at, record.headers.length);
    for (const header of record.headers) {
      at = writeBytes(out, at, Buffer.from(header.name, 'utf8'));
      at = writeBytes(out, at, header.value);
    }
  });
  return out;
}

function writeBytes(out: Uint8Array, at: number, bytes: Uint8Array | null): number {
  if (bytes === null) return writeVarint(out, at, -1);
  at = writeVarint(out, at, bytes.length);
  out.set(bytes, at);
  return at + bytes.length;
}

const COMPRESSION_SAMPLE_BYTES = 4096;

/** Whether a sample of `bytes` shrinks by a tenth under gzip: so incompressible batches cost no full compression. */
function looksCompressible(bytes: Uint8Array): boolean {
  if (bytes.length <= COMPRESSION_SAMPLE_BYTES) return true;
  const sample = bytes.subarray(0, COMPRESSION_SAMPLE_BYTES);
  return gzipSync(sample, { level: 1 }).length <= sample.length * 0.9;
}

/** Encodes `records` as one batch. Timestamps may be in any order. */
export function encodeBatch(records: readonly ProducerRecord[], options: EncodeOptions = {}): Uint8Array {
  if (records.length === 0) throw new InvalidBatchError('a batch holds at least one record');
  const firstTimestamp = records[0]!.timestamp;
  const maxTimestamp = records.reduce((max, record) => Math.max(max, record.timestamp), firstTimestamp);
  const deltas = options.offsetDeltas;
  if (deltas && (deltas.length !== records.length || deltas[0] !== 0 || deltas.some((d, i) => i > 0 && d <= deltas[i - 1]!))) {
    throw new InvalidBatchError('offset deltas start at 0 and only increase, one per record');
  }
  const plain = encodeRecords(records, firstTimestamp, deltas);
  let body: Uint8Array = plain;
  let compression: Compression = Compression.None;
  const wanted = options.compression ?? 'none';
  if (wanted === 'gzip' || (wanted === 'auto' && looksCompressible(plain))) {
    const gzipped = gzipSync(plain, { level: 1 });
    if (wanted === 'gzip' || gzipped.length <= plain.length * 0.9) {
      body = gzipped;
      compression = Compression.Gzip;
    }
  }
  const producer = options.producer ?? NO_PRODUCER;
  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + body.length);
  const view = new DataView(batch.buffer, batch.byteOffset, batch.byteLength);
  view.setBigInt64(BASE_OFFSET_AT, BigInt(options.baseOffset ?? 0));
  view.setInt32(BATCH_LENGTH_AT, batch.length - MAGIC_AT);
  view.setInt8(MAGIC_AT, BATCH_MAGIC);
  view.setInt16(17, compression);
  view.setInt32(19, records.length);
  view.setBigInt64(23, BigInt(firstTimestamp));
  view.setBigInt64(31, BigInt(maxTimestamp));
  view.setBigInt64(39, BigInt(producer.producerId));
  view.setInt16(47, producer.producerEpoch);
  view.setInt32(49, producer.baseSequence);
  batch.set(body, BATCH_HEADER_BYTES);
  view.setUint32(CRC_AT, crc32c(batch.subarray(CRC_COVERS_FROM)));
  return batch;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new InvalidBatchError(`${field} is out of range`);
  }
  return Number(value);
}

/**
 * Reads the header of the batch at the start of `bytes` without touching the
 * records. Checks the framing, not the CRC.
 */
export function readBatchHeader(bytes: Uint8Array): BatchHeader {
  if (bytes.length < BATCH_HEADER_BYTES) throw new InvalidBatchError(`a batch is at least ${BATCH_HEADER_BYTES} bytes`);
  const view = viewOf(bytes);
  const magic = view.getInt8(MAGIC_AT);
  if (magic !== BATCH_MAGIC) throw new InvalidBatchError(`unknown batch magic ${magic}`);
  const batchLength = view.getInt32(BATCH_LENGTH_AT);
  if (batchLength < BATCH_HEADER_BYTES - MAGIC_AT || MAGIC_AT + batchLength > bytes.length) {
    throw new InvalidBatchError('batch length does not match the bytes given');
  }
  const attributes = view.getInt16(17);
  const compression = attributes & COMPRESSION_MASK;
  if (attributes & ~COMPRESSION_MASK || (compression !== Compression.None && compression !== Compression.Gzip)) {
    throw new InvalidBatchError(`unsupported batch attributes ${attributes}`);
  }
  const recordCount = view.getInt32(19);
  if (recordCount < 1) throw new InvalidBatchError('a batch holds at least one record');
  return {
    baseOffset: safeNumber(view.getBigInt64(BASE_OFFSET_AT), 'baseOffset'),
    sizeBytes: MAGIC_AT + batchLength,
    compression: compression as Compression,
    recordCount,
    firstTimestamp: safeNumber(view.getBigInt64(23), 'firstTimestamp'),
    maxTimestamp: safeNumber(view.getBigInt64(31), 'maxTimestamp'),
    producerId: safeNumber(view.getBigInt64(39), 'producerId'),
    producerEpoch: view.getInt16(47),
    baseSequence: view.getInt32(49),
  };
}

/** Whether the CRC of the batch at the start of `bytes` matches its contents. */
export function hasValidCrc(bytes: Uint8Array, header: BatchHeader = readBatchHeader(bytes)): boolean {
  return viewOf(bytes).getUint32(CRC_AT) === crc32c(bytes.subarray(CRC_COVERS_FROM, header.sizeBytes));
}

/** A copy of `batch` whose base offset is `baseOffset` (the field sits outside the CRC). */
export function withBaseOffset(batch: Uint8Array, baseOffset: number): Uint8Array {
  const copy = Buffer.from(batch);
  viewOf(copy).setBigInt64(BASE_OFFSET_AT, BigInt(baseOffset));
  return copy;
}

function readBytes(source: Uint8Array, at: number, end: number): [Uint8Array | null, number] {
  const [length, next] = readVarint(source, at);
  if (length === -1) return [null, next];
  if (length < 0 || next + length > end) throw new InvalidBatchError('a length runs past its record');
  return [source.subarray(next, next + length), next + length];
}

export interface DecodeOptions {
  /**
   * Accept offset deltas that only increase (batches of key-compacted topics
   * rewritten by the server) instead of 0, 1, 2, ... @default false
   */
  allowGaps?: boolean;
}

/**
 * Decodes every record of the batch at the start of `bytes`, checking the CRC
 * and that each record's offset delta is its position (or, with `allowGaps`,
 * that deltas increase). Throws `InvalidBatchError` on anything malformed.
 */
export function decodeBatch(bytes: Uint8Array, options: DecodeOptions = {}): { header: BatchHeader; records: StoredRecord[] } {
  const header = readBatchHeader(bytes);
  if (!hasValidCrc(bytes, header)) throw new InvalidBatchError('batch CRC does not match');
  let body = bytes.subarray(BATCH_HEADER_BYTES, header.sizeBytes);
  if (header.compression === Compression.Gzip) {
    try {
      body = gunzipSync(body, { maxOutputLength: MAX_DECOMPRESSED_BYTES });
    } catch {
      throw new InvalidBatchError(`gzip block is corrupt or inflates past ${MAX_DECOMPRESSED_BYTES} bytes`);
    }
  }
  const records: StoredRecord[] = [];
  let at = 0;
  try {
    for (let i = 0; i < header.recordCount; i++) {
      const [length, start] = readVarint(body, at);
      const end = start + length;
      if (length < 1 || end > body.length) throw new InvalidBatchError(`record ${i} runs past the batch`);
      let cursor = start + 1; // attributes
      const [timestampDelta, afterTimestamp] = readVarint(body, cursor);
      const [offsetDelta, afterOffset] = readVarint(body, afterTimestamp);
      const previous = records.at(-1);
      const inOrder = options.allowGaps
        ? (i === 0 ? offsetDelta === 0 : offsetDelta > previous!.offset - header.baseOffset)
        : offsetDelta === i;
      if (!inOrder) throw new InvalidBatchError(`record ${i} has offset delta ${offsetDelta}`);
      const [key, afterKey] = readBytes(body, afterOffset, end);
      const [value, afterValue] = readBytes(body, afterKey, end);
      const [headerCount, afterCount] = readVarint(body, afterValue);
      if (headerCount < 0) throw new InvalidBatchError(`record ${i} has a negative header count`);
      cursor = afterCount;
      const headers: RecordHeader[] = [];
      for (let h = 0; h < headerCount; h++) {
        const [name, afterName] = readBytes(body, cursor, end);
        const [headerValue, afterHeaderValue] = readBytes(body, afterName, end);
        if (name === null || headerValue === null) throw new InvalidBatchError(`record ${i} has a null header`);
        headers.push({ name: Buffer.from(name).toString('utf8'), value: headerValue });
        cursor = afterHeaderValue;
      }
      if (cursor !== end) throw new InvalidBatchError(`record ${i} has trailing bytes`);
      records.push({ offset: header.baseOffset + offsetDelta, timestamp: header.firstTimestamp + timestampDelta, key, value, headers });
      at = end;
    }
  } catch (error) {
    if (error instanceof InvalidBatchError) throw error;
    throw new InvalidBatchError(`malformed record: ${(error as Error).message}`);
  }
  if (at !== body.length) throw new InvalidBatchError('bytes after the last record');
  return { header, records };
}

/** Bytes of a record as `maxMessageBytes` counts them: key, value, header names and values. */
export function recordSize(record: ProducerRecord): number {
  let size = (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const header of record.headers) size += Buffer.byteLength(header.name, 'utf8') + header.value.length;
  return size;
}
