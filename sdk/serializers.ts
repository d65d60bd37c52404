/**
 * Serializers: turn app values into message bytes and back, one object per
 * format, so producers and consumers of a topic agree by sharing it.
 *
 * ```ts
 * await producer.send({ topic, messages: [{ key: 'o-1', value: json.serialize({ total: 12 }) }] });
 * // in eachMessage:
 * const order = json.deserialize(message.value);   // { total: 12 }
 * ```
 */
import { BrookError } from '../protocol/errors.js';

export interface Serde<T> {
  /** `null` stays `null` (a tombstone). */
  serialize(value: T | null): Uint8Array | null;
  deserialize(bytes: Uint8Array | null): T | null;
}

/** Bytes as they are (a `Buffer` view when read back, without a copy). */
export const bytes: Serde<Uint8Array> = {
  serialize: (value) => value,
  deserialize: (value) => (value === null ? null : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
};

/** UTF-8 text. */
export const text: Serde<string> = {
  serialize: (value) => (value === null ? null : Buffer.from(value, 'utf8')),
  deserialize: (bytes) => (bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
};

/** JSON as UTF-8 text (what a JSON produce with `encoding: utf8` stores for a non-string value). */
export const json: Serde<unknown> & { deserialize<T = unknown>(bytes: Uint8Array | null): T | null } = {
  serialize: (value) => (value === null ? null : Buffer.from(JSON.stringify(value), 'utf8')),
  deserialize<T = unknown>(bytes: Uint8Array | null): T | null {
    if (bytes === null) return null;
    const source = text.deserialize(bytes)!;
    try {
      return JSON.parse(source) as T;
    } catch (error) {
      throw new BrookError('INVALID_RECORD', `a message value is not JSON: ${(error as Error).message}`, { origin: 'sdk' }, { cause: error });
    }
  },
};
