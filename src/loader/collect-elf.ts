/**
 * libbpf's `bpf_object__elf_collect()`: sort an object's sections into what the later phases
 * need (program sections, data sections, map sections, relocations, license, version, BTF).
 */
import { parseBtf, type Btf } from '../btf/btf.js';
import { SectionFlags, SectionType } from '../elf/constants.js';
import type { ElfSection } from '../elf/model.js';
import type { ElfFile } from '../elf/parse.js';
import type { DataSectionKind } from './data-section.js';
import { ObjectSpecError } from './errors.js';

/** The ELF section names libbpf gives meaning to. */
export const SpecialSection = {
  LICENSE: 'license',
  VERSION: 'version',
  LEGACY_MAPS: 'maps',
  MAPS: '.maps',
  BTF: '.BTF',
  BTF_EXT: '.BTF.ext',
  TEXT: '.text',
  KCONFIG: '.kconfig',
  KSYMS: '.ksyms',
} as const;

/** A data section and the internal map kind it becomes. */
export interface CollectedDataSection {
  readonly section: ElfSection;
  readonly kind: DataSectionKind;
}

/** Everything the later phases read, found in one pass over the section headers. */
export interface ObjectContext {
  readonly fileName: string | undefined;
  /** libbpf's object name: the file's base name up to its first `.` (`maps` of `maps.bpf.o`). */
  readonly objectName: string;
  readonly elf: ElfFile;
  readonly btf: Btf | undefined;
  /** The raw `.BTF.ext` section, when present. */
  readonly btfExt: Uint8Array | undefined;
  /** Index of `.text` (0 when the object has no subprograms). */
  readonly textIndex: number;
  /** Index of `.maps` (0 when none). */
  readonly mapsIndex: number;
  /** Index of the legacy `maps` section (0 when none). */
  readonly legacyMapsIndex: number;
  /** Executable sections with instructions, `.text` included, in index order. */
  readonly programSections: readonly ElfSection[];
  /** `.struct_ops`, `.struct_ops.link` and their `?`-prefixed forms, in index order. */
  readonly structOpsSections: readonly ElfSection[];
  /** `.data*`, `.rodata*` and `.bss*` sections with contents, in index order. */
  readonly dataSections: readonly CollectedDataSection[];
  /** `SHT_REL` sections by the index of the section they patch (programs, `.maps`, struct_ops). */
  readonly relocationSections: ReadonlyMap<number, ElfSection>;
  /** The `license` string (up to its NUL), `''` when the object has none. */
  readonly license: string;
  /** The `version` section's u32, `undefined` when absent. */
  readonly kernelVersion: number | undefined;
}

const DWARF_PREFIX = '.debug_';
/** Sections holding struct_ops map values (`?` means "do not create by default"). */
const STRUCT_OPS_SECTIONS: ReadonlySet<string> = new Set(['.struct_ops', '.struct_ops.link', '?.struct_ops', '?.struct_ops.link']);

function isDwarf(name: string): boolean {
  return name.startsWith(DWARF_PREFIX);
}

function isDataName(name: string, base: string): boolean {
  return name === base || name.startsWith(`${base}.`);
}

/** libbpf's object name: the base name without directories and without anything after the first dot. */
export function objectNameOf(fileName: string | undefined): string {
  if (fileName === undefined || fileName === '') return 'object';
  const base = fileName.slice(fileName.lastIndexOf('/') + 1);
  const dot = base.indexOf('.');
  return dot > 0 ? base.slice(0, dot) : base;
}

/**
 * Collects the sections of a parsed BPF ELF file. Throws `ObjectSpecError` for what libbpf
 * rejects at this stage (no symbol table, a `version` that is not 4 bytes, a malformed `.BTF`).
 */
export function collectElf(elf: ElfFile, fileName: string | undefined): ObjectContext {
  const where = { fileName };
  if (elf.symbolTable === undefined) {
    throw new ObjectSpecError("no symbol table ('.symtab'): stripped object file?", where);
  }
  let textIndex = 0;
  let mapsIndex = 0;
  let legacyMapsIndex = 0;
  let btf: Btf | undefined;
  let btfExt: Uint8Array | undefined;
  let license = '';
  let kernelVersion: number | undefined;
  const programSections: ElfSection[] = [];
  const structOpsSections: ElfSection[] = [];
  const dataSections: CollectedDataSection[] = [];
  const relocationSections = new Map<number, ElfSection>();
  const relocs: ElfSection[] = [];

  for (const section of elf.sections) {
    const name = section.name;
    if (section.type === SectionType.STRTAB || section.type === SectionType.NULL) continue;
    if (isDwarf(name)) continue;
    if (name === SpecialSection.LICENSE) {
      const data = section.data();
      const nul = data.indexOf(0);
      license = Buffer.from(data.subarray(0, nul < 0 ? data.length : nul)).toString('utf8');
    } else if (name === SpecialSection.VERSION) {
      const data = section.data();
      if (data.length !== 4) {
        throw new ObjectSpecError(`invalid kernel version section: ${data.length} bytes, expected 4`, { ...where, section: name });
      }
      kernelVersion = new DataView(data.buffer, data.byteOffset, 4).getUint32(0, elf.endianness === 'little');
    } else if (name === SpecialSection.LEGACY_MAPS) {
      legacyMapsIndex = section.index;
    } else if (name === SpecialSection.MAPS) {
      mapsIndex = section.index;
    } else if (name === SpecialSection.BTF) {
      try {
        btf = parseBtf(section.data());
      } catch (e) {
        throw new ObjectSpecError(`malformed BTF: ${(e as Error).message}`, { ...where, section: name }, { cause: e });
      }
    } else if (name === SpecialSection.BTF_EXT) {
      btfExt = section.data();
    } else if (section.type === SectionType.PROGBITS && section.size > 0) {
      if ((section.flags & SectionFlags.EXECINSTR) !== 0n) {
        if (name === SpecialSection.TEXT) textIndex = section.index;
        programSections.push(section);
      } else if (isDataName(name, '.data')) {
        dataSections.push({ section, kind: 'data' });
      } else if (isDataName(name, '.rodata')) {
        dataSections.push({ section, kind: 'rodata' });
      } else if (STRUCT_OPS_SECTIONS.has(name)) {
        structOpsSections.push(section);
      }
    } else if (section.type === SectionType.NOBITS && isDataName(name, '.bss') && section.size > 0) {
      dataSections.push({ section, kind: 'bss' });
    } else if (section.type === SectionType.REL) {
      relocs.push(section);
    }
  }
  // Relocations are kept only for sections later phases read; DWARF and BTF ones are noise here.
  for (const rel of relocs) {
    if (rel.info === 0 || rel.info >= elf.sections.length) continue;
    const target = elf.section(rel.info);
    const isProgram = target.type === SectionType.PROGBITS && (target.flags & SectionFlags.EXECINSTR) !== 0n;
    if (isProgram || target.index === mapsIndex || STRUCT_OPS_SECTIONS.has(target.name)) relocationSections.set(target.index, rel);
  }
  return {
    fileName,
    objectName: objectNameOf(fileName),
    elf,
    btf,
    btfExt,
    textIndex,
    mapsIndex,
    legacyMapsIndex,
    programSections,
    structOpsSections,
    dataSections,
    relocationSections,
    license,
    kernelVersion,
  };
}
