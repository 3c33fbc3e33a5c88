import { BtfError } from './errors.js';

/** `BTF_MAGIC` from `include/uapi/linux/btf.h`, as read in the blob's own byte order. */
export const BTF_MAGIC = 0xeb9f;
/** `BTF_VERSION`: the only version the kernel and libbpf accept. */
export const BTF_VERSION = 1;
/** `sizeof(struct btf_header)` without the optional trailing fields of newer toolchains. */
export const BTF_HEADER_SIZE = 24;

/** `struct btf_header`, with section offsets made absolute and the blob's byte order. */
export interface BtfHeader {
  /** False for BTF produced on (or for) a big-endian machine: its magic reads `0x9feb` here. */
  readonly littleEndian: boolean;
  readonly version: number;
  readonly flags: number;
  /** `hdr_len`: bytes before the sections; `type_off`/`str_off` are relative to it. */
  readonly hdrLen: number;
  /** Absolute byte offset of the type section (`hdr_len + type_off`). */
  readonly typeStart: number;
  /** `type_len`. */
  readonly typeLen: number;
  /** Absolute byte offset of the string section (`hdr_len + str_off`). */
  readonly strStart: number;
  /** `str_len`. */
  readonly strLen: number;
}

/**
 * Validates and reads `struct btf_header`: magic in either byte order, version 1, zero flags,
 * `hdr_len` at least 24 bytes, 4-byte aligned type section, both sections inside the blob and
 * not overlapping.
 */
export function parseBtfHeader(bytes: Uint8Array): BtfHeader {
  if (bytes.length < 8) throw new BtfError(`BTF header truncated: ${bytes.length} bytes, need at least 8`, { offset: 0 });
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicLe = dv.getUint16(0, true);
  let littleEndian: boolean;
  if (magicLe === BTF_MAGIC) littleEndian = true;
  else if (dv.getUint16(0, false) === BTF_MAGIC) littleEndian = false;
  else throw new BtfError(`bad BTF magic 0x${magicLe.toString(16).padStart(4, '0')}, want 0x${BTF_MAGIC.toString(16)}`, { offset: 0 });
  const version = dv.getUint8(2);
  if (version !== BTF_VERSION) throw new BtfError(`unsupported BTF version ${version}`, { offset: 2 });
  const flags = dv.getUint8(3);
  if (flags !== 0) throw new BtfError(`unsupported BTF header flags 0x${flags.toString(16)}`, { offset: 3 });
  const hdrLen = dv.getUint32(4, littleEndian);
  if (hdrLen < BTF_HEADER_SIZE) throw new BtfError(`BTF hdr_len ${hdrLen} is smaller than ${BTF_HEADER_SIZE}`, { offset: 4 });
  if (hdrLen > bytes.length) throw new BtfError(`BTF header truncated: hdr_len ${hdrLen} exceeds blob size ${bytes.length}`, { offset: 4 });
  const typeOff = dv.getUint32(8, littleEndian);
  const typeLen = dv.getUint32(12, littleEndian);
  const strOff = dv.getUint32(16, littleEndian);
  const strLen = dv.getUint32(20, littleEndian);
  const typeStart = hdrLen + typeOff;
  const strStart = hdrLen + strOff;
  if (typeOff % 4 !== 0) throw new BtfError(`BTF type section offset ${typeOff} is not 4-byte aligned`, { offset: 8 });
  if (typeLen % 4 !== 0) throw new BtfError(`BTF type section length ${typeLen} is not a multiple of 4`, { offset: 12 });
  if (typeStart + typeLen > bytes.length) {
    throw new BtfError(`BTF type section [${typeStart}, ${typeStart + typeLen}) runs past the end of the ${bytes.length}-byte blob`, { offset: 8 });
  }
  if (strStart + strLen > bytes.length) {
    throw new BtfError(`BTF string section [${strStart}, ${strStart + strLen}) runs past the end of the ${bytes.length}-byte blob`, { offset: 16 });
  }
  if (typeLen > 0 && strLen > 0 && typeStart < strStart + strLen && strStart < typeStart + typeLen) {
    throw new BtfError('BTF type and string sections overlap', { offset: 8 });
  }
  return { littleEndian, version, flags, hdrLen, typeStart, typeLen, strStart, strLen };
}
