/**
 * Records as `POST /v1/fetch` returns them with `encoding: base64`, and the
 * messages the consumer and the reader hand to apps: exact bytes as Buffers.
 */

export interface KafkaMessage {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

/** A fetched record on the wire (`encoding: base64`). */
export interface WireRecord {
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Decodes base64 key, value and headers into Buffers. */
export function toMessage(record: WireRecord): KafkaMessage {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) headers[name] = Buffer.from(value, 'base64');
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : Buffer.from(record.key, 'base64'),
    value: record.value === null ? null : Buffer.from(record.value, 'base64'),
    headers,
  };
}
