import type { Btf } from '../btf.js';
import type { BtfKindName, BtfType } from '../types.js';
import { CoreFault } from './errors.js';

/** Longest modifier/typedef chain followed before calling the type cyclic. */
const MAX_CHAIN = 32;

/** A type with its id after skipping modifiers; `type` is undefined for `void` (id 0). */
export interface ResolvedType {
  readonly id: number;
  readonly type: BtfType | undefined;
  readonly kind: BtfKindName;
}

/**
 * `skip_mods_and_typedefs`: follows TYPEDEF, CONST, VOLATILE, RESTRICT and TYPE_TAG (not VAR,
 * unlike `Btf.resolveType`, because CO-RE never meets a VAR and must not treat one as its type).
 */
export function skipModsAndTypedefs(btf: Btf, id: number): ResolvedType {
  let cur = id;
  for (let depth = 0; depth <= MAX_CHAIN; depth++) {
    if (cur === 0) return { id: 0, type: undefined, kind: 'UNKN' };
    const t = btf.typeById(cur);
    switch (t.kind) {
      case 'TYPEDEF':
      case 'CONST':
      case 'VOLATILE':
      case 'RESTRICT':
      case 'TYPE_TAG':
        cur = t.type;
        break;
      default:
        return { id: cur, type: t, kind: t.kind };
    }
  }
  throw new CoreFault(`type [${id}] is a modifier/typedef chain longer than ${MAX_CHAIN} (cyclic?)`);
}

/** The type `id` itself (no skipping); `undefined` for `void`. */
export function typeOrVoid(btf: Btf, id: number): BtfType | undefined {
  return id === 0 ? undefined : btf.typeById(id);
}

/** `btf__resolve_size` that reports failure as a CO-RE fault (sizeless type in an access path). */
export function resolveSize(btf: Btf, id: number): number {
  try {
    return btf.sizeOf(id);
  } catch (e) {
    throw new CoreFault(`type [${id}] has no size: ${(e as Error).message}`, { cause: e });
  }
}

/** True for ENUM and ENUM64 (`btf_is_any_enum`). */
export function isAnyEnum(kind: BtfKindName): boolean {
  return kind === 'ENUM' || kind === 'ENUM64';
}

/** True for STRUCT and UNION (`btf_is_composite`). */
export function isComposite(kind: BtfKindName): boolean {
  return kind === 'STRUCT' || kind === 'UNION';
}

/** `btf_kind_core_compat`: same kind, or both some enum (ENUM matches ENUM64). */
export function kindsCoreCompatible(a: BtfKindName, b: BtfKindName): boolean {
  return a === b || (isAnyEnum(a) && isAnyEnum(b));
}

/** libbpf's `btf_kind_str` spelling: lower-case kind name (`struct`, `enum64`, `unkn`). */
export function kindLabel(kind: BtfKindName): string {
  return kind.toLowerCase();
}

/** `<kind> <name>` as libbpf prints a type: `struct task_struct`, `typedef u32`, `struct <anon>`. */
export function typeLabel(btf: Btf, id: number): string {
  if (id === 0) return 'void';
  const t = btf.typeById(id);
  return `${kindLabel(t.kind)} ${t.name === '' ? '<anon>' : t.name}`;
}
