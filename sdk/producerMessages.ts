/**
 * The producer's messages: the shapes apps hand to `send` and
 * `transaction.send`, and how a message becomes a record of a batch. Shared by
 * Producer.ts and Transaction.ts (which Producer.ts imports), so neither
 * imports the other's types.
 */
import { recordSize, type ProducerRecord as BatchRecord, type RecordHeader } from '../protocol/recordBatch.js';

export type Bytes = string | Uint8Array;
export type MessageHeaders = Record<string, Bytes | Bytes[] | undefined>;

export interface Message {
  key?: Bytes | null;
  /** `null` is a tombstone. Strings are sent as UTF-8. */
  value: Bytes | null;
  headers?: MessageHeaders;
  /** Chosen by the partitioner when absent. */
  partition?: number;
  /** Epoch milliseconds (a number or, as kafkajs, a string of digits). @default the time of the send call */
  timestamp?: number | string;
}

export interface ProducerRecord {
  topic: string;
  messages: Message[];
  /**
   * Conditional append (optimistic concurrency): per partition, the high
   * watermark it must have for this call's messages to be appended there,
   * else `OFFSET_MISMATCH` (details: `highWatermark`). Such messages are
   * never batched with other calls'.
   */
  expectedOffsets?: Record<number, number>;
}

export interface ProducerBatch {
  topicMessages: ProducerRecord[];
}

export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
}

export const toBytes = (value: Bytes): Uint8Array => (typeof value === 'string' ? Buffer.from(value, 'utf8') : value);

export function toBatchRecord(message: Message, now: number): BatchRecord {
  if (message === null || typeof message !== 'object') throw new TypeError('a message is an object with a value');
  const { value, key } = message;
  if (value !== null && typeof value !== 'string' && !(value instanceof Uint8Array)) {
    throw new TypeError('a message value is a string, a Buffer, a Uint8Array or null');
  }
  if (key !== undefined && key !== null && typeof key !== 'string' && !(key instanceof Uint8Array)) {
    throw new TypeError('a message key is a string, a Buffer, a Uint8Array or null');
  }
  const headers: RecordHeader[] = [];
  for (const [name, raw] of Object.entries(message.headers ?? {})) {
    if (raw === undefined) continue;
    for (const one of Array.isArray(raw) ? raw : [raw]) headers.push({ name, value: toBytes(one) });
  }
  const timestamp = message.timestamp === undefined ? now : Number(message.timestamp);
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new TypeError(`message timestamp ${String(message.timestamp)} is not epoch milliseconds`);
  return { key: key === undefined || key === null ? null : toBytes(key), value: value === null ? null : toBytes(value), headers, timestamp };
}

/** Bytes a record holds, plus a little for its framing: what the buffer and `batchBytes` count. */
export function approximateSize(record: BatchRecord): number {
  return recordSize(record) + 24;
}
