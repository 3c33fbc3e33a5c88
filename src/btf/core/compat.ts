import type { Btf } from '../btf.js';
import { essentialNameLength } from './essential-name.js';
import { CoreFault } from './errors.js';
import { isComposite, kindsCoreCompatible, skipModsAndTypedefs, typeOrVoid } from './btf-walk.js';

/** Recursion budget of libbpf's `bpf_core_types_are_compat` (function prototype nesting). */
const COMPAT_LEVELS = 32;
/** Pointer/array hops followed before giving up (libbpf's `depth`). */
const MAX_DEPTH = 32;

/**
 * `bpf_core_types_are_compat`, the rule of type-based relocations (TYPE_EXISTS, TYPE_SIZE,
 * TYPE_ID_TARGET) once root names matched: kinds must agree (ENUM ~ ENUM64) after skipping
 * modifiers and typedefs; any two structs, unions, enums or forward declarations are
 * compatible; INTs too unless one is an old-style bitfield int (non-zero bit offset); pointers
 * and arrays recurse into their targets; function prototypes need the same arity and
 * compatible return and argument types.
 */
export function typesAreCompatible(localBtf: Btf, localId: number, targetBtf: Btf, targetId: number, level = COMPAT_LEVELS): boolean {
  const rawLocal = typeOrVoid(localBtf, localId);
  const rawTarget = typeOrVoid(targetBtf, targetId);
  if (!kindsCoreCompatible(rawLocal?.kind ?? 'UNKN', rawTarget?.kind ?? 'UNKN')) return false;
  let lid = localId;
  let tid = targetId;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(localBtf, lid);
    const t = skipModsAndTypedefs(targetBtf, tid);
    if (!kindsCoreCompatible(l.kind, t.kind)) return false;
    const lt = l.type;
    const tt = t.type;
    if (lt === undefined || tt === undefined) return true; // both void
    switch (lt.kind) {
      case 'STRUCT':
      case 'UNION':
      case 'ENUM':
      case 'ENUM64':
      case 'FWD':
        return true;
      case 'INT':
        return lt.bitOffset === 0 && tt.kind === 'INT' && tt.bitOffset === 0;
      case 'PTR':
        if (tt.kind !== 'PTR') return false;
        lid = lt.type;
        tid = tt.type;
        break;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY') return false;
        lid = lt.type;
        tid = tt.type;
        break;
      case 'FUNC_PROTO': {
        if (tt.kind !== 'FUNC_PROTO' || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (level <= 0) throw new CoreFault('function prototype nesting too deep');
          const lp = skipModsAndTypedefs(localBtf, (lt.params[i] as { type: number }).type).id;
          const tp = skipModsAndTypedefs(targetBtf, (tt.params[i] as { type: number }).type).id;
          if (!typesAreCompatible(localBtf, lp, targetBtf, tp, level - 1)) return false;
        }
        lid = skipModsAndTypedefs(localBtf, lt.returnType).id;
        tid = skipModsAndTypedefs(targetBtf, tt.returnType).id;
        break;
      }
      default:
        return false;
    }
  }
  throw new CoreFault(`type [${localId}] is nested deeper than ${MAX_DEPTH} pointers/arrays`);
}

/** True when both names are empty or share their essential name (`bpf_core_names_match` minus the empty case). */
function essentialNamesEqual(a: string, b: string): boolean {
  const la = essentialNameLength(a);
  const lb = essentialNameLength(b);
  return la === lb && a.slice(0, la) === b.slice(0, lb);
}

/**
 * `bpf_core_fields_are_compat`: may a local field be relocated onto a target field of this
 * type? Structs and unions mix freely; pointers and floats always match; enums and forward
 * declarations need equal essential names unless one is anonymous; INTs any size and sign
 * (not old bitfield ints); arrays recurse into elements (dimensions ignored).
 */
export function fieldsAreCompatible(localBtf: Btf, localId: number, targetBtf: Btf, targetId: number): boolean {
  let lid = localId;
  let tid = targetId;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const l = skipModsAndTypedefs(localBtf, lid);
    const t = skipModsAndTypedefs(targetBtf, tid);
    if (isComposite(l.kind) && isComposite(t.kind)) return true;
    if (!kindsCoreCompatible(l.kind, t.kind)) return false;
    const lt = l.type;
    const tt = t.type;
    if (lt === undefined || tt === undefined) return false;
    switch (lt.kind) {
      case 'PTR':
      case 'FLOAT':
        return true;
      case 'FWD':
      case 'ENUM':
      case 'ENUM64':
        return lt.name === '' || tt.name === '' || essentialNamesEqual(lt.name, tt.name);
      case 'INT':
        return tt.kind === 'INT' && lt.bitOffset === 0 && tt.bitOffset === 0;
      case 'ARRAY':
        if (tt.kind !== 'ARRAY') return false;
        lid = lt.type;
        tid = tt.type;
        break;
      default:
        return false;
    }
  }
  throw new CoreFault(`field type [${localId}] is nested deeper than ${MAX_DEPTH} arrays`);
}
