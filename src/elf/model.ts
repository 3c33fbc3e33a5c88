import type { Endianness } from './constants.js';

/** The ELF64 file header (`Elf64_Ehdr`), with the extended-numbering escapes already resolved. */
export interface ElfHeader {
  /** `e_ident[EI_CLASS]`: always 2 (ELFCLASS64); 32-bit files are rejected. */
  readonly class: 64;
  /** `e_ident[EI_DATA]`: byte order (`-target bpfeb` objects are big-endian). */
  readonly endianness: Endianness;
  /** `e_ident[EI_OSABI]`. */
  readonly osAbi: number;
  /** `e_type` (see `ElfType`): BPF objects are `ET_REL`. */
  readonly type: number;
  /** `e_machine` (see `ElfMachine`). */
  readonly machine: number;
  /** `e_version`. */
  readonly version: number;
  /** `e_entry`. */
  readonly entry: bigint;
  /** `e_phoff`. */
  readonly programHeaderOffset: bigint;
  /** `e_shoff`. */
  readonly sectionHeaderOffset: number;
  /** `e_flags`. */
  readonly flags: number;
  /** `e_phnum`. */
  readonly programHeaderCount: number;
  /** The number of sections (`e_shnum`, or section 0's `sh_size` when that is 0). */
  readonly sectionCount: number;
  /** Index of the section-name string table (`e_shstrndx`, or section 0's `sh_link` for `SHN_XINDEX`). */
  readonly sectionNameTableIndex: number;
}

/** One section header (`Elf64_Shdr`) and zero-copy access to its contents. */
export interface ElfSection {
  /** Position in the section header table. */
  readonly index: number;
  /** Name from the section-name string table (`sh_name` resolved). */
  readonly name: string;
  /** `sh_name`: offset of the name in the section-name string table. */
  readonly nameOffset: number;
  /** `sh_type` (see `SectionType`). */
  readonly type: number;
  /** `sh_flags` (see `SectionFlags`). */
  readonly flags: bigint;
  /** `sh_addr`. */
  readonly addr: bigint;
  /** `sh_offset`: where the contents start in the file. */
  readonly offset: number;
  /** `sh_size`: size in bytes (for `SHT_NOBITS`, the size in memory; nothing is in the file). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info`. */
  readonly info: number;
  /** `sh_addralign`. */
  readonly addralign: number;
  /** `sh_entsize`. */
  readonly entsize: number;
  /** The contents as a view into the file's bytes (empty for `SHT_NOBITS` and `SHT_NULL`). */
  data(): Uint8Array;
}

/** One symbol table entry (`Elf64_Sym`). */
export interface ElfSymbol {
  /** Position in the symbol table (what relocations refer to). */
  readonly index: number;
  /** Name from the linked string table (`st_name` resolved; `''` for unnamed symbols). */
  readonly name: string;
  /** `st_value`: for relocatable objects, the offset within the symbol's section. */
  readonly value: bigint;
  /** `st_size`. */
  readonly size: bigint;
  /** `ELF64_ST_TYPE(st_info)` (see `SymbolType`). */
  readonly type: number;
  /** `ELF64_ST_BIND(st_info)` (see `SymbolBinding`). */
  readonly bind: number;
  /** `ELF64_ST_VISIBILITY(st_other)` (see `SymbolVisibility`). */
  readonly visibility: number;
  /** `st_other` as stored (visibility in the low 2 bits). */
  readonly other: number;
  /**
   * The section the symbol is defined in: `st_shndx`, with `SHN_XINDEX` replaced by the entry in
   * `SHT_SYMTAB_SHNDX`. Reserved values (`SHN_UNDEF`, `SHN_ABS`, `SHN_COMMON`) are kept as is.
   */
  readonly shndx: number;
}

/** One relocation (`Elf64_Rel` or `Elf64_Rela`). */
export interface ElfRelocation {
  /** `r_offset`: byte offset within the target section (`sh_info` of the relocation section). */
  readonly offset: bigint;
  /** `ELF64_R_SYM(r_info)`: index into the linked symbol table. */
  readonly symbol: number;
  /** `ELF64_R_TYPE(r_info)` (see `BpfRelocationType`). */
  readonly type: number;
  /** `r_addend` for `SHT_RELA`; `0n` for `SHT_REL`. */
  readonly addend: bigint;
}
