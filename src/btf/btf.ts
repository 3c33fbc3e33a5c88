import { Buffer } from 'node:buffer';
import { decodeType, type TypeRecordSource } from './decode-type.js';
import { BtfError } from './errors.js';
import { parseBtfHeader, type BtfHeader } from './header.js';
import { infoKind, kindName } from './layout.js';
import { ALL_KINDS, hasFlavorOf, kindBit, kindMask, NameBatch, queryKey, type BtfNameQuery } from './name-batch.js';
import { NameIndex } from './name-index.js';
import { indexTypes } from './type-index.js';
import { BtfStrings } from './strings.js';
import { BtfKind, type BtfKindName, type BtfType, type BtfTypeTable } from './types.js';

/** Options of `parseBtf`. */
export interface ParseBtfOptions {
  /**
   * Base BTF for split BTF (`btf__parse_split`): type ids continue after the base's last id
   * and string offsets after the base's string section. Module BTF in `/sys/kernel/btf/<mod>`
   * is split on vmlinux.
   */
  readonly base?: Btf;
  /** Pointer size for `sizeOf`/`alignOf` of PTR (`btf__set_pointer_size`); default 8. */
  readonly pointerSize?: number;
  /**
   * Name lookups to answer during the parse, as {@link Btf.prefetchNames} would: the parse's own
   * pass over the records compares their names, so the lookups cost no pass of their own.
   */
  readonly names?: readonly BtfNameQuery[];
}

export type { BtfNameQuery };

const UNDERSCORE = 0x5f;
/** Cached types kept in a Map before the cache becomes an array of every type. */
const FEW_CACHED = 4096;
const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** libbpf's `MAX_RESOLVE_DEPTH`: longer modifier/typedef chains are treated as cycles. */
const MAX_RESOLVE_DEPTH = 32;
/** `findByName` calls answered by a linear scan before the hash index is built. */
const LINEAR_LOOKUPS = 8;
/** Marks a type whose alignment is being computed, to detect cycles. */
const IN_PROGRESS = -1;

/**
 * Parsed BTF (`struct btf` of libbpf): vmlinux, module, or program BTF. Construction is one
 * pass that validates record bounds and records each type's byte offset; types are inflated
 * into `BtfType` objects on first access and cached. The first few `findByName` calls scan the
 * names in place (as libbpf always does); later ones use a hash index built on demand. The blob
 * is kept (not copied), so do not mutate it afterwards.
 *
 * @example
 * ```ts
 * const btf = parseBtf(readFileSync('/sys/kernel/btf/vmlinux'));
 * const [id] = btf.findByName('task_struct', 'STRUCT');
 * console.log(btf.sizeOf(id!));
 * ```
 */
export class Btf implements BtfTypeTable {
  /** `struct btf_header` of this blob. */
  readonly header: BtfHeader;
  /** Strings of this blob (and of the base, for split BTF). */
  readonly strings: BtfStrings;
  /** The base BTF, for split BTF. */
  readonly base: Btf | undefined;
  /** First type id this blob defines: 1, or the base's `typeCount` for split BTF. */
  readonly firstId: number;
  readonly typeCount: number;
  /** Size of PTR in bytes (8 for BPF and x86-64). */
  readonly pointerSize: number;
  /** The blob this was parsed from. */
  readonly bytes: Uint8Array;

  readonly #view: DataView;
  readonly #offsets: Uint32Array;
  /**
   * Inflated types by index: a Map while few are (CO-RE touches hundreds of vmlinux's 100k+
   * types), an array once many are (dumps, iteration). A parse + name lookup allocates neither.
   */
  #few: Map<number, BtfType> | undefined;
  #cache: (BtfType | undefined)[] | undefined;
  /** The blob as native-endian words when it is 4-byte aligned and in host order, else undefined. */
  readonly #words: Uint32Array | undefined;
  readonly #source: TypeRecordSource;
  #names: NameIndex | undefined;
  #scans = 0;
  /** Answers of {@link prefetchNames}, by {@link queryKey}: own indexes, ascending. */
  #prefetched: Map<string, number[]> | undefined;
  readonly #aligns = new Map<number, number>();

