/**
 * BTF-driven value codecs: bytes of a BTF type <-> plain JS values (structs as objects, `bigint`
 * for 64-bit, strings for `char[]`, ...). Pure. See `createBtfCodec`.
 */
export { createBtfCodec, btfTypeLabel, type BtfCodec, type BtfCodecOptions } from './codec.js';
export { CodecError } from './errors.js';
