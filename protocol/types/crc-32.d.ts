/** `crc-32/crc32c.js` has the same interface as the package's main module, whose types do not cover it. */
declare module 'crc-32/crc32c.js' {
  const CRC32C: {
    buf(data: Uint8Array | number[], seed?: number): number;
    str(data: string, seed?: number): number;
  };
  export default CRC32C;
}
