/**
 * The BTF type model shared by the parser, the encoder, the dumpers, CO-RE and the loader.
 *
 * Types reference each other by id (a `number`), never by object, so that kernel BTF can be
 * inflated lazily and cyclic graphs need no special handling. Mirrors `struct btf_type` and the
 * per-kind trailing records of `include/uapi/linux/btf.h`.
 */

/** `BTF_KIND_*` numbers, keyed by the names bpftool prints in `btf dump ... format raw`. */
export const BtfKind = {
  UNKN: 0,
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;
/** A kind's name, as in `BTF_KIND_<name>`. */
export type BtfKindName = keyof typeof BtfKind;

/** `BTF_INT_*` encoding bits of an INT type. */
export const BtfIntEncoding = { SIGNED: 1, CHAR: 2, BOOL: 4 } as const;

/** Linkage of FUNC (`BTF_FUNC_*`) and VAR (`BTF_VAR_*`) types. */
export const BtfLinkage = { STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const;
export type BtfLinkage = (typeof BtfLinkage)[keyof typeof BtfLinkage];

interface BtfTypeCommon {
  /** Type id; 0 is `void` and never appears as a parsed type. */
  readonly id: number;
  /** The type's name; `''` for anonymous types. */
  readonly name: string;
}

/** `BTF_KIND_INT`: size in bytes, encoding bits, and the bit offset/width inside the storage. */
export interface BtfInt extends BtfTypeCommon {
  readonly kind: 'INT';
  readonly size: number;
  /** `BtfIntEncoding` bits. */
  readonly encoding: number;
  readonly bitOffset: number;
  readonly bits: number;
}

/** Kinds that are a name (maybe empty) plus one referenced type. */
export interface BtfRefType extends BtfTypeCommon {
  readonly kind: 'PTR' | 'TYPEDEF' | 'VOLATILE' | 'CONST' | 'RESTRICT';
  readonly type: number;
}

/** `BTF_KIND_TYPE_TAG`: `kindFlag` set means an attribute tag (kernel 6.13+). */
export interface BtfTypeTag extends BtfTypeCommon {
  readonly kind: 'TYPE_TAG';
  readonly type: number;
  readonly kindFlag: boolean;
}

/** `BTF_KIND_ARRAY` with its `struct btf_array`. */
export interface BtfArray extends BtfTypeCommon {
  readonly kind: 'ARRAY';
  readonly type: number;
  readonly indexType: number;
  readonly nelems: number;
}

/** One member of a STRUCT or UNION. Without the kind flag `bitfieldSize` is 0. */
export interface BtfMember {
  readonly name: string;
  readonly type: number;
  readonly bitOffset: number;
  readonly bitfieldSize: number;
}

/** `BTF_KIND_STRUCT` / `BTF_KIND_UNION`. `kindFlag` says members carry bitfield sizes. */
export interface BtfComposite extends BtfTypeCommon {
  readonly kind: 'STRUCT' | 'UNION';
  readonly size: number;
  readonly kindFlag: boolean;
  readonly members: readonly BtfMember[];
}

/** `BTF_KIND_ENUM` (32-bit values). `signed` is the kind flag. */
export interface BtfEnum extends BtfTypeCommon {
  readonly kind: 'ENUM';
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly { readonly name: string; readonly value: number }[];
}

/** `BTF_KIND_ENUM64`. `signed` is the kind flag. */
export interface BtfEnum64 extends BtfTypeCommon {
  readonly kind: 'ENUM64';
  readonly size: number;
  readonly signed: boolean;
  readonly values: readonly { readonly name: string; readonly value: bigint }[];
}

/** `BTF_KIND_FWD`: `union` is the kind flag. */
export interface BtfFwd extends BtfTypeCommon {
  readonly kind: 'FWD';
  readonly union: boolean;
}

/** `BTF_KIND_FUNC`: `type` is its FUNC_PROTO. */
export interface BtfFunc extends BtfTypeCommon {
  readonly kind: 'FUNC';
  readonly type: number;
  readonly linkage: BtfLinkage;
}

/** `BTF_KIND_FUNC_PROTO`. A trailing `{ name: '', type: 0 }` parameter means `...`. */
export interface BtfFuncProto extends BtfTypeCommon {
  readonly kind: 'FUNC_PROTO';
  readonly returnType: number;
  readonly params: readonly { readonly name: string; readonly type: number }[];
}

/** `BTF_KIND_VAR`. */
export interface BtfVar extends BtfTypeCommon {
  readonly kind: 'VAR';
  readonly type: number;
  readonly linkage: BtfLinkage;
}

/** One `struct btf_var_secinfo` of a DATASEC. */
export interface BtfVarSecinfo {
  readonly type: number;
  readonly offset: number;
  readonly size: number;
}

/** `BTF_KIND_DATASEC`. Size and offsets may be 0 in clang output until fixed up from the ELF. */
export interface BtfDatasec extends BtfTypeCommon {
  readonly kind: 'DATASEC';
  readonly size: number;
  readonly vars: readonly BtfVarSecinfo[];
}

/** `BTF_KIND_FLOAT`. */
export interface BtfFloat extends BtfTypeCommon {
  readonly kind: 'FLOAT';
  readonly size: number;
}

/** `BTF_KIND_DECL_TAG`: `componentIdx` -1 tags the type itself, else a member/parameter. */
export interface BtfDeclTag extends BtfTypeCommon {
  readonly kind: 'DECL_TAG';
  readonly type: number;
  readonly componentIdx: number;
  readonly kindFlag: boolean;
}

/** Any BTF type except `void` (id 0). */
export type BtfType =
  | BtfInt
  | BtfRefType
  | BtfTypeTag
  | BtfArray
  | BtfComposite
  | BtfEnum
  | BtfEnum64
  | BtfFwd
  | BtfFunc
  | BtfFuncProto
  | BtfVar
  | BtfDatasec
  | BtfFloat
  | BtfDeclTag;

/**
 * Read access to a set of BTF types, implemented by the parser's `Btf` class (vmlinux, module,
 * program BTF; split BTF sees its base's types too). Ids run from 1 to `typeCount - 1`.
 */
export interface BtfTypeTable {
  /** One more than the largest valid type id (id 0 is `void`). */
  readonly typeCount: number;
  /** The type with this id (inflated on first use); throws `BtfError` for 0 or out of range. */
  typeById(id: number): BtfType;
  /** Ids of the types with this exact name, optionally of one kind, in ascending order. */
  findByName(name: string, kind?: BtfKindName): readonly number[];
}
