import { crc32c } from '../../protocol/crc32c.js';
import { describe, expect, it } from 'vitest';
import {
  BATCH_HEADER_BYTES,
  Compression,
  decodeBatch,
  encodeBatch,
  hasValidCrc,
  InvalidBatchError,
  MAX_DECOMPRESSED_BYTES,
  readBatchHeader,
  recordSize,
  withBaseOffset,
  type ProducerRecord,
} from '../../protocol/recordBatch.js';
import { readVarint, writeVarint } from '../../protocol/varint.js';

const bytes = (text: string) => new Uint8Array(Buffer.from(text, 'utf8'));

const records: ProducerRecord[] = [
  { key: bytes('k1'), value: bytes('{"a":1}'), headers: [{ name: 'trace', value: bytes('abc') }], timestamp: 1_700_000_000_000 },
  { key: null, value: null, headers: [], timestamp: 1_699_999_999_000 },
  { key: new Uint8Array([0, 255, 128]), value: new Uint8Array([1, 2, 3, 0, 254]), headers: [{ name: 'é', value: new Uint8Array() }], timestamp: 1_700_000_005_000 },
];

describe('protocol: varints', () => {
  it.each([0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31, -(2 ** 31) - 5, 2 ** 52 - 1, -(2 ** 52)])(
    'round-trips %d',
    (value) => {
      const buffer = new Uint8Array(10);
      const end = writeVarint(buffer, 0, value);
      expect(readVarint(buffer, 0)).toEqual([value, end]);
    },
  );

  it('uses Kafka\'s zig-zag bytes', () => {
    const buffer = new Uint8Array(4);
    expect(Array.from(buffer.subarray(0, writeVarint(buffer, 0, -1)))).toEqual([1]);
    expect(Array.from(buffer.subarray(0, writeVarint(buffer, 0, 150)))).toEqual([0xac, 0x02]);
  });
});

describe('protocol: CRC-32C', () => {
  it('gives the check value of the Castagnoli polynomial', () => {
    expect(crc32c(bytes('123456789'))).toBe(0xe3069283);
  });
});

