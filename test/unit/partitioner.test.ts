import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from '../../protocol/partitioner.js';

const utf8 = (text: string) => new TextEncoder().encode(text);

describe('protocol: Kafka default partitioner', () => {
  // Vectors from Kafka's own UtilsTest.testMurmur2 and from librdkafka/kafkajs suites.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
    ['1', -1993445489],
    ['12', 126087238],
    ['123', -267702483],
    ['1234', -1614185708],
    ['12345', -1188365604],
  ])('murmur2(%j) is %d, as in Kafka', (key, hash) => {
    expect(murmur2(utf8(key))).toBe(hash);
  });

  it('masks the hash positive and takes it modulo the partition count', () => {
    // -973932308 & 0x7fffffff = 1173551340
    expect(partitionForKey(utf8('21'), 1000)).toBe(1173551340 % 1000);
    expect(partitionForKey(utf8('abc'), 7)).toBe(479470107 % 7);
    expect(partitionForKey(utf8('anything'), 1)).toBe(0);
  });
});
