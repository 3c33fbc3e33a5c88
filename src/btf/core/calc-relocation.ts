import { BpfCoreReloKind } from '../ext.js';
import { CoreFault } from './errors.js';
import { isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import type { CoreSpec } from './spec.js';
import { resolveSize, skipModsAndTypedefs } from './btf-walk.js';

/** Byte order the relocated program runs in; bitfield shifts depend on it. */
export type CoreByteOrder = 'little' | 'big';

/** `struct bpf_core_relo_res`: what one (local, target) pair of specs asks the patcher to do. */
export interface CoreReloOutcome {
  /** The value the compiler put in the instruction (from the local spec). */
  readonly origValue: bigint;
  /** The value for the target. */
  readonly newValue: bigint;
  /** The target lacks the field/enumerator: replace the instruction by the poison call. */
  readonly poison: boolean;
  /** Check the instruction holds `origValue` before patching. */
  readonly validate: boolean;
  /** Load/store sizes differ and resizing would change the value read (signed, struct, ...). */
  readonly failMemSizeAdjust: boolean;
  /** Memory access sizes (element size for arrays) for FIELD_BYTE_OFFSET, else 0. */
  readonly origSize: number;
  readonly newSize: number;
}

interface FieldValue {
  value: bigint;
  size: number;
  typeId: number;
  validate: boolean;
}

/** Thrown inside the calculation to request poisoning (libbpf's `-EUCLEAN`). */
const POISON = Symbol('poison');

/** Size of the innermost element of `id` (arrays of arrays down to their element). */
function elementSize(spec: CoreSpec, id: number): number {
  let t = skipModsAndTypedefs(spec.btf, id);
  while (t.type?.kind === 'ARRAY') t = skipModsAndTypedefs(spec.btf, t.type.type);
  return resolveSize(spec.btf, t.id);
}

/** `bpf_core_calc_field_relo` for one spec; `undefined` spec means "field not found". */
function calcField(kind: BpfCoreReloKind, spec: CoreSpec | undefined, order: CoreByteOrder): FieldValue {
  if (kind === BpfCoreReloKind.FIELD_EXISTS) return { value: spec === undefined ? 0n : 1n, size: 0, typeId: 0, validate: true };
  if (spec === undefined) throw POISON;
  const acc = spec.accessors[spec.accessors.length - 1];
  if (acc === undefined) throw new CoreFault('empty field spec');

  if (acc.name === undefined) {
    // The access ends on an array element (or `&p[n]` itself).
    if (kind === BpfCoreReloKind.FIELD_BYTE_OFFSET) {
      return { value: BigInt(spec.bitOffset / 8), size: elementSize(spec, acc.typeId), typeId: acc.typeId, validate: true };
    }
    if (kind === BpfCoreReloKind.FIELD_BYTE_SIZE) return { value: BigInt(resolveSize(spec.btf, acc.typeId)), size: 0, typeId: 0, validate: true };
    throw new CoreFault(`relocation kind ${kind} can't be applied to an array access`);
  }

  const parent = spec.btf.typeById(acc.typeId);
  if (parent.kind !== 'STRUCT' && parent.kind !== 'UNION') throw new CoreFault(`field accessor type [${acc.typeId}] is not a struct/union`);
  const m = parent.members[acc.index];
  if (m === undefined) throw new CoreFault(`member index ${acc.index} out of range`);
  const field = skipModsAndTypedefs(spec.btf, m.type);
  const mt = field.type;
  const bitOff = spec.bitOffset;
  let bitSize = m.bitfieldSize;
  const bitfield = bitSize > 0;
  let byteSize: number;
  let byteOff: number;
  if (bitfield) {
    if (mt === undefined || !('size' in mt)) throw new CoreFault(`bitfield member '${m.name}' has a sizeless type`);
    // The smallest naturally aligned load (up to 8 bytes) that covers all bits of the field.
    byteSize = mt.size;
    byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    while (bitOff + bitSize - byteOff * 8 > byteSize * 8) {
      if (byteSize >= 8) throw new CoreFault(`bitfield '${m.name}' can't be read with a 64-bit load`);
      byteSize *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSize) * byteSize;
    }
  } else {
    byteSize = resolveSize(spec.btf, field.id);
    byteOff = bitOff / 8;
    bitSize = byteSize * 8;
  }
  // Bitfield offsets and sizes are the compiler's choice and may differ from ours: don't check.
  let validate = !bitfield;
  switch (kind) {
    case BpfCoreReloKind.FIELD_BYTE_OFFSET:
      return bitfield
        ? { value: BigInt(byteOff), size: 0, typeId: 0, validate }
        : { value: BigInt(byteOff), size: elementSize(spec, field.id), typeId: field.id, validate };
    case BpfCoreReloKind.FIELD_BYTE_SIZE:
      return { value: BigInt(byteSize), size: 0, typeId: 0, validate };
    case BpfCoreReloKind.FIELD_SIGNED: {
      const signed = ((mt?.kind === 'ENUM' || mt?.kind === 'ENUM64') && mt.signed) || (mt?.kind === 'INT' && (mt.encoding & 1) !== 0);
      return { value: signed ? 1n : 0n, size: 0, typeId: 0, validate: true };
    }
    case BpfCoreReloKind.FIELD_LSHIFT_U64: {
      const shift = order === 'little' ? 64 - (bitOff + bitSize - byteOff * 8) : (8 - byteSize) * 8 + (bitOff - byteOff * 8);
      return { value: BigInt(shift), size: 0, typeId: 0, validate };
    }
    case BpfCoreReloKind.FIELD_RSHIFT_U64:
      validate = true;
      return { value: BigInt(64 - bitSize), size: 0, typeId: 0, validate };
    default:
      throw new CoreFault(`unsupported field relocation kind ${kind}`);
  }
}