describe('protocol: record batch', () => {
  it('round-trips keys, values, nulls, headers and timestamps byte for byte', () => {
    const batch = encodeBatch(records, { baseOffset: 41 });
    const { header, records: decoded } = decodeBatch(batch);

    expect(header).toMatchObject({
      baseOffset: 41,
      recordCount: 3,
      firstTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_005_000,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      compression: Compression.None,
      sizeBytes: batch.length,
    });
    expect(decoded.map((r) => r.offset)).toEqual([41, 42, 43]);
    decoded.forEach((record, i) => {
      expect(record.timestamp).toBe(records[i]!.timestamp);
      expect(record.key === null ? null : Buffer.from(record.key)).toEqual(records[i]!.key === null ? null : Buffer.from(records[i]!.key!));
      expect(record.value === null ? null : Buffer.from(record.value)).toEqual(records[i]!.value === null ? null : Buffer.from(records[i]!.value!));
      expect(record.headers.map((h) => [h.name, Buffer.from(h.value)])).toEqual(records[i]!.headers.map((h) => [h.name, Buffer.from(h.value)]));
    });
  });

  it('carries the producer id, epoch and base sequence', () => {
    const batch = encodeBatch(records, { producer: { producerId: 2 ** 40 + 3, producerEpoch: 7, baseSequence: 12 } });
    expect(readBatchHeader(batch)).toMatchObject({ producerId: 2 ** 40 + 3, producerEpoch: 7, baseSequence: 12 });
  });

  it('gzips when asked and reads back the same records', () => {
    const many = Array.from({ length: 200 }, (_, i) => ({ key: bytes(`key-${i % 5}`), value: bytes(`{"n":${i},"text":"hello hello hello"}`), headers: [], timestamp: 1_000 + i }));
    const plain = encodeBatch(many);
    const gzipped = encodeBatch(many, { compression: 'gzip' });

    expect(readBatchHeader(gzipped).compression).toBe(Compression.Gzip);
    expect(gzipped.length).toBeLessThan(plain.length / 3);
    expect(decodeBatch(gzipped).records).toEqual(decodeBatch(plain).records);
  });

  it('keeps incompressible data plain under auto', () => {
    const random = [{ key: null, value: new Uint8Array(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + (i >> 3) * 104729) % 251))), headers: [], timestamp: 1 }];
    const noisy = encodeBatch(random.map((r) => ({ ...r, value: crypto.getRandomValues(new Uint8Array(4096)) })), { compression: 'auto' });
    expect(readBatchHeader(noisy).compression).toBe(Compression.None);
  });

  it('sets the base offset outside the CRC, so the stored bytes stay valid', () => {
    const batch = encodeBatch(records);
    const placed = withBaseOffset(batch, 1_000_000);

    expect(hasValidCrc(placed)).toBe(true);
    expect(decodeBatch(placed).records[2]!.offset).toBe(1_000_002);
    expect(readBatchHeader(batch).baseOffset).toBe(0);
  });

  it('refuses a flipped bit, a truncation, trailing garbage inside and a wrong magic', () => {
    const batch = encodeBatch(records);
    const flipped = Buffer.from(batch);
    flipped[BATCH_HEADER_BYTES + 5]! ^= 0x01;
    const wrongMagic = Buffer.from(batch);
    wrongMagic[12] = 9;

    expect(() => decodeBatch(flipped)).toThrow(InvalidBatchError);
    expect(() => decodeBatch(batch.subarray(0, batch.length - 1))).toThrow(InvalidBatchError);
    expect(() => decodeBatch(batch.subarray(0, 20))).toThrow(InvalidBatchError);
    expect(() => decodeBatch(wrongMagic)).toThrow(/magic/);
  });

  it('refuses a record count that does not match the records, even with a valid CRC', () => {
    const batch = Buffer.from(encodeBatch(records));
    batch.writeInt32BE(4, 19);
    batch.writeUInt32BE(crc32c(batch.subarray(17)), 13);

    expect(hasValidCrc(batch)).toBe(true);
    expect(() => decodeBatch(batch)).toThrow(InvalidBatchError);
  });

  it('refuses a gzip block that inflates past the limit', () => {
    const huge = { key: null, value: new Uint8Array(MAX_DECOMPRESSED_BYTES + 1), headers: [], timestamp: 1 };
    const bomb = encodeBatch([huge], { compression: 'gzip' });
    expect(bomb.length).toBeLessThan(400_000); // about 220 times smaller than what it inflates to
    expect(() => decodeBatch(bomb)).toThrow(/inflates past/);
  });

  it('refuses an empty batch', () => {
    expect(() => encodeBatch([])).toThrow(InvalidBatchError);
  });

  it('counts a record\'s size as key + value + headers', () => {
    expect(recordSize(records[0]!)).toBe(2 + 7 + 5 + 3);
    expect(recordSize(records[1]!)).toBe(0);
  });
});

describe('protocol: the example in docs/record-batch.md', () => {
  it('encodes to the documented bytes', () => {
    const batch = encodeBatch([{ key: bytes('k'), value: bytes('v'), headers: [], timestamp: 1_700_000_000_000 }]);
    const documented =
      '00 00 00 00 00 00 00 00 00 00 00 32 01 46 f4 e4 47 00 00 00 00 00 01 00 00 01 8b cf e5 68 00 ' +
      '00 00 01 8b cf e5 68 00 ff ff ff ff ff ff ff ff ff ff ff ff ff ff 10 00 00 00 02 6b 02 76 00';
    expect(Buffer.from(batch).toString('hex').match(/../g)!.join(' ')).toBe(documented);
  });
});

describe('protocol: batches with offset gaps (key-compacted topics)', () => {
  const kept: ProducerRecord[] = [records[0]!, records[2]!];

  it('encodes explicit offset deltas and decodes them only when gaps are allowed', () => {
    const batch = encodeBatch(kept, { baseOffset: 10, offsetDeltas: [0, 7] });

    expect(decodeBatch(batch, { allowGaps: true }).records.map((r) => r.offset)).toEqual([10, 17]);
    expect(() => decodeBatch(batch)).toThrow(InvalidBatchError);
  });

  it('refuses deltas that do not start at 0 or do not increase', () => {
    expect(() => encodeBatch(kept, { offsetDeltas: [1, 2] })).toThrow(InvalidBatchError);
    expect(() => encodeBatch(kept, { offsetDeltas: [0, 0] })).toThrow(InvalidBatchError);
    expect(() => encodeBatch(kept, { offsetDeltas: [0] })).toThrow(InvalidBatchError);
  });
});
