/**
 * The pure rules of delivery (docs/subscriptions.md): how long a failed
 * batch waits, how a batch is cut to fit a body, and what a parked record
 * carries.
 */
import type { ProducerRecord, StoredRecord } from '../../protocol/recordBatch.js';
import type { DeliveryBatch, Encoding } from '../../protocol/types.js';
import { toJsonRecord } from '../log/recordJson.js';

/** Backoff doubles from the first delay up to this many times it (1 s to 60 s by default). */
export const BACKOFF_CAP_FACTOR = 60;

/**
 * The wait before retry `attempt` (1 after the first failure): `baseMs`
 * doubling, capped at 60 times it, with jitter taking off up to a quarter,
 * so that partitions failing together do not retry in step.
 */
export function backoffDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const delay = Math.min(baseMs * 2 ** Math.max(0, attempt - 1), baseMs * BACKOFF_CAP_FACTOR);
  return Math.round(delay * (1 - 0.25 * random()));
}

/** The most a delivery body may hold: a synchronous Lambda invoke takes 6 MB; leave room for the envelope. */
export const MAX_DELIVERY_BODY_BYTES = 6 * 1024 * 1024 - 16 * 1024;

export interface DeliveryBody {
  /** The records in this body: a prefix of those given, at least one. */
  records: StoredRecord[];
  /** The JSON text sent (and signed). */
  body: string;
}

/**
 * The body of the first delivery of `records`: as many as fit in
 * `maxBytes` (at least one; a single record larger than that is sent alone,
 * and a target refusing it fails the batch like any other failure).
 */
export function firstBody(
  envelope: Omit<DeliveryBatch, 'records'>,
  records: readonly StoredRecord[],
  encoding: Encoding,
  maxBytes = MAX_DELIVERY_BODY_BYTES,
): DeliveryBody {
  const texts: string[] = [];
  let size = Buffer.byteLength(JSON.stringify({ ...envelope, records: [] }));
  for (const record of records) {
    const text = JSON.stringify(toJsonRecord(record, encoding));
    const grown = size + Buffer.byteLength(text) + 1;
    if (texts.length > 0 && grown > maxBytes) break;
    texts.push(text);
    size = grown;
  }
  // The envelope ends in `"records":[]}`: the records go between its brackets.
  const head = JSON.stringify({ ...envelope, records: [] });
  const body = `${head.slice(0, -3)}[${texts.join(',')}]}`;
  return { records: records.slice(0, texts.length), body };
}

/** The headers a parked record gains, naming where it came from and why it was parked. */
export const PARKED_HEADERS = {
  topic: 'brook-source-topic',
  partition: 'brook-source-partition',
  offset: 'brook-source-offset',
  error: 'brook-error',
} as const;

/** A record as it is parked on the `onFailure` topic: key, value, timestamp and headers kept, the source headers added. */
export function parkedRecord(record: StoredRecord, source: { topic: string; partition: number }, error: string): ProducerRecord {
  const text = (value: string) => new TextEncoder().encode(value);
  const replaced = new Set<string>(Object.values(PARKED_HEADERS));
  return {
    key: record.key,
    value: record.value,
    timestamp: record.timestamp,
    headers: [
      ...record.headers.filter((header) => !replaced.has(header.name)),
      { name: PARKED_HEADERS.topic, value: text(source.topic) },
      { name: PARKED_HEADERS.partition, value: text(String(source.partition)) },
      { name: PARKED_HEADERS.offset, value: text(String(record.offset)) },
      { name: PARKED_HEADERS.error, value: text(error.slice(0, 1000)) },
    ],
  };
}