/** `bpf_core_calc_type_relo`: type relocations yield 0 (not poison) for a missing type. */
function calcType(kind: BpfCoreReloKind, spec: CoreSpec | undefined): bigint {
  if (spec === undefined) return 0n;
  switch (kind) {
    case BpfCoreReloKind.TYPE_ID_TARGET:
      return BigInt(spec.rootTypeId);
    case BpfCoreReloKind.TYPE_EXISTS:
    case BpfCoreReloKind.TYPE_MATCHES:
      return 1n;
    case BpfCoreReloKind.TYPE_SIZE:
      return BigInt(resolveSize(spec.btf, spec.rootTypeId));
    default:
      throw new CoreFault(`unsupported type relocation kind ${kind}`);
  }
}

/** `bpf_core_calc_enumval_relo`. ENUM values widen through `s32` as in libbpf. */
function calcEnumval(kind: BpfCoreReloKind, spec: CoreSpec | undefined): bigint {
  if (kind === BpfCoreReloKind.ENUMVAL_EXISTS) return spec === undefined ? 0n : 1n;
  if (kind !== BpfCoreReloKind.ENUMVAL_VALUE) throw new CoreFault(`unsupported enum relocation kind ${kind}`);
  if (spec === undefined) throw POISON;
  const acc = spec.accessors[0];
  const t = acc === undefined ? undefined : spec.btf.typeById(acc.typeId);
  if (acc === undefined || t === undefined || (t.kind !== 'ENUM' && t.kind !== 'ENUM64')) throw new CoreFault('enum spec does not point at an enum');
  const e = t.values[acc.index];
  if (e === undefined) throw new CoreFault(`enumerator index ${acc.index} out of range`);
  return t.kind === 'ENUM' ? BigInt.asUintN(64, BigInt((e.value as number) | 0)) : BigInt.asUintN(64, BigInt(e.value));
}

/**
 * `bpf_core_calc_relo`: the original and new values of a relocation for one local spec and one
 * target spec (`undefined` when no candidate matched), and whether to poison. A load/store whose
 * size would change is allowed only between pointers or between unsigned integers (zero
 * extension keeps the value); otherwise `failMemSizeAdjust` is set, and the patcher poisons it.
 */
export function calcRelocation(local: CoreSpec, target: CoreSpec | undefined, order: CoreByteOrder): CoreReloOutcome {
  const kind = local.kind;
  if (isFieldBased(kind)) {
    const orig = calcField(kind, local, order);
    const poisoned = { origValue: orig.value, newValue: 0n, poison: true, validate: orig.validate, failMemSizeAdjust: false, origSize: orig.size, newSize: 0 };
    const next = orPoison(() => calcField(kind, target, order));
    if (next === POISON) return poisoned;
    let failMemSizeAdjust = false;
    if (orig.size !== next.size && target !== undefined) {
      const ot = orig.typeId === 0 ? undefined : local.btf.typeById(orig.typeId);
      const nt = next.typeId === 0 ? undefined : target.btf.typeById(next.typeId);
      const bothPtr = ot?.kind === 'PTR' && nt?.kind === 'PTR';
      // Exactly BTF_INT_SIGNED, as libbpf compares: a signed `char` (SIGNED|CHAR) passes.
      const bothUnsigned = ot?.kind === 'INT' && nt?.kind === 'INT' && ot.encoding !== 1 && nt.encoding !== 1;
      failMemSizeAdjust = !bothPtr && !bothUnsigned;
    }
    return { origValue: orig.value, newValue: next.value, poison: false, validate: orig.validate, failMemSizeAdjust, origSize: orig.size, newSize: next.size };
  }
  if (isTypeBased(kind)) {
    // A type id embedded in an instruction may have been renumbered by linking: don't check it.
    const validate = kind !== BpfCoreReloKind.TYPE_ID_TARGET;
    return { origValue: calcType(kind, local), newValue: calcType(kind, target), poison: false, validate, failMemSizeAdjust: false, origSize: 0, newSize: 0 };
  }
  if (isEnumvalBased(kind)) {
    const origValue = calcEnumval(kind, local);
    const newValue = orPoison(() => calcEnumval(kind, target));
    if (newValue === POISON) return { origValue, newValue: 0n, poison: true, validate: true, failMemSizeAdjust: false, origSize: 0, newSize: 0 };
    return { origValue, newValue, poison: false, validate: true, failMemSizeAdjust: false, origSize: 0, newSize: 0 };
  }
  throw new CoreFault(`unrecognized CO-RE relocation kind ${kind}`);
}

function orPoison<T>(calc: () => T): T | typeof POISON {
  try {
    return calc();
  } catch (e) {
    if (e === POISON) return POISON;
    throw e;
  }
}
