import type { BtfTypeTable } from './types.js';

/** libbpf builds `name___N` in a 256-byte buffer, so longer names are cut to 255 characters. */
const MAX_NAME_LENGTH = 255;

/**
 * Unique C names for BTF types, assigned the way libbpf's `btf_dump_resolve_name` does it: the
 * first type to be *printed* under a name keeps it, later ones become `name___2`, `name___3`.
 * C has two namespaces that matter: tags (`struct`/`union`/`enum` names) and ordinary
 * identifiers (typedef names, enumerators), so each has its own counter. Because numbering
 * follows print order, the same resolver must serve the whole dump.
 *
 * @example
 * ```ts
 * const names = new CNameResolver(btf);
 * names.tagName(id);      // 'sk_buff', or 'sk_buff___2' for a second distinct sk_buff
 * names.enumerator('A');  // 'A' the first time, 'A___2' the second
 * ```
 */
export class CNameResolver {
  readonly #btf: BtfTypeTable;
  readonly #tags = new Map<string, number>();
  readonly #idents = new Map<string, number>();
  /** Resolved names by type id; `undefined` until the type's name is first asked for. */
  readonly #resolved: (string | undefined)[] = [];

  constructor(btf: BtfTypeTable) {
    this.#btf = btf;
  }

  /** Name of a STRUCT, UNION, ENUM, ENUM64 or FWD, in the tag namespace; `''` if anonymous. */
  tagName(id: number): string {
    return this.#resolve(id, this.#tags);
  }

  /** Name of a TYPEDEF, in the identifier namespace; `''` if anonymous. */
  identName(id: number): string {
    return this.#resolve(id, this.#idents);
  }

  /** An enumerator's name: enumerators share the identifier namespace with typedefs. */
  enumerator(name: string): string {
    const dups = countOccurrence(this.#idents, name);
    return dups > 1 ? `${name}___${dups}` : name;
  }

  #resolve(id: number, namespace: Map<string, number>): string {
    const known = this.#resolved[id];
    if (known !== undefined) return known;
    const t = this.#btf.typeById(id);
    let name = t.name;
    // Forward declarations and valueless enums may repeat freely in C; they never get a suffix.
    const repeatable = t.kind === 'FWD' || (t.kind === 'ENUM' && t.values.length === 0);
    if (name !== '' && !repeatable) {
      const dups = countOccurrence(namespace, name);
      if (dups > 1) name = `${name}___${dups}`.slice(0, MAX_NAME_LENGTH);
    }
    this.#resolved[id] = name;
    return name;
  }
}

/** Counts one more use of `name` and returns the new count. */
function countOccurrence(namespace: Map<string, number>, name: string): number {
  const count = (namespace.get(name) ?? 0) + 1;
  namespace.set(name, count);
  return count;
}
