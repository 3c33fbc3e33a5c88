/**
 * ELF64 reader for BPF objects: header, sections, string tables, symbols, REL/RELA relocations,
 * both byte orders. Pure: bytes in, values out.
 */
export { parseElf, ElfFile, checkedNumber, type ParseElfOptions } from './parse.js';
export { ElfError, type ElfErrorContext } from './errors.js';
export type { ElfHeader, ElfSection, ElfSymbol, ElfRelocation } from './model.js';
export {
  ElfType,
  ElfMachine,
  SectionType,
  SectionFlags,
  SectionIndex,
  SymbolType,
  SymbolBinding,
  SymbolVisibility,
  BpfRelocationType,
  Elf64Size,
  type Endianness,
} from './constants.js';
