/**
 * Records as `POST /v1/fetch` returns them (the consumer and the reader ask
 * for `encoding: base64`), and the messages the consumer and the reader hand
 * to apps: exact bytes as Buffers.
 */
import type { Encoding, FetchedRecord } from '../protocol/types.js';

export interface KafkaMessage {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/**
 * A fetched record on the wire: the contract's `FetchedRecord`, read
 * tolerantly (a record's own `encoding` is honoured whichever it names).
 */
export type WireRecord = Omit<FetchedRecord, 'encoding'> & { encoding?: Encoding };

/**
 * Decodes a fetched record's key, value and headers into Buffers, exactly:
 * each field is in the record's own `encoding` when it has one, else in the
 * fetch's (`fetchEncoding`).
 */
export function decodeRecord(record: WireRecord, fetchEncoding: Encoding): KafkaMessage {
  const encoding = record.encoding ?? fetchEncoding;
  const bytes = (text: string) => Buffer.from(text, encoding);
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) headers[name] = bytes(value);
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : bytes(record.key),
    value: record.value === null ? null : bytes(record.value),
    headers,
  };
}

/** A record of a fetch made with `encoding: base64` (as the consumer and the reader make them), as Buffers. */
export function toMessage(record: WireRecord): KafkaMessage {
  return decodeRecord(record, 'base64');
}
