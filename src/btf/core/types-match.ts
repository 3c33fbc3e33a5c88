import type { Btf } from '../btf.js';
import type { BtfType } from '../types.js';
import { essentialNameLength } from './essential-name.js';
import { CoreFault } from './errors.js';
import { isAnyEnum, skipModsAndTypedefs } from './btf-walk.js';

/** Recursion budget (members, parameters) of libbpf's `bpf_core_types_match`. */
const MATCH_LEVELS = 32;
/** Pointer/array hops per level. */
const MAX_DEPTH = 32;

/** `bpf_core_names_match`: an anonymous target matches only an anonymous local; else essential names. */
function namesMatch(local: string, target: string): boolean {
  if (target === '') return local === '';
  const ll = essentialNameLength(local);
  const tl = essentialNameLength(target);
  return ll === tl && local.slice(0, ll) === target.slice(0, tl);
}

function enumNames(t: BtfType): readonly string[] {
  return t.kind === 'ENUM' || t.kind === 'ENUM64' ? t.values.map((v) => v.name) : [];
}

/**
 * `bpf_core_types_match` (`BPF_CORE_TYPE_MATCHES`, libbpf 1.1+, `bpf_core_type_matches()`): a
 * stricter check than compatibility. After skipping modifiers and typedefs the names must match
 * (modulo flavor) at every level; kinds must be equal except ENUM ~ ENUM64 and, behind a
 * pointer, a struct/union ~ a forward declaration of the same kind; INTs need equal size and
 * signedness; arrays equal length; enums equal size and every local enumerator name present in
 * the target; structs/unions every local member present by name with a matching type (only
 * names and kinds once behind a pointer); function prototypes equal arity and matching types.
 */
export function typesMatch(localBtf: Btf, localId: number, targetBtf: Btf, targetId: number, behindPtr = false, level = MATCH_LEVELS): boolean {
  if (level <= 0) throw new CoreFault('type match recursion too deep');
  let lid = localId;
  let tid = targetId;
  let ptr = behindPtr;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(localBtf, lid);
    const t = skipModsAndTypedefs(targetBtf, tid);
    const lt = l.type;
    const tt = t.type;
    if (!namesMatch(lt?.name ?? '', tt?.name ?? '')) return false;
    if (lt === undefined || tt === undefined) return l.kind === t.kind;
    switch (lt.kind) {
      case 'FWD':
        if (ptr && tt.kind !== 'FWD') return (tt.kind === 'STRUCT' && !lt.union) || (tt.kind === 'UNION' && lt.union);
        return tt.kind === 'FWD' && lt.union === tt.union;
      case 'ENUM':
      case 'ENUM64':
        if (!isAnyEnum(tt.kind) || !('size' in tt) || lt.size !== tt.size) return false;
        return enumsMatch(enumNames(lt), enumNames(tt));
      case 'STRUCT':
      case 'UNION':
        if (ptr) {
          if (lt.kind === tt.kind) return true;
          return tt.kind === 'FWD' && (lt.kind === 'UNION') === tt.union;
        }
        if (lt.kind !== tt.kind) return false;
        return compositesMatch(localBtf, lt, targetBtf, tt, ptr, level);
      case 'INT':
        return tt.kind === 'INT' && lt.size === tt.size && (lt.encoding & 1) === (tt.encoding & 1);
      case 'PTR':
        if (tt.kind !== 'PTR') return false;
        ptr = true;
        lid = lt.type;
        tid = tt.type;
        break;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY' || lt.nelems !== tt.nelems) return false;
        lid = lt.type;
        tid = tt.type;
        break;
      case 'FUNC_PROTO':
        if (tt.kind !== 'FUNC_PROTO' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          const lp = (lt.params[i] as { type: number }).type;
          const tp = (tt.params[i] as { type: number }).type;
          if (!typesMatch(localBtf, lp, targetBtf, tp, ptr, level - 1)) return false;
        }
        lid = lt.returnType;
        tid = tt.returnType;
        break;
      default:
        return false;
    }
  }
  throw new CoreFault(`type [${localId}] is nested deeper than ${MAX_DEPTH} pointers/arrays`);
}

function enumsMatch(local: readonly string[], target: readonly string[]): boolean {
  if (local.length > target.length) return false;
  return local.every((name) => target.some((t) => namesMatch(name, t)));
}

function compositesMatch(localBtf: Btf, lt: BtfType, targetBtf: Btf, tt: BtfType, behindPtr: boolean, level: number): boolean {
  if ((lt.kind !== 'STRUCT' && lt.kind !== 'UNION') || (tt.kind !== 'STRUCT' && tt.kind !== 'UNION')) return false;
  if (lt.members.length > tt.members.length) return false;
  for (const lm of lt.members) {
    const found = tt.members.some((tm) => namesMatch(lm.name, tm.name) && typesMatch(localBtf, lm.type, targetBtf, tm.type, behindPtr, level - 1));
    if (!found) return false;
  }
  return true;
}
