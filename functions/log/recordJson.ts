import { isUtf8 } from 'node:buffer';
import { BrookError } from '../../protocol/errors.js';
import type { ProducerRecord, RecordHeader, StoredRecord } from '../../protocol/recordBatch.js';
import type { Encoding, FetchedRecord, ProduceRecord } from '../../protocol/types.js';

/**
 * Standard base64 with padding, checked without a regular expression (which
 * cost more than the rest of a produce's parsing, bench/cpu.ts): Node's
 * decoder skips characters outside the alphabet and stops at padding, so the
 * text is valid exactly when it decodes to the length its size promises.
 * Node also reads base64url's `-` and `_`, which standard base64 has not.
 */
function decodeBase64(text: string, where: string): Uint8Array {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const bytes = text.length % 4 === 0 && !text.includes('-') && !text.includes('_') ? Buffer.from(text, 'base64') : undefined;
  if (!bytes || bytes.length !== (text.length / 4) * 3 - padding) throw new BrookError('INVALID_RECORD', `${where} is not valid base64`);
  return new Uint8Array(bytes);
}

function toBytes(text: string, encoding: Encoding, where: string): Uint8Array {
  return encoding === 'base64' ? decodeBase64(text, where) : new Uint8Array(Buffer.from(text, 'utf8'));
}

/**
 * The bytes of a JSON record. With `utf8`, a value that is not a string is
 * stored as its JSON text; with `base64`, every key, value and header value
 * must be a base64 string. A null or absent value is a tombstone.
 */
export function fromJsonRecord(record: ProduceRecord, index: number, encoding: Encoding, now: number): ProducerRecord {
  const where = `records.${index}`;
  let value: Uint8Array | null = null;
  if (record.value !== undefined && record.value !== null) {
    if (typeof record.value === 'string') value = toBytes(record.value, encoding, `${where}.value`);
    else if (encoding === 'base64') throw new BrookError('INVALID_RECORD', `${where}.value must be a base64 string`);
    else value = new Uint8Array(Buffer.from(JSON.stringify(record.value), 'utf8'));
  }
  const headers: RecordHeader[] = Object.entries(record.headers ?? {}).map(([name, text]) => ({
    name,
    value: toBytes(text, encoding, `${where}.headers.${name}`),
  }));
  return {
    key: record.key === undefined || record.key === null ? null : toBytes(record.key, encoding, `${where}.key`),
    value,
    headers,
    timestamp: record.timestamp ?? now,
  };
}

function fromBytes(bytes: Uint8Array, encoding: Encoding): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString(encoding);
}

/** Whether every byte string of the record (key, value, header values) is valid UTF-8. */
export function isUtf8Record(record: Pick<StoredRecord, 'key' | 'value' | 'headers'>): boolean {
  return (
    (record.key === null || isUtf8(record.key)) &&
    (record.value === null || isUtf8(record.value)) &&
    record.headers.every((header) => isUtf8(header.value))
  );
}

/**
 * A stored record in the fetch's `encoding`. With `utf8`, a record whose
 * bytes are not all valid UTF-8 is not decoded lossily: it comes back whole
 * in base64, marked `"encoding": "base64"`.
 */
export function toJsonRecord(record: StoredRecord, encoding: Encoding): FetchedRecord {
  const own: Encoding = encoding === 'utf8' && !isUtf8Record(record) ? 'base64' : encoding;
  const headers: Record<string, string> = {};
  for (const header of record.headers) headers[header.name] = fromBytes(header.value, own);
  return {
    offset: record.offset,
    timestamp: record.timestamp,
    key: record.key === null ? null : fromBytes(record.key, own),
    value: record.value === null ? null : fromBytes(record.value, own),
    headers,
    ...(own !== encoding ? { encoding: 'base64' as const } : {}),
  };
}
