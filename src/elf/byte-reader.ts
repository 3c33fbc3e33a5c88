import type { Endianness } from './constants.js';

/**
 * Random-access fixed-width reads over a byte array in one byte order. Callers validate a
 * record's bounds once, up front, and then read its fields without further checks (a read out of
 * bounds is a bug in the caller and surfaces as the DataView's RangeError).
 */
export class ByteReader {
  readonly bytes: Uint8Array;
  readonly littleEndian: boolean;
  private readonly view: DataView;

  constructor(bytes: Uint8Array, endianness: Endianness) {
    this.bytes = bytes;
    this.littleEndian = endianness === 'little';
    // A pooled Node Buffer shares its ArrayBuffer with others: the view must start at our slice.
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.byteLength;
  }

  u8(offset: number): number {
    return this.view.getUint8(offset);
  }

  u16(offset: number): number {
    return this.view.getUint16(offset, this.littleEndian);
  }

  u32(offset: number): number {
    return this.view.getUint32(offset, this.littleEndian);
  }

  u64(offset: number): bigint {
    return this.view.getBigUint64(offset, this.littleEndian);
  }

  i64(offset: number): bigint {
    return this.view.getBigInt64(offset, this.littleEndian);
  }
}
