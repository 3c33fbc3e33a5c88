import { Buffer } from 'node:buffer';
import { BtfError } from './errors.js';
import type { BtfStrings } from './strings.js';

/**
 * A string section being built for `encodeBtf` (libbpf's `strset`): `add` returns the offset of
 * an existing identical string or appends a new one. Seeding it with a parsed section keeps
 * every original offset, which is what makes canonical BTF round-trip byte for byte.
 *
 * @example
 * ```ts
 * const strings = BtfStringTable.from(btf.strings);
 * const bytes = encodeBtf([...btf.types()], strings);
 * ```
 */
export class BtfStringTable {
  /** For split BTF: strings of the base, looked up first (as `btf__find_str` does). */
  readonly base: BtfStrings | undefined;
  readonly #chunks: Uint8Array[] = [];
  readonly #index = new Map<string, number>();
  #length = 0;
  #seed: BtfStrings | undefined;
  /** The seed while its strings are not in `#index` yet. */
  #unindexed: BtfStrings | undefined;

  /** An empty table holding only `''` at offset 0 (or nothing, for split BTF). */
  constructor(base?: BtfStrings) {
    this.base = base;
    if (base === undefined) {
      this.#chunks.push(new Uint8Array(1));
      this.#index.set('', 0);
      this.#length = 1;
    }
  }

  /**
   * A table that starts as an exact copy of a parsed string section (`btf.strings`), so offsets
   * of all existing strings stay put. For split BTF, pass the split part's strings.
   */
  static from(strings: BtfStrings): BtfStringTable {
    const table = new BtfStringTable(strings.base);
    const bytes = strings.bytes;
    if (table.#length === 1) {
      table.#chunks.length = 0;
      table.#index.clear();
      table.#length = 0;
    }
    table.#chunks.push(bytes.slice());
    table.#length = bytes.length;
    // Indexed on the first `add`: a load whose types and line info keep their offsets never asks.
    table.#seed = strings;
    table.#unindexed = strings;
    return table;
  }

  /** The parsed section this table was seeded with by `from`, whose offsets it keeps. */
  get seededFrom(): BtfStrings | undefined {
    return this.#seed;
  }

  #indexSeed(strings: BtfStrings): void {
    this.#unindexed = undefined;
    const bytes = strings.bytes;
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const start = strings.startOffset;
    for (let p = 0; p < bytes.length; ) {
      const end = bytes.indexOf(0, p);
      const s = text.toString('utf8', p, end);
      if (!this.#index.has(s)) this.#index.set(s, start + p);
      p = end + 1;
    }
    if (strings.base === undefined && !this.#index.has('')) this.#index.set('', 0);
  }

  /** First offset of this table (the base's section size for split BTF, else 0). */
  get startOffset(): number {
    return this.base?.endOffset ?? 0;
  }

  /** Bytes in this table (without the base). */
  get length(): number {
    return this.#length;
  }

  /** Offset of `s`, appending it if absent. `''` is always 0 (the base's empty string for split BTF). */
  add(s: string): number {
    if (this.#unindexed !== undefined) this.#indexSeed(this.#unindexed);
    const known = this.#index.get(s);
    if (known !== undefined) return known;
    if (s === '') return 0;
    if (this.base !== undefined) {
      const inBase = findInBase(this.base, s);
      if (inBase !== undefined) {
        this.#index.set(s, inBase);
        return inBase;
      }
    }
    if (s.includes('\0')) throw new BtfError(`BTF string ${JSON.stringify(s)} contains a NUL byte`);
    const encoded = Buffer.from(s + '\0', 'utf8');
    const offset = this.startOffset + this.#length;
    this.#chunks.push(encoded);
    this.#length += encoded.length;
    this.#index.set(s, offset);
    return offset;
  }

  /** The section's bytes. */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let p = 0;
    for (const c of this.#chunks) {
      out.set(c, p);
      p += c.length;
    }
    return out;
  }
}

const baseIndexes = new WeakMap<BtfStrings, Map<string, number>>();

function findInBase(base: BtfStrings, s: string): number | undefined {
  let index = baseIndexes.get(base);
  if (index === undefined) {
    index = new Map();
    for (let b: BtfStrings | undefined = base; b !== undefined; b = b.base) {
      const bytes = b.bytes;
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let p = 0; p < bytes.length; ) {
        const end = bytes.indexOf(0, p);
        const str = text.toString('utf8', p, end);
        if (!index.has(str)) index.set(str, b.startOffset + p);
        p = end + 1;
      }
    }
    baseIndexes.set(base, index);
  }
  return index.get(s);
}
