import type { Btf } from './btf.js';
import type { BtfType } from './types.js';

/**
 * BTF kinds and features the target kernel supports (libbpf's `FEAT_BTF_*` probes; the kernel
 * version that added each is noted). `sanitizeBtf` rewrites whatever is `false`.
 */
export interface BtfFeatures {
  /** `FEAT_BTF_FUNC`: FUNC and FUNC_PROTO (5.0). */
  readonly func: boolean;
  /** `FEAT_BTF_GLOBAL_FUNC`: FUNC linkage other than static (5.6). */
  readonly funcGlobal: boolean;
  /** `FEAT_BTF_DATASEC`: VAR and DATASEC (5.2). */
  readonly datasec: boolean;
  /** `FEAT_BTF_FLOAT`: FLOAT (5.13). */
  readonly float: boolean;
  /** `FEAT_BTF_DECL_TAG`: DECL_TAG (5.16). */
  readonly declTag: boolean;
  /** `FEAT_BTF_TYPE_TAG`: TYPE_TAG (5.17). */
  readonly typeTag: boolean;
  /** `FEAT_BTF_ENUM64`: ENUM64 and signed ENUM (6.0). */
  readonly enum64: boolean;
  /** `FEAT_BTF_QMARK_DATASEC`: DATASEC names starting with '?' (5.19, libbpf's optional maps). */
  readonly qmarkDatasec: boolean;
}

/** Every feature present: `sanitizeBtf` with these changes nothing. */
export const ALL_BTF_FEATURES: BtfFeatures = {
  func: true,
  funcGlobal: true,
  datasec: true,
  float: true,
  declTag: true,
  typeTag: true,
  enum64: true,
  qmarkDatasec: true,
};

/** Name of the INT libbpf appends as the member type of ENUM64s turned into UNIONs. */
export const ENUM64_PLACEHOLDER_NAME = 'enum64_placeholder';

/**
 * libbpf's `bpf_object__sanitize_btf`: rewrites program BTF so a kernel lacking some kinds
 * accepts it, keeping every type id and record size:
 * VAR and DECL_TAG -> INT (size 1, 8 bits); DATASEC -> STRUCT (members named after the VARs at
 * `offset * 8`, `.`/`?` in the name -> `_`); '?'-prefixed DATASEC name -> '_'; FUNC_PROTO -> ENUM
 * (size 4, one value per parameter); FUNC -> TYPEDEF, or global/extern FUNC -> static;
 * FLOAT -> anonymous empty STRUCT of equal size; TYPE_TAG -> anonymous CONST; signed ENUM ->
 * unsigned; ENUM64 -> UNION whose members all have the appended `enum64_placeholder` INT type.
 * Returns the rewritten list of the blob's own types (the placeholder, if needed, last).
 *
 * @example
 * ```ts
 * const types = sanitizeBtf(btf, { ...ALL_BTF_FEATURES, enum64: false });
 * const bytes = encodeBtf(types, BtfStringTable.from(btf.strings));
 * ```
 */
export function sanitizeBtf(btf: Btf | readonly BtfType[], features: BtfFeatures, firstId = 1): BtfType[] {
  const types = Array.isArray(btf) ? [...(btf as readonly BtfType[])] : [...(btf as Btf).types()];
  const start = Array.isArray(btf) ? firstId : (btf as Btf).firstId;
  const original = types.slice();
  const nameOf = (id: number): string => {
    const own = original[id - start];
    if (own !== undefined) return own.name;
    return Array.isArray(btf) ? '' : (btf as Btf).typeName(id);
  };
  let placeholderId = 0;
  for (let i = 0; i < original.length; i++) {
    const t = original[i] as BtfType;
    const id = t.id;
    if ((!features.datasec && t.kind === 'VAR') || (!features.declTag && t.kind === 'DECL_TAG')) {
      // size 1 is the safest choice: 4 could exceed the variable and fail kernel validation.
      types[i] = { kind: 'INT', id, name: t.name, size: 1, encoding: 0, bitOffset: 0, bits: 8 };
    } else if (!features.datasec && t.kind === 'DATASEC') {
      types[i] = {
        kind: 'STRUCT',
        id,
        name: t.name.replace(/[.?]/g, '_'),
        size: t.size,
        kindFlag: false,
        members: t.vars.map((v) => ({ name: nameOf(v.type), type: v.type, bitOffset: (v.offset * 8) >>> 0, bitfieldSize: 0 })),
      };
    } else if (!features.qmarkDatasec && t.kind === 'DATASEC' && t.name.startsWith('?')) {
      types[i] = { ...t, name: '_' + t.name.slice(1) };
    } else if (!features.func && t.kind === 'FUNC_PROTO') {
      types[i] = { kind: 'ENUM', id, name: t.name, size: 4, signed: false, values: t.params.map((p) => ({ name: p.name, value: p.type })) };
    } else if (!features.func && t.kind === 'FUNC') {
      types[i] = { kind: 'TYPEDEF', id, name: t.name, type: t.type };
    } else if (!features.funcGlobal && t.kind === 'FUNC') {
      types[i] = { ...t, linkage: 0 };
    } else if (!features.float && t.kind === 'FLOAT') {
      // C compilers reject e.g. "float" as a struct name, so the stand-in is anonymous.
      types[i] = { kind: 'STRUCT', id, name: '', size: t.size, kindFlag: false, members: [] };
    } else if (!features.typeTag && t.kind === 'TYPE_TAG') {
      types[i] = { kind: 'CONST', id, name: '', type: t.type };
    } else if (!features.enum64 && t.kind === 'ENUM') {
      types[i] = { ...t, signed: false, values: t.values.map((v) => ({ name: v.name, value: v.value >>> 0 })) };
    } else if (!features.enum64 && t.kind === 'ENUM64') {
      if (placeholderId === 0) {
        placeholderId = start + types.length;
        types.push({ kind: 'INT', id: placeholderId, name: ENUM64_PLACEHOLDER_NAME, size: 1, encoding: 0, bitOffset: 0, bits: 8 });
      }
      const type = placeholderId;
      types[i] = { kind: 'UNION', id, name: t.name, size: t.size, kindFlag: false, members: t.values.map((v) => ({ name: v.name, type, bitOffset: 0, bitfieldSize: 0 })) };
    }
  }
  return types;
}
