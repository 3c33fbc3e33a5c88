/**
 * ELF constants from `include/uapi/linux/elf.h` and the System V gABI, limited to what a reader of
 * relocatable BPF objects needs. Flags that are 64-bit fields in ELF64 are `bigint`.
 */

/** `e_ident[EI_DATA]`: byte order of the file. */
export type Endianness = 'little' | 'big';

/** `e_type` values. */
export const ElfType = { NONE: 0, REL: 1, EXEC: 2, DYN: 3, CORE: 4 } as const;
export type ElfType = (typeof ElfType)[keyof typeof ElfType];

/** `e_machine` values a BPF toolchain produces (old LLVM wrote `EM_NONE` for BPF). */
export const ElfMachine = { NONE: 0, X86_64: 62, AARCH64: 183, BPF: 247 } as const;
export type ElfMachine = (typeof ElfMachine)[keyof typeof ElfMachine];

/** `sh_type` values (`SHT_*`). */
export const SectionType = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  SHLIB: 10,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
  PREINIT_ARRAY: 16,
  GROUP: 17,
  SYMTAB_SHNDX: 18,
  /** `SHT_LLVM_ADDRSIG`: LLVM's address-significance table (ignored by loaders). */
  LLVM_ADDRSIG: 0x6fff4c03,
} as const;
export type SectionType = (typeof SectionType)[keyof typeof SectionType];

/** `sh_flags` bits (`SHF_*`), 64-bit in ELF64. */
export const SectionFlags = {
  WRITE: 0x1n,
  ALLOC: 0x2n,
  EXECINSTR: 0x4n,
  MERGE: 0x10n,
  STRINGS: 0x20n,
  INFO_LINK: 0x40n,
  LINK_ORDER: 0x80n,
  OS_NONCONFORMING: 0x100n,
  GROUP: 0x200n,
  TLS: 0x400n,
  COMPRESSED: 0x800n,
  EXCLUDE: 0x80000000n,
} as const;
export type SectionFlags = (typeof SectionFlags)[keyof typeof SectionFlags];

/** Reserved section indices (`SHN_*`) that a symbol's `st_shndx` may hold. */
export const SectionIndex = {
  UNDEF: 0,
  LORESERVE: 0xff00,
  ABS: 0xfff1,
  COMMON: 0xfff2,
  /** The real index is in the `SHT_SYMTAB_SHNDX` section (or, for `e_shstrndx`, in section 0). */
  XINDEX: 0xffff,
} as const;
export type SectionIndex = (typeof SectionIndex)[keyof typeof SectionIndex];

/** `ELF64_ST_TYPE(st_info)` values (`STT_*`). */
export const SymbolType = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6 } as const;
export type SymbolType = (typeof SymbolType)[keyof typeof SymbolType];

/** `ELF64_ST_BIND(st_info)` values (`STB_*`). */
export const SymbolBinding = { LOCAL: 0, GLOBAL: 1, WEAK: 2 } as const;
export type SymbolBinding = (typeof SymbolBinding)[keyof typeof SymbolBinding];

/** `ELF64_ST_VISIBILITY(st_other)` values (`STV_*`). */
export const SymbolVisibility = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 } as const;
export type SymbolVisibility = (typeof SymbolVisibility)[keyof typeof SymbolVisibility];

/** BPF relocation types (`R_BPF_*`, LLVM's `ELFRelocs/BPF.def`). */
export const BpfRelocationType = {
  NONE: 0,
  /** `R_BPF_64_64`: the imm pair of an ldimm64 (maps, global data). */
  R_BPF_64_64: 1,
  /** `R_BPF_64_ABS64`: a 64-bit data word (e.g. `.maps` pointers, `.BTF.ext` in old LLVM). */
  R_BPF_64_ABS64: 2,
  /** `R_BPF_64_ABS32`: a 32-bit data word (DWARF, `.BTF`/`.BTF.ext` offsets). */
  R_BPF_64_ABS32: 3,
  /** `R_BPF_64_NODYLD32`: like ABS32 but ignored by the dynamic loader (`.BTF.ext` line info). */
  R_BPF_64_NODYLD32: 4,
  /** `R_BPF_64_32`: the imm of a call instruction (bpf-to-bpf calls, kfuncs). */
  R_BPF_64_32: 10,
} as const;
export type BpfRelocationType = (typeof BpfRelocationType)[keyof typeof BpfRelocationType];

/** Sizes of the fixed ELF64 records, in bytes. */
export const Elf64Size = { HEADER: 64, SECTION_HEADER: 64, SYMBOL: 24, REL: 16, RELA: 24 } as const;
