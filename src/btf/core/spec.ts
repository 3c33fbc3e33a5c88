import type { Btf } from '../btf.js';
import type { BpfCoreReloKind } from '../ext.js';
import { CoreFault } from './errors.js';
import { coreReloKindName, isEnumvalBased, isFieldBased, isTypeBased } from './kinds.js';
import { kindLabel, resolveSize, skipModsAndTypedefs } from './btf-walk.js';

/** `BPF_CORE_SPEC_MAX_LEN`: deepest access string libbpf accepts. */
export const CORE_SPEC_MAX_LEN = 64;

/**
 * One high-level step of an access path (`struct bpf_core_accessor`): a named member of
 * composite `typeId` at member index `index`, an array element `index` of element type
 * `typeId` (no `name`), or, for enum relocations, enumerator `index` of enum `typeId`.
 */
export interface CoreAccessor {
  readonly typeId: number;
  readonly index: number;
  /** Member or enumerator name; absent for array (and the initial pointer) accesses. */
  readonly name?: string;
}

/**
 * A parsed access path in one BTF (`struct bpf_core_spec`): the high-level accessors (named
 * members and array indices, anonymous members skipped), the raw indices of the access string
 * (`raw`, one per level including anonymous members) and the bit offset they add up to.
 */
export interface CoreSpec {
  readonly btf: Btf;
  readonly rootTypeId: number;
  readonly kind: BpfCoreReloKind;
  readonly accessors: readonly CoreAccessor[];
  readonly raw: readonly number[];
  readonly bitOffset: number;
}

/** A spec under construction (the matcher speculates and backtracks on it). */
export interface MutableCoreSpec {
  btf: Btf;
  rootTypeId: number;
  kind: BpfCoreReloKind;
  accessors: CoreAccessor[];
  raw: number[];
  bitOffset: number;
}

/** The parts of a `.BTF.ext` CO-RE record the spec parser needs. */
export interface CoreReloRecord {
  readonly typeId: number;
  readonly accessString: string;
  readonly kind: BpfCoreReloKind;
}

/** `is_flex_arr`: a zero-length array that is the last member of the struct of `parent`. */
export function isFlexArray(btf: Btf, parent: CoreAccessor | undefined, nelems: number): boolean {
  if (parent?.name === undefined || nelems > 0) return false;
  const t = btf.typeById(parent.typeId);
  return (t.kind === 'STRUCT' || t.kind === 'UNION') && parent.index === t.members.length - 1;
}

/**
 * `bpf_core_parse_spec`: turns a record's access string into a spec over the local BTF,
 * validating it on the way (member and enumerator indices in range, arrays within bounds
 * unless flexible, only composites and arrays walked). Throws `CoreFault` when malformed.
 */
