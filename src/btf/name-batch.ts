import { Buffer } from 'node:buffer';
import type { BtfStrings } from './strings.js';
import { BtfKind, type BtfKindName } from './types.js';

/**
 * One name lookup of a batch: the same question as `Btf.findByName(name, kinds[0])` (one kind or
 * none) or, with `flavors`, as `Btf.findByNameWithFlavors(name, kinds)`.
 */
export interface BtfNameQuery {
  readonly name: string;
  /** Kinds to accept; absent: any. */
  readonly kinds?: readonly BtfKindName[];
  /** Also accept `name___<suffix>` (CO-RE flavors). */
  readonly flavors?: boolean;
}

const UNDERSCORE = 0x5f;
/** Kind mask that accepts every kind. */
export const ALL_KINDS = 0xffffffff;

/** Bit `1 << kind` of a kind mask. */
export function kindBit(kind: number): number {
  return (1 << kind) >>> 0;
}

/** The kind mask of `kinds` (every kind when absent). */
export function kindMask(kinds: readonly BtfKindName[] | undefined): number {
  return kinds === undefined ? ALL_KINDS : kinds.reduce((m, k) => (m | kindBit(BtfKind[k])) >>> 0, 0);
}

/** The memo key of a lookup: flavors or not, kind mask, name. */
export function queryKey(name: string, mask: number, flavors: boolean): string {
  return `${flavors ? 'f' : 'x'}${mask}\0${name}`;
}

interface Needle {
  readonly key: string;
  readonly bytes: Uint8Array;
  readonly mask: number;
  readonly flavors: boolean;
  readonly out: number[];
}

/**
 * Name lookups answered together while one pass visits every type's kind and name offset: the
 * pass tests `union` first (one shift), then `see()` compares the name's bytes in place with the
 * needles sharing its first byte. Answers are type indexes (not ids), ascending.
 */
export class NameBatch {
  /** Kinds any needle accepts (bit `1 << kind`). */
  readonly union: number;
  readonly #needles: Needle[] = [];
  readonly #byFirst: (Needle[] | undefined)[] = new Array<Needle[] | undefined>(256);
  readonly #strings: BtfStrings;

  /** Needles for `queries`, less the empty names and those `skip` says are answered already. */
  constructor(queries: readonly BtfNameQuery[], strings: BtfStrings, skip: (key: string) => boolean = () => false) {
    this.#strings = strings;
    let union = 0;
    const keys = new Set<string>();
    for (const q of queries) {
      if (q.name === '') continue;
      const flavors = q.flavors === true;
      const mask = kindMask(q.kinds);
      const key = queryKey(q.name, mask, flavors);
      if (keys.has(key) || skip(key)) continue;
      keys.add(key);
      const needle: Needle = { key, bytes: Buffer.from(q.name, 'utf8'), mask, flavors, out: [] };
      this.#needles.push(needle);
      union = (union | mask) >>> 0;
      (this.#byFirst[needle.bytes[0] as number] ??= []).push(needle);
    }
    this.union = union;
  }

  /** No needle left to look for. */
  get empty(): boolean {
    return this.#needles.length === 0;
  }

  /** Type `index` has `kind` (in `union`) and name offset `nameOff` (in the strings' range). */
  see(index: number, kind: number, nameOff: number): void {
    if (nameOff === 0) return;
    const strings = this.#strings;
    const p = nameOff - strings.startOffset;
    if (p < 0) {
      // A name in the base's strings (split BTF): rare, so compared the slow way.
      for (let j = 0; j < this.#needles.length; j++) {
        const q = this.#needles[j] as Needle;
        if (((q.mask >>> kind) & 1) !== 0 && (strings.equalsBytes(nameOff, q.bytes) || (q.flavors && hasFlavorOf(strings.get(nameOff), q.bytes)))) q.out.push(index);
      }
      return;
    }
    const bytes = strings.bytes;
    const list = this.#byFirst[bytes[p] as number];
    if (list === undefined) return;
    // Indexed loops: this runs for thousands of records per parse, and iterators allocate.
    for (let j = 0; j < list.length; j++) {
      const q = list[j] as Needle;
      if (((q.mask >>> kind) & 1) === 0) continue;
      const needle = q.bytes;
      const n = needle.length;
      const end = bytes[p + n];
      if (end !== 0 && !(q.flavors && end === UNDERSCORE && bytes[p + n + 1] === UNDERSCORE && bytes[p + n + 2] === UNDERSCORE)) continue;
      let k = 1;
      while (k < n && bytes[p + k] === needle[k]) k++;
      if (k === n) q.out.push(index);
    }
  }

  /** Each needle's key and the indexes found for it. */
  *answers(): IterableIterator<[string, number[]]> {
    for (const q of this.#needles) yield [q.key, q.out];
  }
}

/** `name` starts with `needle` followed by `___` (a CO-RE flavor of `needle`). */
export function hasFlavorOf(name: string, needle: Uint8Array): boolean {
  const encoded = Buffer.from(name, 'utf8');
  const n = needle.length;
  return encoded.length > n + 2 && encoded.subarray(0, n).equals(needle) && encoded[n] === UNDERSCORE && encoded[n + 1] === UNDERSCORE && encoded[n + 2] === UNDERSCORE;
}
