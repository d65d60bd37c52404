// CRC-32C (Castagnoli), the checksum of Brook's record batches, from SheetJS's
// `crc-32` package (slice-by-16 tables: about 8 times the speed of a
// byte-at-a-time table, which matters on the append path).
import CRC32C from 'crc-32/crc32c.js';

/** CRC-32C of `data` as an unsigned 32-bit integer. */
export function crc32c(data: Uint8Array): number {
  return CRC32C.buf(data) >>> 0;
}
