/** Hand-assembled BTF blobs for error-path and fuzz tests. */

/** `BTF_INFO_ENC(kind, kflag, vlen)`. */
export function info(kind: number, vlen = 0, kflag = false): number {
  return ((kflag ? 0x80000000 : 0) | (kind << 24) | vlen) >>> 0;
}

export interface CraftOptions {
  /** Overrides of header fields, by byte offset. */
  readonly header?: Readonly<Record<number, number>>;
  readonly littleEndian?: boolean;
}

/**
 * A BTF blob: 24-byte header, `words` as the type section (u32s), then `strings` (NUL-separated,
 * e.g. `'\0int\0'`).
 */
export function craftBtf(words: readonly number[], strings = '\0int\0', options: CraftOptions = {}): Uint8Array {
  const le = options.littleEndian ?? true;
  const str = Buffer.from(strings, 'latin1');
  const typeLen = words.length * 4;
  const out = new Uint8Array(24 + typeLen + str.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, le);
  v.setUint8(2, 1);
  v.setUint32(4, 24, le);
  v.setUint32(8, 0, le);
  v.setUint32(12, typeLen, le);
  v.setUint32(16, typeLen, le);
  v.setUint32(20, str.length, le);
  words.forEach((w, i) => v.setUint32(24 + i * 4, w >>> 0, le));
  out.set(str, 24 + typeLen);
  for (const [off, value] of Object.entries(options.header ?? {})) {
    if (Number(off) < 4) v.setUint8(Number(off), value);
    else v.setUint32(Number(off), value >>> 0, le);
  }
  return out;
}

/** `int` (id 1, name offset 1): the usual first type of crafted blobs. */
export const INT_WORDS: readonly number[] = [1, info(1), 4, 0x01000020];
