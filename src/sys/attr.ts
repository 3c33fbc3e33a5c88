import { native } from './native.js';

/**
 * Encodes a kernel struct (a `union bpf_attr` command block, or an info struct passed to
 * `BPF_OBJ_GET_INFO_BY_FD`) into a zeroed buffer at UAPI byte offsets, little-endian host order.
 *
 * The kernel rejects non-zero bytes past the fields it knows, so the buffer starts zeroed and
 * only the fields a command uses are written. Pointer fields take the address of a live buffer;
 * the writer keeps every such buffer referenced, so they stay alive as long as the writer does:
 * pass the writer itself as a `keepAlive` argument of the syscall (`bpfSyscall(cmd, w.bytes,
 * what, w)`), since optimized code may drop a local that is not used after the call.
 *
 * @example
 * ```ts
 * const attr = new AttrWriter(12).u32(0, startId); // BPF_*_GET_NEXT_ID: start_id
 * bpfSyscall(BpfCmd.PROG_GET_NEXT_ID, attr.bytes, undefined, attr);
 * const next = attr.reader().u32(4);              // next_id
 * ```
 */
/**
 * The buffers whose addresses each encoded struct holds, keyed by the struct's bytes: whoever
 * passes `bytes` to a syscall keeps its pointees (and theirs, for nested structs) alive through
 * the call, even if the writer object itself is already unreachable.
 */
const POINTEES = new WeakMap<Uint8Array, ArrayBufferView[]>();

export class AttrWriter {
  /** The encoded struct, as passed to the syscall. */
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly referenced: ArrayBufferView[] = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    POINTEES.set(this.bytes, this.referenced);
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  /** Writes a `__u8`. */
  u8(offset: number, value: number): this {
    this.view.setUint8(offset, value);
    return this;
  }

  /** Writes a `__u32` (values must fit: a RangeError otherwise, as from DataView). */
  u32(offset: number, value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`u32 field at ${offset}: ${value} out of range`);
    this.view.setUint32(offset, value, true);
    return this;
  }

  /** Writes a `__s32`. */
  i32(offset: number, value: number): this {
    if (!Number.isInteger(value) || value < -0x8000_0000 || value > 0x7fff_ffff) throw new RangeError(`s32 field at ${offset}: ${value} out of range`);
    this.view.setInt32(offset, value, true);
    return this;
  }

  /** Writes a `__u64` / `__aligned_u64`. */
  u64(offset: number, value: bigint | number): this {
    const v = typeof value === 'bigint' ? value : BigInt(value);
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn) throw new RangeError(`u64 field at ${offset}: ${v} out of range`);
    this.view.setBigUint64(offset, v, true);
    return this;
  }

  /** Copies raw bytes in (a `char name[16]`, a tag, ...). */
  raw(offset: number, data: Uint8Array): this {
    this.bytes.set(data, offset);
    return this;
  }

  /**
   * Writes a NUL-terminated string into an inline `char[capacity]` field (`prog_name`,
   * `map_name`). Throws a RangeError when it does not fit with its terminator.
   */
  inlineString(offset: number, value: string, capacity: number): this {
    const encoded = new TextEncoder().encode(value);
    if (encoded.length >= capacity) throw new RangeError(`string '${value}' does not fit in char[${capacity}]`);
    this.bytes.set(encoded, offset);
    return this;
  }

  /**
   * Writes the user-space address of `buffer` into a pointer field (`__aligned_u64`), or 0 for
   * `null`. The buffer stays referenced by this writer.
   */
  pointer(offset: number, buffer: ArrayBufferView | null): this {
    if (buffer === null || buffer.byteLength === 0) return this.u64(offset, 0n);
    this.referenced.push(buffer);
    return this.u64(offset, native().address(buffer));
  }

  /** A reader over the same bytes, for the fields the kernel writes back. */
  reader(): StructReader {
    return new StructReader(this.bytes);
  }
}

/**
 * Reads little-endian fields of a kernel struct at UAPI offsets. Reads past the end return 0
 * (an older kernel fills a shorter struct; the missing tail means "not supported", i.e. zero).
 */
export class StructReader {
  private readonly view: DataView;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** A `__u8`. */
  u8(offset: number): number {
    return offset + 1 <= this.bytes.byteLength ? this.view.getUint8(offset) : 0;
  }

  /** A `__u32`. */
  u32(offset: number): number {
    return offset + 4 <= this.bytes.byteLength ? this.view.getUint32(offset, true) : 0;
  }

  /** A `__s32`. */
  i32(offset: number): number {
    return offset + 4 <= this.bytes.byteLength ? this.view.getInt32(offset, true) : 0;
  }

  /** A `__u64`. */
  u64(offset: number): bigint {
    return offset + 8 <= this.bytes.byteLength ? this.view.getBigUint64(offset, true) : 0n;
  }

  /** One bit of a bitfield, by bit offset from the struct start (little-endian allocation). */
  bit(bitOffset: number): boolean {
    return ((this.u8(bitOffset >>> 3) >>> (bitOffset & 7)) & 1) === 1;
  }

  /** A copy of `length` raw bytes. */
  raw(offset: number, length: number): Uint8Array {
    return this.bytes.slice(offset, offset + length);
  }

  /** An inline `char[capacity]`, up to its first NUL. */
  inlineString(offset: number, capacity: number): string {
    return cString(this.bytes.subarray(offset, offset + capacity));
  }
}

/** Decodes a NUL-terminated C string from a buffer (the whole buffer if it has no NUL). */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}