export function parseCoreSpec(btf: Btf, relo: CoreReloRecord): CoreSpec {
  const spec: MutableCoreSpec = { btf, rootTypeId: relo.typeId, kind: relo.kind, accessors: [], raw: [], bitOffset: 0 };
  const str = relo.accessString;
  if (str === '' || str.startsWith(':')) throw new CoreFault(`invalid access string '${str}'`);
  if (isTypeBased(relo.kind)) {
    if (str !== '0') throw new CoreFault(`type relocation with access string '${str}' (must be '0')`);
    return spec;
  }
  // sscanf("%d") semantics: optional sign, digits; anything else is malformed.
  for (const part of str.split(':')) {
    if (!/^[+-]?\d+$/.test(part)) throw new CoreFault(`invalid access string '${str}'`);
    const n = Number(part);
    if (n < 0 || n > 0x7fffffff) throw new CoreFault(`invalid access index ${part} in '${str}'`);
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new CoreFault(`access string '${str}' is deeper than ${CORE_SPEC_MAX_LEN}`);
    spec.raw.push(n);
  }
  const root = skipModsAndTypedefs(btf, relo.typeId);
  let id = root.id;
  const first = spec.raw[0] as number;
  spec.accessors.push({ typeId: id, index: first });

  if (isEnumvalBased(relo.kind)) {
    const t = root.type;
    if (t === undefined || (t.kind !== 'ENUM' && t.kind !== 'ENUM64') || spec.raw.length > 1 || first >= t.values.length) {
      throw new CoreFault(`enum relocation '${str}' does not name an enumerator of ${kindLabel(root.kind)} [${id}]`);
    }
    spec.accessors[0] = { typeId: id, index: first, name: (t.values[first] as { name: string }).name };
    return spec;
  }
  if (!isFieldBased(relo.kind)) throw new CoreFault(`unknown relocation kind ${relo.kind} (${coreReloKindName(relo.kind)})`);

  spec.bitOffset = first * resolveSize(btf, id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    const cur = skipModsAndTypedefs(btf, id);
    id = cur.id;
    const t = cur.type;
    const idx = spec.raw[i] as number;
    if (t !== undefined && (t.kind === 'STRUCT' || t.kind === 'UNION')) {
      if (idx >= t.members.length) throw new CoreFault(`member index ${idx} out of range for ${kindLabel(t.kind)} [${id}] with ${t.members.length} members`);
      const m = t.members[idx] as (typeof t.members)[number];
      spec.bitOffset += m.bitOffset;
      if (m.name !== '') spec.accessors.push({ typeId: id, index: idx, name: m.name });
      id = m.type;
    } else if (t !== undefined && t.kind === 'ARRAY') {
      const elem = skipModsAndTypedefs(btf, t.type);
      if (!isFlexArray(btf, spec.accessors[spec.accessors.length - 1], t.nelems) && idx >= t.nelems) {
        throw new CoreFault(`array index ${idx} out of bounds for array [${id}] of ${t.nelems} elements`);
      }
      id = elem.id;
      spec.accessors.push({ typeId: id, index: idx });
      spec.bitOffset += idx * resolveSize(btf, id) * 8;
    } else {
      throw new CoreFault(`access '${str}' at level ${i} walks into ${kindLabel(cur.kind)} [${id}], which is neither a struct/union nor an array`);
    }
  }
  return spec;
}

/**
 * `bpf_core_format_spec`: the text libbpf prints for a spec, e.g.
 * `<byte_off> [5] struct task_struct.real_parent (0:57 @ offset 1432)`,
 * `<enumval_value> [9] enum bpf_func_id::BPF_FUNC_map_lookup_elem = 1`,
 * `<type_size> [5] struct task_struct`.
 */
export function formatCoreSpec(spec: CoreSpec): string {
  return `<${coreReloKindName(spec.kind)}> [${spec.rootTypeId}] ${describeCoreSpec(spec)}`;
}

/**
 * The spec without the kind and id: `struct task_struct.pid (0:18 @ offset 2468)`.
 * For bitfields the offset is `byte.bit`.
 */
export function describeCoreSpec(spec: CoreSpec, withOffset = true): string {
  const btf = spec.btf;
  const root = btf.typeById(spec.rootTypeId);
  let out = `${kindLabel(root.kind)} ${root.name === '' ? '<anon>' : root.name}`;
  if (isTypeBased(spec.kind)) return out;
  if (isEnumvalBased(spec.kind)) {
    const t = skipModsAndTypedefs(btf, spec.rootTypeId).type;
    const idx = spec.raw[0] ?? spec.accessors[0]?.index ?? 0;
    if (t !== undefined && (t.kind === 'ENUM' || t.kind === 'ENUM64')) {
      const e = t.values[idx];
      if (e !== undefined) {
        // libbpf prints ENUM values through a signed or unsigned 32-bit format, ENUM64 64-bit.
        const v = t.kind === 'ENUM' ? (t.signed ? (e.value as number) | 0 : (e.value as number) >>> 0) : t.signed ? BigInt.asIntN(64, BigInt(e.value)) : BigInt.asUintN(64, BigInt(e.value));
        out += `::${e.name} = ${v}`;
      }
    }
    return out;
  }
  spec.accessors.forEach((acc, i) => {
    if (acc.name !== undefined) out += `.${acc.name}`;
    else if (i > 0 || acc.index > 0) out += `[${acc.index}]`;
  });
  if (!withOffset) return out;
  const off = spec.bitOffset % 8 === 0 ? `${spec.bitOffset / 8}` : `${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8}`;
  return `${out} (${spec.raw.join(':')} @ offset ${off})`;
}
