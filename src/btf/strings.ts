import { Buffer } from 'node:buffer';
import { BtfError } from './errors.js';

/**
 * The string section of a BTF blob (`hdr.str_off`/`hdr.str_len`): NUL-terminated names addressed
 * by byte offset. For split BTF the offsets continue after the base's section, as in the kernel
 * (`btf_str_by_offset` in `kernel/bpf/btf.c`).
 */
export class BtfStrings {
  /** First offset that belongs to this section (the base's total length, or 0). */
  readonly startOffset: number;
  /** One past the last valid offset, base included. */
  readonly endOffset: number;
  readonly #bytes: Uint8Array;
  readonly #text: Buffer;
  readonly #start: number;
  readonly #base: BtfStrings | undefined;
  /** Where the section starts inside the whole blob, for error offsets. */
  readonly #blobStart: number;

  /**
   * @param bytes the whole BTF blob
   * @param start absolute offset of the string section in `bytes`
   * @param length `hdr.str_len`
   * @param base the base BTF's strings, for split BTF
   */
  constructor(bytes: Uint8Array, start: number, length: number, base?: BtfStrings) {
    this.#bytes = bytes.subarray(start, start + length);
    this.#text = Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset, this.#bytes.byteLength);
    this.#start = start;
    this.#blobStart = start;
    this.#base = base;
    this.startOffset = base?.endOffset ?? 0;
    this.endOffset = this.startOffset + length;
    // The kernel (btf_check_sec_info/btf_parse_str_sec) wants base strings to begin with the
    // empty string and every section to end with a NUL; split sections may be empty.
    if (base === undefined && (length === 0 || this.#bytes[0] !== 0)) {
      throw new BtfError('BTF string section must start with an empty string', { offset: start });
    }
    if (length > 0 && this.#bytes[length - 1] !== 0) {
      throw new BtfError('BTF string section is not NUL-terminated', { offset: start + length - 1 });
    }
  }

  /** This section's own bytes (without the base's). */
  get bytes(): Uint8Array {
    return this.#bytes;
  }

  /** The base BTF's strings, for split BTF. */
  get base(): BtfStrings | undefined {
    return this.#base;
  }

  /** True when `offset` addresses a byte of this section or its base. */
  has(offset: number): boolean {
    return offset >= 0 && offset < this.endOffset;
  }

  /** The string at `offset` (`btf__str_by_offset`); throws `BtfError` when out of range. */
  get(offset: number, typeId?: number): string {
    if (offset < this.startOffset) {
      if (this.#base !== undefined) return this.#base.get(offset, typeId);
    } else {
      const rel = offset - this.startOffset;
      if (rel < this.#bytes.length) {
        // Sections end with a NUL (checked in the constructor), so indexOf always finds one.
        const end = this.#bytes.indexOf(0, rel);
        return this.#text.toString('utf8', rel, end);
      }
    }
    const context = typeId === undefined ? { offset: this.#blobStart } : { offset: this.#blobStart, typeId };
    throw new BtfError(`string offset ${offset} is outside the string section (size ${this.endOffset})`, context);
  }

  /**
   * Compares the string at `offset` with UTF-8 `needle` without decoding it: the name-index
   * fast path. `offset` must be valid.
   */
  equalsBytes(offset: number, needle: Uint8Array): boolean {
    if (offset < this.startOffset) return this.#base !== undefined && this.#base.equalsBytes(offset, needle);
    const bytes = this.#bytes;
    const p = offset - this.startOffset;
    const n = needle.length;
    if (p + n >= bytes.length || bytes[p + n] !== 0) return false;
    for (let i = 0; i < n; i++) if (bytes[p + i] !== needle[i]) return false;
    return true;
  }

  /** FNV-1a hash of the string at valid `offset`, as `hashBytes` computes it for a needle. */
  hashAt(offset: number): number {
    if (offset < this.startOffset) return this.#base === undefined ? 0 : this.#base.hashAt(offset);
    const bytes = this.#bytes;
    let h = 0x811c9dc5;
    for (let p = offset - this.startOffset; ; p++) {
      const b = bytes[p] as number;
      if (b === 0) break;
      h = Math.imul(h ^ b, 0x01000193);
    }
    return h >>> 0;
  }

  /** Absolute blob offset of this section, for error messages of callers. */
  get blobStart(): number {
    return this.#start;
  }
}

/** FNV-1a over `bytes`, matching `BtfStrings.hashAt`. */
export function hashBytes(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  return h >>> 0;
}