  /** Use `parseBtf`. */
  constructor(bytes: Uint8Array, options: ParseBtfOptions = {}) {
    const header = parseBtfHeader(bytes);
    const base = options.base;
    if (base !== undefined && base.header.littleEndian !== header.littleEndian) {
      throw new BtfError('split BTF and its base BTF have different byte orders', { offset: 0 });
    }
    this.bytes = bytes;
    this.header = header;
    this.base = base;
    this.pointerSize = options.pointerSize ?? base?.pointerSize ?? 8;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.strings = new BtfStrings(bytes, header.strStart, header.strLen, base?.strings);
    this.firstId = base?.typeCount ?? 1;
    const names = options.names === undefined ? undefined : new NameBatch(options.names, this.strings);
    const indexed = indexTypes(bytes, this.#view, header, this.strings.endOffset, this.firstId, names?.empty === false ? names : undefined);
    this.#offsets = indexed.offsets;
    this.typeCount = this.firstId + this.#offsets.length;
    this.#words = header.littleEndian === HOST_LITTLE_ENDIAN && (bytes.byteOffset + header.typeStart) % 4 === 0 && bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2) : undefined;
    this.#source = { view: this.#view, littleEndian: header.littleEndian, strings: this.strings, typeCount: this.typeCount };
    if (names !== undefined && !names.empty) {
      if (indexed.namesSeen) {
        this.#scans++;
        this.#rememberAnswers(names);
      } else {
        this.prefetchNames(options.names ?? []);
      }
    }
  }

  /** Number of types this blob itself defines (without the base's). */
  get ownTypeCount(): number {
    return this.#offsets.length;
  }

  /** `btf__type_by_id`: the type with this id, inflated and cached on first use. */
  typeById(id: number): BtfType {
    const i = id - this.firstId;
    if (i < 0) {
      if (this.base !== undefined && id > 0) return this.base.typeById(id);
      throw this.#badId(id);
    }
    const cached = this.#cached(i);
    if (cached !== undefined) return cached;
    if (i >= this.#offsets.length || !Number.isInteger(id)) throw this.#badId(id);
    const t = decodeType(this.#source, id, this.#offsets[i] as number);
    this.#remember(i, t);
    return t;
  }

  /**
   * Decodes type `id` without caching it: for one-pass consumers (dumps, encoders) over big BTF,
   * whose short-lived objects then cost the GC far less than a cache of every type would.
   */
  decodeType(id: number): BtfType {
    const i = id - this.firstId;
    if (i < 0) {
      if (this.base !== undefined && id > 0) return this.base.decodeType(id);
      throw this.#badId(id);
    }
    const cached = this.#cached(i);
    if (cached !== undefined) return cached;
    if (i >= this.#offsets.length || !Number.isInteger(id)) throw this.#badId(id);
    return decodeType(this.#source, id, this.#offsets[i] as number);
  }

  /**
   * The encoded records of own types `first` to `last` inclusive (`struct btf_type` and what
   * follows each), a view into the blob: what `encodeBtf` copies for types that did not change.
   */
  rawRecords(first: number, last: number): Uint8Array {
    const i = first - this.firstId;
    const j = last - this.firstId;
    if (i < 0 || i >= this.#offsets.length || !Number.isInteger(first)) throw this.#badId(first);
    if (j < i || j >= this.#offsets.length || !Number.isInteger(last)) throw this.#badId(last);
    const start = this.#offsets[i] as number;
    const end = j + 1 < this.#offsets.length ? (this.#offsets[j + 1] as number) : this.header.typeStart + this.header.typeLen;
    return this.bytes.subarray(start, end);
  }

  /** The name offset of own type `id` (`name_off` of its record). */
  nameOffset(id: number): number {
    const i = id - this.firstId;
    if (i < 0 || i >= this.#offsets.length || !Number.isInteger(id)) throw this.#badId(id);
    return this.#view.getUint32(this.#offsets[i] as number, this.header.littleEndian);
  }

  /** Own type `id` if it was inflated already (the object `typeById` returns), else undefined. */
  inflatedType(id: number): BtfType | undefined {
    const i = id - this.firstId;
    return i < 0 ? undefined : this.#cached(i);
  }

  /** The kind of type `id` without inflating it; `'UNKN'` for `void` (id 0). */
  kindOf(id: number): BtfKindName {
    if (id === 0) return 'UNKN';
    return kindName(infoKind(this.#info(id)));
  }

  /** The name of type `id` (`''` for anonymous types and `void`) without inflating it. */
  typeName(id: number): string {
    if (id === 0) return '';
    const owner = this.#owner(id);
    return owner.strings.get(owner.#view.getUint32(owner.#offsetOf(id), owner.header.littleEndian), id);
  }

  /** `btf__find_by_name_kind`, returning every match: ids with this exact name, ascending. */
  findByName(name: string, kind?: BtfKindName): readonly number[] {
    const fromBase = this.base?.findByName(name, kind) ?? [];
    if (name === '') return fromBase;
    const needle = Buffer.from(name, 'utf8');
    const want = kind === undefined ? -1 : BtfKind[kind];
    const le = this.header.littleEndian;
    const kindMatches = (i: number): boolean => want === -1 || infoKind(this.#view.getUint32((this.#offsets[i] as number) + 4, le)) === want;
    let own: number[] | undefined = this.#prefetched?.get(queryKey(name, want === -1 ? ALL_KINDS : kindBit(want), false));
    if (own !== undefined) {
      // Answered by the batch pass of prefetchNames.
    } else if (this.#names === undefined && this.#scans < LINEAR_LOOKUPS) {
      // A few lookups (a CLI run, one map definition) are cheaper as libbpf-style linear scans
      // than building the hash index; repeated lookups (CO-RE) switch to the index.
      this.#scans++;
      own = this.#scanNames(needle, want === -1 ? ALL_KINDS : kindBit(want));
    } else {
      this.#names ??= this.#buildNameIndex();
      own = this.#names.find(needle, kindMatches);
    }
    const ids = own.map((i) => i + this.firstId);
    return fromBase.length === 0 ? ids : [...fromBase, ...ids];
  }

  /**
   * True once `findByName` answers from the hash index (after a few linear scans, or when the
   * index was built): per-name lookups are then cheap, so callers that would otherwise look up
   * many spellings may do that instead of {@link findByNameWithFlavors}.
   */
  get namesIndexed(): boolean {
    return this.#names !== undefined || this.#scans >= LINEAR_LOOKUPS;
  }

  /**
   * Answers a batch of name lookups in ONE pass over this blob's own type names (a base's are
   * not searched); later `findByName` / `findByNameWithFlavors` calls asking exactly one of these
   * questions are answered from the batch. A load that knows its names up front (CO-RE root
   * types, attach targets) pays one pass instead of one per name, on a BTF parsed for that load.
   * Does nothing once the hash index exists (lookups are cheap then). Counts as one linear lookup.
   *
   * @example
   * ```ts
   * btf.prefetchNames([{ name: 'task_struct', kinds: ['STRUCT'], flavors: true }, { name: 'btf_trace_sched_switch', kinds: ['TYPEDEF'] }]);
   * btf.findByName('btf_trace_sched_switch', 'TYPEDEF'); // no further pass
   * ```
   */
  prefetchNames(queries: readonly BtfNameQuery[]): void {
    if (this.#names !== undefined) return;
    const known = this.#prefetched;
    const batch = new NameBatch(queries, this.strings, (key) => known?.has(key) === true);
    if (batch.empty) return;
    this.#scans++;
    const offsets = this.#offsets;
    const words = this.#words;
    const view = this.#view;
    const le = this.header.littleEndian;
    const union = batch.union;
    for (let i = 0; i < offsets.length; i++) {
      const at = offsets[i] as number;
      const info = words !== undefined ? (words[(at >>> 2) + 1] as number) : view.getUint32(at + 4, le);
      const kind = (info >>> 24) & 0x1f;
      if (((union >>> kind) & 1) === 0) continue;
      batch.see(i, kind, words !== undefined ? (words[at >>> 2] as number) : view.getUint32(at, le));
    }
    this.#rememberAnswers(batch);
  }

  #rememberAnswers(batch: NameBatch): void {
    const prefetched = (this.#prefetched ??= new Map());
    for (const [key, ids] of batch.answers()) prefetched.set(key, ids);
  }

  /**
   * Ids (ascending, base first) of the types named `name` or `name___<suffix>` (of one of `kinds`, default any), in one pass over
   * the names: the name test of libbpf's CO-RE candidate search (`bpf_core_add_cands` reads every
   * type's name too), which the caller refines with the essential-name rule. Counts as one of
   * the linear lookups `findByName` makes before it builds its hash index.
   */
  findByNameWithFlavors(name: string, kinds?: readonly BtfKindName[]): readonly number[] {
    const fromBase = this.base?.findByNameWithFlavors(name, kinds) ?? [];
    if (name === '') return fromBase;
    const mask = kindMask(kinds);
    let own = this.#prefetched?.get(queryKey(name, mask, true));
    if (own === undefined) {
      this.#scans++;
      own = this.#scanNames(Buffer.from(name, 'utf8'), mask, true);
    }
    const ids = own.map((i) => i + this.firstId);
    return fromBase.length === 0 ? ids : [...fromBase, ...ids];
  }

  /**
   * Follows TYPEDEF, CONST, VOLATILE, RESTRICT, TYPE_TAG and VAR to the underlying type, as
   * libbpf's `btf__resolve_type` does (CO-RE's `skip_mods_and_typedefs` is the same minus VAR,
   * which never occurs as a member or pointee). Returns 0 for `void`.
   */
  resolveType(id: number): number {
    let cur = id;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      if (cur === 0) return 0;
      const t = this.typeById(cur);
      switch (t.kind) {
        case 'TYPEDEF':
        case 'CONST':
        case 'VOLATILE':
        case 'RESTRICT':
        case 'TYPE_TAG':
        case 'VAR':
          cur = t.type;
          break;
        default:
          return cur;
      }
    }
    throw new BtfError(`type chain longer than ${MAX_RESOLVE_DEPTH} (cyclic modifiers or typedefs?)`, { typeId: id });
  }

  /** `btf__resolve_size`: size in bytes of a value of type `id`; `BtfError` for sizeless kinds. */
  sizeOf(id: number): number {
    let nelems = 1;
    let cur = id;
    for (let depth = 0; depth <= MAX_RESOLVE_DEPTH; depth++) {
      if (cur === 0) throw new BtfError('void has no size', { typeId: id });
      const t = this.typeById(cur);
      switch (t.kind) {
        case 'INT':
        case 'STRUCT':
        case 'UNION':
        case 'ENUM':
        case 'ENUM64':
        case 'DATASEC':
        case 'FLOAT':
          return checkedSize(t.size * nelems, id);
        case 'PTR':
          return checkedSize(this.pointerSize * nelems, id);
        case 'TYPEDEF':
        case 'VOLATILE':
        case 'CONST':
        case 'RESTRICT':
        case 'VAR':
        case 'DECL_TAG':
        case 'TYPE_TAG':
          cur = t.type;
          break;
        case 'ARRAY':
          nelems = checkedSize(nelems * t.nelems, id);
          cur = t.type;
          break;
        default:
          throw new BtfError(`${t.kind} has no size`, { typeId: id });
      }
    }
    throw new BtfError(`type chain longer than ${MAX_RESOLVE_DEPTH} (cyclic type?)`, { typeId: id });
  }

  /** `btf__align_of`: natural alignment of type `id` in bytes (1 for packed structs). */
  alignOf(id: number): number {
    return this.#alignOf(id, id);
  }

  /** Iterates this blob's own types in id order (not the base's), inflating each. */
  *types(): IterableIterator<BtfType> {
    for (let id = this.firstId; id < this.typeCount; id++) yield this.typeById(id);
  }

  /** Same as `types()`. */
  [Symbol.iterator](): IterableIterator<BtfType> {
    return this.types();
  }

  #alignOf(id: number, root: number): number {
    if (id === 0) throw new BtfError('void has no alignment', { typeId: root });
    const memo = this.#aligns.get(id);
    if (memo === IN_PROGRESS) throw new BtfError(`type ${id} contains itself (cyclic type)`, { typeId: root });
    if (memo !== undefined) return memo;
    // Memoized: without it, wide structs nested in wide structs cost exponential time.
    this.#aligns.set(id, IN_PROGRESS);
    try {
      const align = this.#computeAlign(id, root);
      this.#aligns.set(id, align);
      return align;
    } catch (e) {
      this.#aligns.delete(id);
      throw e;
    }
  }

  #computeAlign(id: number, root: number): number {
    const t = this.typeById(id);
    switch (t.kind) {
      case 'INT':
      case 'ENUM':
      case 'ENUM64':
      case 'FLOAT':
        return Math.min(this.pointerSize, t.size);
      case 'PTR':
        return this.pointerSize;
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'ARRAY':
        return this.#alignOf(t.type, root);
      case 'STRUCT':
      case 'UNION': {
        let maxAlign = 1;
        for (const m of t.members) {
          const align = this.#alignOf(m.type, root);
          if (align <= 0) throw new BtfError(`member '${m.name}' has alignment ${align}`, { typeId: id });
          maxAlign = Math.max(maxAlign, align);
          // A member off its natural alignment can only come from a packed struct.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return 1;
        }
        return t.size % maxAlign === 0 ? maxAlign : 1;
      }
      default:
        throw new BtfError(`${t.kind} has no alignment`, { typeId: root });
    }
  }

  #cached(i: number): BtfType | undefined {
    return this.#cache !== undefined ? this.#cache[i] : this.#few?.get(i);
  }

  #remember(i: number, t: BtfType): void {
    if (this.#cache !== undefined) {
      this.#cache[i] = t;
      return;
    }
    const few = (this.#few ??= new Map());
    few.set(i, t);
    if (few.size < FEW_CACHED) return;
    const cache = new Array<BtfType | undefined>(this.#offsets.length);
    for (const [k, v] of few) cache[k] = v;
    this.#cache = cache;
    this.#few = undefined;
  }

  #owner(id: number): Btf {
    if (id >= this.firstId) {
      if (id >= this.typeCount || !Number.isInteger(id)) throw this.#badId(id);
      return this;
    }
    if (this.base !== undefined && id > 0) return this.base.#owner(id);
    throw this.#badId(id);
  }

  #offsetOf(id: number): number {
    return this.#offsets[id - this.firstId] as number;
  }

  #info(id: number): number {
    const owner = this.#owner(id);
    return owner.#view.getUint32(owner.#offsetOf(id) + 4, owner.header.littleEndian);
  }

  #badId(id: number): BtfError {
    return new BtfError(`type id not in [1, ${this.typeCount})`, { typeId: id });
  }

  /**
   * Indexes (not ids) of own types named `needle` (or, with `flavors`, `needle___<suffix>`) whose
   * kind is in `kindMask` (bit `1 << kind`), by comparing name bytes in place. The kind, next to
   * the name offset in the record, is tested first: it spares most reads of the far-away name.
   */
  #scanNames(needle: Uint8Array, kindMask: number, flavors = false): number[] {
    const out: number[] = [];
    const offsets = this.#offsets;
    const words = this.#words;
    const view = this.#view;
    const le = this.header.littleEndian;
    const strings = this.strings;
    const bytes = strings.bytes;
    const start = strings.startOffset;
    const n = needle.length;
    const first = needle[0] as number;
    for (let i = 0; i < offsets.length; i++) {
      const at = offsets[i] as number;
      let nameOff: number;
      if (words !== undefined) {
        const w = at >>> 2;
        if (((kindMask >>> (((words[w + 1] as number) >>> 24) & 0x1f)) & 1) === 0) continue;
        nameOff = words[w] as number;
      } else {
        if (((kindMask >>> ((view.getUint32(at + 4, le) >>> 24) & 0x1f)) & 1) === 0) continue;
        nameOff = view.getUint32(at, le);
      }
      const p = nameOff - start;
      if (p < 0) {
        if (nameOff === 0) continue;
        if (strings.equalsBytes(nameOff, needle) || (flavors && hasFlavorOf(strings.get(nameOff), needle))) out.push(i);
        continue;
      }
      if (bytes[p] !== first) continue;
      const end = bytes[p + n];
      if (end !== 0 && !(flavors && end === UNDERSCORE && bytes[p + n + 1] === UNDERSCORE && bytes[p + n + 2] === UNDERSCORE)) continue;
      let k = 1;
      while (k < n && bytes[p + k] === needle[k]) k++;
      if (k === n) out.push(i);
    }
    return out;
  }

  #buildNameIndex(): NameIndex {
    const n = this.#offsets.length;
    const view = this.#view;
    const le = this.header.littleEndian;
    const nameOffs = new Uint32Array(n);
    for (let i = 0; i < n; i++) nameOffs[i] = view.getUint32(this.#offsets[i] as number, le);
    return new NameIndex(nameOffs, this.strings);
  }
}

/**
 * `btf__new` / `btf__new_split`: parses a BTF blob. Throws `BtfError` for malformed input.
 *
 * @example
 * ```ts
 * const vmlinux = parseBtf(readFileSync('/sys/kernel/btf/vmlinux'));
 * const module = parseBtf(readFileSync('/sys/kernel/btf/nf_tables'), { base: vmlinux });
 * ```
 */
export function parseBtf(bytes: Uint8Array, options: ParseBtfOptions = {}): Btf {
  return new Btf(bytes, options);
}

function checkedSize(size: number, id: number): number {
  if (size > 0xffffffff) throw new BtfError(`size ${size} does not fit in 32 bits`, { typeId: id });
  return size;
}

