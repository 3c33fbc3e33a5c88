import { hashBytes, type BtfStrings } from './strings.js';

/**
 * Hash index from type name to the types carrying it, over name offsets only: names are hashed
 * straight from the string section's bytes, so building it decodes no strings (cilium/ebpf's
 * `btf/unmarshal.go` idea; libbpf itself scans linearly on every lookup). Chained buckets live
 * in typed arrays to keep 100k+ vmlinux types cheap.
 */
export class NameIndex {
  readonly #heads: Int32Array;
  readonly #next: Int32Array;
  readonly #hashes: Uint32Array;
  readonly #nameOffs: Uint32Array;
  readonly #strings: BtfStrings;
  readonly #mask: number;

  /** `nameOffs[i]` is the `name_off` of the i-th type of the blob; 0 means anonymous. */
  constructor(nameOffs: Uint32Array, strings: BtfStrings) {
    const n = nameOffs.length;
    let size = 16;
    while (size < n * 2) size *= 2;
    this.#mask = size - 1;
    this.#heads = new Int32Array(size).fill(-1);
    this.#next = new Int32Array(n);
    this.#hashes = new Uint32Array(n);
    this.#nameOffs = nameOffs;
    this.#strings = strings;
    const bytes = strings.bytes;
    const start = strings.startOffset;
    // Inserting from the back leaves every chain in ascending index order.
    for (let i = n - 1; i >= 0; i--) {
      const off = nameOffs[i] as number;
      if (off === 0) {
        this.#next[i] = -1;
        continue;
      }
      let h: number;
      if (off >= start) {
        // FNV-1a inlined (same as hashBytes): this loop runs over every vmlinux name.
        h = 0x811c9dc5;
        for (let p = off - start; ; p++) {
          const b = bytes[p] as number;
          if (b === 0) break;
          h = Math.imul(h ^ b, 0x01000193);
        }
        h >>>= 0;
      } else {
        h = strings.hashAt(off);
      }
      this.#hashes[i] = h;
      const b = h & this.#mask;
      this.#next[i] = this.#heads[b] as number;
      this.#heads[b] = i;
    }
  }

  /** Indexes (ascending) of the types whose name is `needle` (UTF-8) and that pass `filter`. */
  find(needle: Uint8Array, filter: (index: number) => boolean): number[] {
    const h = hashBytes(needle);
    const out: number[] = [];
    for (let i = this.#heads[h & this.#mask] as number; i !== -1; i = this.#next[i] as number) {
      if (this.#hashes[i] === h && this.#strings.equalsBytes(this.#nameOffs[i] as number, needle) && filter(i)) out.push(i);
    }
    return out;
  }
}
