/**
 * Fetched records that are not valid UTF-8: the server answers them in
 * base64 with `"encoding": "base64"` on a utf8 fetch, and the SDK and the
 * CLI turn them back into the exact bytes.
 */
import { describe, expect, it } from 'vitest';
import { formatRecord, recordLine } from '../../cli/format.js';
import { toJsonRecord } from '../../functions/log/recordJson.js';
import type { StoredRecord } from '../../protocol/recordBatch.js';
import { decodeRecord, toMessage } from '../../sdk/messages.js';

const bytes = (...values: number[]) => new Uint8Array(values);
const utf8 = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));
const b64 = (value: Uint8Array | string) => Buffer.from(value).toString('base64');

function stored(overrides: Partial<StoredRecord> = {}): StoredRecord {
  return { offset: 3, timestamp: 1_700_000_000_000, key: utf8('k'), value: utf8('ünïcødé ✓'), headers: [{ name: 'h', value: utf8('v') }], ...overrides };
}

describe('Function: toJsonRecord', () => {
  it('answers a valid UTF-8 record as text, with no encoding field', () => {
    const record = toJsonRecord(stored({ key: null, value: null, headers: [] }), 'utf8');
    expect(record).toEqual({ offset: 3, timestamp: 1_700_000_000_000, key: null, value: null, headers: {} });
    expect(toJsonRecord(stored(), 'utf8')).toEqual({ offset: 3, timestamp: 1_700_000_000_000, key: 'k', value: 'ünïcødé ✓', headers: { h: 'v' } });
  });

  it.each([
    ['key', { key: bytes(0xff) }],
    ['value', { value: bytes(0x61, 0xff, 0x62) }],
    ['a header value', { headers: [{ name: 'h', value: utf8('v') }, { name: 'raw', value: bytes(0xc3, 0x28) }] }],
    ['a lone surrogate half (CESU)', { value: bytes(0xed, 0xa0, 0x80) }],
    ['a truncated sequence', { value: bytes(0xe2, 0x82) }],
  ])('answers a record whose %s is not valid UTF-8 whole in base64, marked encoding: base64', (_label, overrides: Partial<StoredRecord>) => {
    const record = stored(overrides);
    const json = toJsonRecord(record, 'utf8');
    expect(json.encoding).toBe('base64');
    expect(json.key).toBe(record.key === null ? null : b64(record.key));
    expect(json.value).toBe(record.value === null ? null : b64(record.value));
    expect(json.headers).toEqual(Object.fromEntries(record.headers.map((h) => [h.name, b64(h.value)])));
  });

  it('never marks a record of a base64 fetch', () => {
    expect(toJsonRecord(stored({ value: bytes(0xff) }), 'base64')).toEqual({
      offset: 3,
      timestamp: 1_700_000_000_000,
      key: b64('k'),
      value: b64(bytes(0xff)),
      headers: { h: b64('v') },
    });
  });

  it('checks only the bytes of each field, even when they are a view into a larger buffer', () => {
    const shared = Buffer.from([0xff, 0x61, 0x62, 0xff]);
    const record = toJsonRecord(stored({ value: new Uint8Array(shared.buffer, shared.byteOffset + 1, 2) }), 'utf8');
    expect(record).toMatchObject({ value: 'ab' });
    expect(record).not.toHaveProperty('encoding');
  });
});

describe('Function: decodeRecord (SDK)', () => {
  it('gives the exact bytes of every record of a utf8 fetch, marked or not', () => {
    const original = [stored(), stored({ key: bytes(0xfe), value: bytes(0, 0xff), headers: [{ name: 'h', value: bytes(0x80) }] })];
    const decoded = original.map((record) => decodeRecord(toJsonRecord(record, 'utf8'), 'utf8'));
    expect(decoded.map((m) => [m.key, m.value, m.headers])).toEqual(
      original.map((r) => [Buffer.from(r.key!), Buffer.from(r.value!), Object.fromEntries(r.headers.map((h) => [h.name, Buffer.from(h.value)]))]),
    );
  });

  it('toMessage reads a base64 fetch, and honours a record\'s own encoding', () => {
    expect(toMessage({ offset: 0, timestamp: 1, key: null, value: b64(bytes(0xff)), headers: {} }).value).toEqual(Buffer.from([0xff]));
    expect(toMessage({ offset: 0, timestamp: 1, key: null, value: 'text', headers: {}, encoding: 'utf8' }).value).toEqual(Buffer.from('text'));
  });
});

describe('Function: recordLine (CLI)', () => {
  const message = (value: Buffer, headers: Record<string, Buffer> = {}) => ({ offset: 7, timestamp: 1, key: Buffer.from('k'), value, headers });

  it('writes the exact bytes in text format', () => {
    const line = recordLine({ topic: 't', partition: 0, message: message(Buffer.from([0x61, 0xff, 0x62]), { h: Buffer.from([0xc3, 0x28]) }) }, { printKey: true, printHeaders: true });
    expect(line).toEqual(Buffer.concat([Buffer.from('h:'), Buffer.from([0xc3, 0x28]), Buffer.from('\tk\t'), Buffer.from([0x61, 0xff, 0x62])]));
  });

  it('in json format, gives a record that is not UTF-8 in base64 with encoding: base64, and others as text', () => {
    const binary = JSON.parse(formatRecord({ topic: 't', partition: 0, message: message(Buffer.from([0xff]), { h: Buffer.from('v') }) }, { format: 'json' }));
    const text = JSON.parse(formatRecord({ topic: 't', partition: 0, message: message(Buffer.from('ok')) }, { format: 'json' }));
    expect(binary).toEqual({ topic: 't', partition: 0, offset: 7, timestamp: 1, key: b64('k'), value: b64(bytes(0xff)), headers: { h: b64('v') }, encoding: 'base64' });
    expect(text).toEqual({ topic: 't', partition: 0, offset: 7, timestamp: 1, key: 'k', value: 'ok', headers: {} });
  });
});
