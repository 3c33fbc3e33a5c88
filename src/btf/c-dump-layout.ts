import type { BtfComposite, BtfTypeTable } from './types.js';

/** Names under which C compilers record `long`, as libbpf's `determine_ptr_size` knows them. */
const LONG_NAMES: ReadonlySet<string> = new Set([
  'long',
  'long int',
  'int long',
  'unsigned long',
  'long unsigned',
  'unsigned long int',
  'unsigned int long',
  'long unsigned int',
  'long int unsigned',
  'int unsigned long',
  'int long unsigned',
]);

/** libbpf gives up resolving a size after this many modifiers/typedefs/arrays. */
const MAX_RESOLVE_DEPTH = 32;
const UINT32_MAX = 0xffff_ffff;
/** Pointer size assumed when BTF has no `long` (libbpf falls back to the host's: x86-64). */
const HOST_POINTER_SIZE = 8;

/**
 * The pointer size a BTF blob was built for, guessed like libbpf's `btf__pointer_size`: the size
 * of the first INT named like `long`, 8 when there is none.
 *
 * @example
 * ```ts
 * pointerSizeOf(btf); // 8 for x86-64 vmlinux
 * ```
 */
export function pointerSizeOf(btf: BtfTypeTable): number {
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.typeById(id);
    if (t.kind === 'INT' && (t.size === 4 || t.size === 8) && LONG_NAMES.has(t.name)) return t.size;
  }
  return HOST_POINTER_SIZE;
}

/**
 * Size and alignment of BTF types the way libbpf computes them (`btf__resolve_size`,
 * `btf__align_of`): the C dumper must agree with libbpf byte for byte, including its answers for
 * types that have no C size (0 alignment, negative size) and its guess that a struct whose
 * members are not naturally aligned is packed.
 *
 * @example
 * ```ts
 * const layout = new BtfLayout(btf, pointerSizeOf(btf));
 * layout.alignOf(id); layout.sizeOf(id);
 * ```
 */
export class BtfLayout {
  readonly #btf: BtfTypeTable;
  readonly #pointerSize: number;
  /** Memoised `alignOf` (+1, so 0 means "not computed"): big structs are asked about often. */
  readonly #alignCache: Int32Array;

  constructor(btf: BtfTypeTable, pointerSize: number) {
    this.#btf = btf;
    this.#pointerSize = pointerSize;
    this.#alignCache = new Int32Array(btf.typeCount);
  }

  /** Alignment in bytes; 0 for types C cannot align (void, FWD, FUNC_PROTO, ...). */
  alignOf(id: number): number {
    if (id === 0) return 0;
    const cached = this.#alignCache[id];
    if (cached !== undefined && cached !== 0) return cached - 1;
    const align = this.#computeAlign(id);
    this.#alignCache[id] = align + 1;
    return align;
  }

  #computeAlign(id: number): number {
    const t = this.#btf.typeById(id);
    switch (t.kind) {
      case 'INT':
      case 'ENUM':
      case 'ENUM64':
      case 'FLOAT':
        return Math.min(this.#pointerSize, t.size);
      case 'PTR':
        return this.#pointerSize;
      case 'TYPEDEF':
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
      case 'ARRAY':
        return this.alignOf(t.type);
      case 'STRUCT':
      case 'UNION': {
        let maxAlign = 1;
        for (const m of t.members) {
          const align = this.alignOf(m.type);
          if (align <= 0) return align;
          maxAlign = Math.max(maxAlign, align);
          // A member off its natural alignment means the struct must have been packed.
          if (m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return 1;
        }
        return t.size % maxAlign !== 0 ? 1 : maxAlign;
      }
      default:
        return 0;
    }
  }

  /** Size in bytes, or -1 where libbpf's `btf__resolve_size` fails (void, FWD, overflow, ...). */
  sizeOf(id: number): number {
    let nelems = 1;
    let typeId = id;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      if (typeId === 0) return -1;
      const t = this.#btf.typeById(typeId);
      switch (t.kind) {
        case 'INT':
        case 'STRUCT':
        case 'UNION':
        case 'ENUM':
        case 'ENUM64':
        case 'DATASEC':
        case 'FLOAT':
          return this.#scaled(t.size, nelems);
        case 'PTR':
          return this.#scaled(this.#pointerSize, nelems);
        case 'TYPEDEF':
        case 'VOLATILE':
        case 'CONST':
        case 'RESTRICT':
        case 'VAR':
        case 'DECL_TAG':
        case 'TYPE_TAG':
          typeId = t.type;
          break;
        case 'ARRAY':
          if (nelems !== 0 && t.nelems > Math.floor(UINT32_MAX / nelems)) return -1;
          nelems *= t.nelems;
          typeId = t.type;
          break;
        default:
          return -1;
      }
    }
    return -1;
  }

  #scaled(size: number, nelems: number): number {
    if (nelems !== 0 && size > Math.floor(UINT32_MAX / nelems)) return -1;
    return nelems * size;
  }

  /**
   * Whether a struct needs `__attribute__((packed))` to reproduce its BTF layout: some
   * non-bitfield member sits off its natural alignment, or the size is not a multiple of the
   * largest member alignment. A struct that was packed but happens to be naturally aligned is
   * (correctly) reported as not packed.
   */
  isPacked(t: BtfComposite): boolean {
    let maxAlign = 1;
    for (const m of t.members) {
      const align = this.alignOf(m.type);
      if (align !== 0 && m.bitfieldSize === 0 && m.bitOffset % (8 * align) !== 0) return true;
      maxAlign = Math.max(align, maxAlign);
    }
    return t.size % maxAlign !== 0;
  }
}
