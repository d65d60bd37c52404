/**
 * Zig-zag variable-length integers, as in Kafka's record format, for values
 * up to 2^52 in magnitude (zig-zag doubles them; JavaScript numbers are exact to 2^53).
 */

export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

export function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

/** Bytes `writeVarint` uses for `value`. */
export function varintSize(value: number): number {
  let rest = zigzag(value);
  let size = 1;
  while (rest >= 0x80) {
    rest = Math.floor(rest / 0x80);
    size++;
  }
  return size;
}

/** Writes `value` at `offset`; returns the offset after it. */
export function writeVarint(target: Uint8Array, offset: number, value: number): number {
  let rest = zigzag(value);
  while (rest >= 0x80) {
    target[offset++] = (rest % 0x80) | 0x80;
    rest = Math.floor(rest / 0x80);
  }
  target[offset++] = rest;
  return offset;
}

export class VarintError extends Error {
  override readonly name = 'VarintError';
}

/** Reads a varint at `offset`; returns it and the offset after it. */
export function readVarint(source: Uint8Array, offset: number): [value: number, next: number] {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 8; i++) {
    if (offset >= source.length) throw new VarintError('varint runs past the end');
    const byte = source[offset++]!;
    result += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) return [unzigzag(result), offset];
    multiplier *= 0x80;
  }
  throw new VarintError('varint is longer than 8 bytes');
}
