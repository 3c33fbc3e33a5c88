import { BtfDumpError } from './c-dump-error.js';
import type { BtfType, BtfTypeTable } from './types.js';

const NOT_ORDERED = 0;
const ORDERING = 1;
const ORDERED = 2;
/**
 * Deepest chain of references followed while ordering. Real headers nest a few dozen levels
 * (vmlinux: under 40); a longer chain is hostile BTF, refused before it exhausts the JS stack.
 */
const MAX_ORDER_DEPTH = 1024;

/**
 * Decides which types a C header must define, and in which order, so that every type is complete
 * where C needs it complete: libbpf's `btf_dump_order_type`, a depth-first topological sort.
 *
 * A reference from X to Y is *weak* when the path crosses a pointer and reaches a named type
 * (a forward declaration of Y is then enough), and *strong* otherwise (Y must be defined first,
 * e.g. a member embedded by value, or an anonymous struct that is inlined and so embeds what it
 * contains). Only named STRUCT/UNION/ENUM/FWD/TYPEDEF definitions are queued; anonymous ones are
 * written inline where they are used. A type reached again while still being ordered is a cycle,
 * fine through a pointer to a named struct (forward declaration), fatal otherwise.
 *
 * @example
 * ```ts
 * const order = new CDumpOrder(btf);
 * for (const id of order.definitionsFor(rootId)) emitter.emitType(id);
 * ```
 */
export class CDumpOrder {
  readonly #btf: BtfTypeTable;
  readonly #state: Uint8Array;
  /** Types some other type refers to: an anonymous enum nobody refers to is a top-level one. */
  readonly #referenced: Uint8Array;
  /**
   * For each type on the current path: 1 + the number of structs/unions being ordered when it
   * was entered (0 = not on the path). C cannot express a cycle that passes through no struct
   * or union, so reaching a type again with no composite entered since is malformed BTF
   * (`typedef a b; typedef b a;`, a pointer to itself); through a composite it is the ordinary
   * `typedef struct s s_t; struct s { s_t *next; }`, which the composite's own state resolves.
   */
  readonly #onPath: Int32Array;
  readonly #queue: number[] = [];
  #depth = 0;
  #composites = 0;

  constructor(btf: BtfTypeTable) {
    this.#btf = btf;
    this.#state = new Uint8Array(btf.typeCount);
    this.#state[0] = ORDERED;
    this.#onPath = new Int32Array(btf.typeCount);
    this.#referenced = markReferenced(btf);
  }

  /**
   * The named types `id` needs, dependencies first, that earlier calls have not already
   * returned; `id` itself is last if it is a definition. The array is reused by the next call
   * (vmlinux has 130k roots, most of them with nothing left to define).
   */
  definitionsFor(id: number): readonly number[] {
    this.#queue.length = 0;
    this.#order(id, false);
    return this.#queue;
  }

  /** Returns true for a strong link (the caller must come after), false for a weak one. */
  #order(id: number, throughPtr: boolean): boolean {
    const state = this.#state[id];
    if (state === ORDERED) return true;
    const t = this.#btf.typeById(id);
    if (state === ORDERING) {
      if ((t.kind === 'STRUCT' || t.kind === 'UNION') && throughPtr && t.name !== '') return false;
      throw new BtfDumpError(`unsatisfiable type cycle through ${t.kind} '${t.name}'`, id);
    }
    const entered = this.#onPath[id] ?? 0;
    if (entered === this.#composites + 1) throw new BtfDumpError(`type cycle through ${t.kind} '${t.name}' that no struct breaks`, id);
    if (this.#depth >= MAX_ORDER_DEPTH) throw new BtfDumpError(`type chain deeper than ${MAX_ORDER_DEPTH} at ${t.kind} '${t.name}'`, id);
    this.#onPath[id] = this.#composites + 1;
    this.#depth++;
    try {
      return this.#orderType(id, t, throughPtr);
    } finally {
      this.#onPath[id] = entered;
      this.#depth--;
    }
  }

  #orderType(id: number, t: BtfType, throughPtr: boolean): boolean {
    switch (t.kind) {
      case 'INT':
      case 'FLOAT':
        this.#state[id] = ORDERED;
        return false;
      case 'PTR': {
        const strong = this.#order(t.type, true);
        this.#state[id] = ORDERED;
        return strong;
      }
      case 'ARRAY':
        return this.#order(t.type, false);
      case 'STRUCT':
      case 'UNION': {
        // Named and behind a pointer: a forward declaration will do.
        if (throughPtr && t.name !== '') return false;
        this.#state[id] = ORDERING;
        this.#composites++;
        try {
          for (const m of t.members) this.#order(m.type, false);
        } finally {
          this.#composites--;
        }
        if (t.name !== '') this.#queue.push(id);
        this.#state[id] = ORDERED;
        return true;
      }
      case 'ENUM':
      case 'ENUM64':
      case 'FWD':
        if (t.name !== '' || this.#referenced[id] === 0) this.#queue.push(id);
        this.#state[id] = ORDERED;
        return true;
      case 'TYPEDEF': {
        const strong = this.#order(t.type, throughPtr);
        if (throughPtr && !strong) return false;
        this.#queue.push(id);
        this.#state[id] = ORDERED;
        return true;
      }
      case 'VOLATILE':
      case 'CONST':
      case 'RESTRICT':
      case 'TYPE_TAG':
        return this.#order(t.type, throughPtr);
      case 'FUNC_PROTO': {
        let strong = this.#order(t.returnType, throughPtr);
        for (const p of t.params) {
          if (this.#order(p.type, throughPtr)) strong = true;
        }
        return strong;
      }
      case 'FUNC':
      case 'VAR':
      case 'DATASEC':
      case 'DECL_TAG':
        // Not C type definitions: bpftool's header has no functions or variables.
        this.#state[id] = ORDERED;
        return false;
    }
  }
}

function markReferenced(btf: BtfTypeTable): Uint8Array {
  const referenced = new Uint8Array(btf.typeCount);
  for (let id = 1; id < btf.typeCount; id++) {
    const t = btf.typeById(id);
    switch (t.kind) {
      case 'INT':
      case 'ENUM':
      case 'ENUM64':
      case 'FWD':
      case 'FLOAT':
        break;
      case 'ARRAY':
        referenced[t.indexType] = 1;
        referenced[t.type] = 1;
        break;
      case 'STRUCT':
      case 'UNION':
        for (const m of t.members) referenced[m.type] = 1;
        break;
      case 'FUNC_PROTO':
        // libbpf marks parameters but not the return type.
        for (const p of t.params) referenced[p.type] = 1;
        break;
      case 'DATASEC':
        for (const v of t.vars) referenced[v.type] = 1;
        break;
      default:
        referenced[t.type] = 1;
    }
  }
  return referenced;
}
