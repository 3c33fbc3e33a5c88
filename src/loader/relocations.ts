/**
 * Symbolic instruction relocations: what an instruction of a program refers to, by name, before
 * anything is loaded. The load half of the loader turns them into fds, offsets and BTF ids;
 * keeping them symbolic lets users edit a spec (rename, drop a map, swap a program) safely.
 *
 * Kinds follow libbpf's `enum reloc_type` as recorded by `bpf_program__record_reloc()`.
 */

/** Fields every instruction relocation has. */
export interface RelocationBase {
  /** Index of the patched instruction, counted in 8-byte slots from the program's first one. */
  readonly insnIndex: number;
  /** The ELF symbol the relocation names (a section name for `STT_SECTION` symbols). */
  readonly symbol: string;
}

/** `ld_imm64` of a map (`RELO_LD64`): `BPF_PSEUDO_MAP_FD` of map `map`. */
export interface MapRelocation extends RelocationBase {
  readonly kind: 'map';
  readonly map: string;
}

/**
 * `ld_imm64` of an address inside a global data section (`RELO_DATA`): becomes
 * `BPF_PSEUDO_MAP_VALUE` of the section's internal map at byte `offset`.
 */
export interface DataRelocation extends RelocationBase {
  readonly kind: 'data';
  /** The internal map's name (`obj.rodata`, `.data.custom`, ...). */
  readonly map: string;
  /** The ELF data section (`.rodata`, `.bss`, `.rodata.str1.1`, ...). */
  readonly section: string;
  /** Byte offset in the section: `imm` of the instruction plus the symbol's value. */
  readonly offset: number;
  /** The variable whose bytes contain `offset`, when a symbol covers it. */
  readonly variable: string | undefined;
}

/** A bpf-to-bpf call (`RELO_CALL`) to the `.text` function `target`. */
export interface CallRelocation extends RelocationBase {
  readonly kind: 'call';
  readonly target: string;
  /** Instruction index of the callee inside `.text`. */
  readonly targetInsn: number;
}

/** `ld_imm64` of a `.text` function's address (`RELO_SUBPROG_ADDR`): `bpf_loop` callbacks, ... */
export interface FuncAddrRelocation extends RelocationBase {
  readonly kind: 'funcAddr';
  readonly target: string;
  readonly targetInsn: number;
}

/** A call of a kernel function declared `__ksym` (`RELO_EXTERN_CALL`). */
export interface KfuncRelocation extends RelocationBase {
  readonly kind: 'kfunc';
  /** The extern's BTF name (see `ExternSpec`). */
  readonly extern: string;
  readonly weak: boolean;
}

/** `ld_imm64` of a kernel variable declared `__ksym` (`RELO_EXTERN_LD64`, `.ksyms`). */
export interface KsymRelocation extends RelocationBase {
  readonly kind: 'ksym';
  readonly extern: string;
  readonly weak: boolean;
}

/** `ld_imm64` of a `__kconfig` extern (`RELO_EXTERN_LD64`, `.kconfig`): a `.kconfig` map value. */
export interface KconfigRelocation extends RelocationBase {
  readonly kind: 'kconfig';
  readonly extern: string;
  readonly weak: boolean;
}

/**
 * A CO-RE relocation from `.BTF.ext` (`struct bpf_core_relo`). `symbol` is `''`: CO-RE records
 * name a BTF type and an access string, not an ELF symbol.
 */
export interface CoreRelocation extends RelocationBase {
  readonly kind: 'core';
  /** `enum bpf_core_relo_kind` as a name (`field_byte_offset`, `type_id_target`, ...). */
  readonly coreKind: CoreRelocationKind;
  /** The local (program BTF) type id the access string starts from. */
  readonly typeId: number;
  /** The local type's name, as libbpf prints it in CO-RE messages. */
  readonly typeName: string;
  /** Colon-separated accessor indices (`0:1:3`). */
  readonly accessor: string;
}

/** `enum bpf_core_relo_kind` values by their `bpf_core_relo_kind_str()` names. */
export const CoreRelocationKind = {
  field_byte_offset: 0,
  field_byte_size: 1,
  field_exists: 2,
  field_signed: 3,
  field_lshift_u64: 4,
  field_rshift_u64: 5,
  type_id_local: 6,
  type_id_target: 7,
  type_exists: 8,
  type_size: 9,
  enumval_exists: 10,
  enumval_value: 11,
  type_matches: 12,
} as const;
/** A CO-RE relocation kind's name. */
export type CoreRelocationKind = keyof typeof CoreRelocationKind;

/** Every relocation a program instruction can carry. */
export type Relocation =
  | MapRelocation
  | DataRelocation
  | CallRelocation
  | FuncAddrRelocation
  | KfuncRelocation
  | KsymRelocation
  | KconfigRelocation
  | CoreRelocation;
