import { describe, expect, it } from 'vitest';
import { bytes, json, text } from '../../sdk/serializers.js';

describe('SDK serializers', () => {
  it('bytes: kept exactly, read back as a Buffer over the same memory', () => {
    const raw = new Uint8Array([0, 255, 1, 128]);
    expect(bytes.serialize(raw)).toBe(raw);
    const read = bytes.deserialize(raw)!;
    expect(Buffer.isBuffer(read)).toBe(true);
    expect([...read]).toEqual([0, 255, 1, 128]);
    expect(bytes.serialize(null)).toBeNull();
    expect(bytes.deserialize(null)).toBeNull();
  });

  it('text and json: UTF-8, null stays a tombstone, bad JSON is INVALID_RECORD', () => {
    expect(text.deserialize(text.serialize('héllo ✓'))).toBe('héllo ✓');
    expect(Buffer.from(json.serialize({ a: [1, 'x'] })!).toString('utf8')).toBe('{"a":[1,"x"]}');
    expect(json.deserialize(json.serialize({ a: [1, 'x'] }))).toEqual({ a: [1, 'x'] });
    expect(json.serialize(null)).toBeNull();
    expect(text.deserialize(null)).toBeNull();
    expect(() => json.deserialize(Buffer.from('{nope'))).toThrow(expect.objectContaining({ code: 'INVALID_RECORD', retriable: false }));
  });
});
