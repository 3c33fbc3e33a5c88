import { ByteReader } from './byte-reader.js';
import { Elf64Size, ElfMachine, SectionFlags, SectionIndex, SectionType, type Endianness } from './constants.js';
import { ElfError, type ElfErrorContext } from './errors.js';
import type { ElfHeader, ElfRelocation, ElfSection, ElfSymbol } from './model.js';

/** Options of {@link parseElf}. */
export interface ParseElfOptions {
  /** Named in every `ElfError` message. */
  readonly fileName?: string;
  /**
   * `e_machine` values to accept; `'any'` accepts every machine. Default: `EM_BPF` and `EM_NONE`
   * (which LLVM before 3.9 wrote for BPF objects, and libbpf still accepts).
   */
  readonly machines?: readonly number[] | 'any';
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const;
const EI_CLASS = 4, EI_DATA = 5, EI_VERSION = 6, EI_OSABI = 7;
const ELFCLASS32 = 1, ELFCLASS64 = 2;
const ELFDATA2LSB = 1, ELFDATA2MSB = 2;
const EV_CURRENT = 1;

const utf8 = new TextDecoder('utf-8');

/**
 * Converts a 64-bit ELF field to a `number`, throwing an `ElfError` when it exceeds
 * `Number.MAX_SAFE_INTEGER` (no real file has such offsets or sizes; a corrupt one does).
 */
export function checkedNumber(value: bigint, what: string, context: ElfErrorContext): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new ElfError(`${what} 0x${value.toString(16)} is too large`, context);
  return Number(value);
}

class Section implements ElfSection {
  constructor(
    private readonly bytes: Uint8Array,
    readonly index: number,
    readonly name: string,
    readonly nameOffset: number,
    readonly type: number,
    readonly flags: bigint,
    readonly addr: bigint,
    readonly offset: number,
    readonly size: number,
    readonly link: number,
    readonly info: number,
    readonly addralign: number,
    readonly entsize: number,
  ) {}

  data(): Uint8Array {
    if (!hasFileContents(this.type)) return this.bytes.subarray(0, 0);
    return this.bytes.subarray(this.offset, this.offset + this.size);
  }
}

function hasFileContents(type: number): boolean {
  return type !== SectionType.NOBITS && type !== SectionType.NULL;
}

interface RawSection {
  readonly headerOffset: number;
  readonly nameOffset: number;
  readonly type: number;
  readonly flags: bigint;
  readonly addr: bigint;
  readonly offset: number;
  readonly size: number;
  readonly link: number;
  readonly info: number;
  readonly addralign: number;
  readonly entsize: number;
}

/**
 * A parsed ELF64 file: header, sections, symbols, and relocations on demand. Every structural
 * property a consumer relies on (bounds, non-overlap, string termination, link/info indices,
 * symbol section indices) has been validated by {@link parseElf}.
 */
export class ElfFile {
  /** Symbols of the `SHT_SYMTAB` section (empty when there is none); index 0 is the null symbol. */
  readonly symbols: readonly ElfSymbol[];
  /** The `SHT_SYMTAB` section, if any. */
  readonly symbolTable: ElfSection | undefined;
  private readonly reader: ByteReader;

  constructor(
    /** The whole file; every `data()` is a view into it. */
    readonly bytes: Uint8Array,
    /** `Elf64_Ehdr`. */
    readonly header: ElfHeader,
    /** `Elf64_Shdr` table, in file order (index 0 is the null section). */
    readonly sections: readonly ElfSection[],
    /** As given to `parseElf`. */
    readonly fileName: string | undefined,
  ) {
    this.reader = new ByteReader(bytes, header.endianness);
    const symtabs = sections.filter((s) => s.type === SectionType.SYMTAB);
    if (symtabs.length > 1) {
      const second = symtabs[1] as ElfSection;
      throw this.error(`more than one SHT_SYMTAB section (first is #${(symtabs[0] as ElfSection).index})`, second, second.offset);
    }
    this.symbolTable = symtabs[0];
    this.symbols = this.symbolTable === undefined ? [] : this.readSymbols(this.symbolTable);
  }

  /** The endianness of every multi-byte field (and of the BPF instructions inside). */
  get endianness(): Endianness {
    return this.header.endianness;
  }

  /** The first section called `name`, if any. */
  sectionByName(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  /** The section at `index`; throws an `ElfError` when there is none. */
  section(index: number): ElfSection {
    const section = this.sections[index];
    if (section === undefined) throw this.error(`section index ${index} out of range (${this.sections.length} sections)`, undefined, this.header.sectionHeaderOffset);
    return section;
  }

  /**
   * The entries of an `SHT_REL` or `SHT_RELA` section. Each symbol index is checked against the
   * linked symbol table and each offset against the size of the target section (`sh_info`).
   *
   * @example
   * ```ts
   * for (const rel of elf.sections.filter((s) => s.type === SectionType.REL)) {
   *   const target = elf.section(rel.info);
   *   for (const r of elf.relocations(rel)) console.log(target.name, r.offset, elf.symbols[r.symbol]?.name);
   * }
   * ```
   */
  relocations(section: ElfSection): ElfRelocation[] {
    const rela = section.type === SectionType.RELA;
    if (!rela && section.type !== SectionType.REL) throw this.error(`not a relocation section (sh_type ${section.type})`, section, section.offset);
    const entrySize = rela ? Elf64Size.RELA : Elf64Size.REL;
    const target = this.sections[section.info];
    const out: ElfRelocation[] = [];
    const count = section.size / entrySize;
    for (let i = 0; i < count; i++) {
      const at = section.offset + i * entrySize;
      const offset = this.reader.u64(at);
      const info = this.reader.u64(at + 8);
      const symbol = Number(info >> 32n);
      const type = Number(info & 0xffffffffn);
      const addend = rela ? this.reader.i64(at + 16) : 0n;
      if (symbol >= this.symbols.length) throw this.error(`relocation ${i} refers to symbol ${symbol}, but the symbol table has ${this.symbols.length}`, section, at + 8);
      if (target !== undefined && section.info !== 0 && offset >= BigInt(target.size)) {
        throw this.error(`relocation ${i} offset 0x${offset.toString(16)} is outside target section '${target.name}' (size 0x${target.size.toString(16)})`, section, at);
      }
      out.push({ offset, symbol, type, addend });
    }
    return out;
  }

  private error(reason: string, section: ElfSection | undefined, offset: number): ElfError {
    return new ElfError(reason, { fileName: this.fileName, section: section === undefined ? undefined : sectionLabel(section), offset });
  }

  private readSymbols(symtab: ElfSection): ElfSymbol[] {
    const strtab = this.sections[symtab.link] as ElfSection; // validated by parseElf
    const count = symtab.size / Elf64Size.SYMBOL;
    const xindex = this.sections.find((s) => s.type === SectionType.SYMTAB_SHNDX && s.link === symtab.index);
    if (xindex !== undefined && xindex.size < count * 4) {
      throw this.error(`SHT_SYMTAB_SHNDX has ${xindex.size / 4} entries for ${count} symbols`, xindex, xindex.offset);
    }
    const strings = strtab.data();
    const symbols: ElfSymbol[] = [];
    for (let index = 0; index < count; index++) {
      const at = symtab.offset + index * Elf64Size.SYMBOL;
      const nameOffset = this.reader.u32(at);
      const infoByte = this.reader.u8(at + 4);
      const other = this.reader.u8(at + 5);
      let shndx = this.reader.u16(at + 6);
      const value = this.reader.u64(at + 8);
      const size = this.reader.u64(at + 16);
      if (nameOffset >= strings.length && !(nameOffset === 0 && strings.length === 0)) {
        throw this.error(`symbol ${index} name offset ${nameOffset} is outside string table '${strtab.name}' (size ${strings.length})`, symtab, at);
      }
      if (shndx === SectionIndex.XINDEX) {
        if (xindex === undefined) throw this.error(`symbol ${index} has st_shndx SHN_XINDEX but there is no SHT_SYMTAB_SHNDX section`, symtab, at + 6);
        shndx = this.reader.u32(xindex.offset + index * 4);
        if (shndx >= this.sections.length) {
          throw this.error(`symbol ${index} extended section index ${shndx} out of range (${this.sections.length} sections)`, xindex, xindex.offset + index * 4);
        }
      } else if (shndx < SectionIndex.LORESERVE && shndx >= this.sections.length) {
        throw this.error(`symbol ${index} section index ${shndx} out of range (${this.sections.length} sections)`, symtab, at + 6);
      }
      symbols.push({
        index,
        name: readString(strings, nameOffset),
        value,
        size,
        type: infoByte & 0xf,
        bind: infoByte >> 4,
        visibility: other & 0x3,
        other,
        shndx,
      });
    }
    return symbols;
  }
}

function sectionLabel(section: { readonly index: number; readonly name: string }): string {
  return section.name === '' ? `#${section.index}` : section.name;
}

/** Reads a NUL-terminated string; the table is known to end in NUL. */
function readString(table: Uint8Array, offset: number): string {
  if (offset >= table.length) return '';
  const end = table.indexOf(0, offset);
  return utf8.decode(table.subarray(offset, end < 0 ? table.length : end));
}

/**
 * Parses and validates an ELF64 file (little- or big-endian). Section contents are not copied.
 * Throws an {@link ElfError} naming the file, section and byte offset of the first problem found.
 *
 * @example
 * ```ts
 * const elf = parseElf(readFileSync('prog.bpf.o'), { fileName: 'prog.bpf.o' });
 * const text = elf.sectionByName('.text')?.data();
 * for (const sym of elf.symbols) if (sym.type === SymbolType.FUNC) console.log(sym.name, sym.value);
 * ```
 */
export function parseElf(bytes: Uint8Array, options: ParseElfOptions = {}): ElfFile {
  const fileName = options.fileName;
  const fail = (reason: string, offset: number, section?: string): never => {
    throw new ElfError(reason, { fileName, section, offset });
  };

  // e_ident first: nothing else can be read before the byte order is known.
  if (bytes.length < 16) fail(`file too short for an ELF identification (${bytes.length} bytes)`, 0);
  for (let i = 0; i < ELF_MAGIC.length; i++) if (bytes[i] !== ELF_MAGIC[i]) fail('not an ELF file (bad magic)', i);
  const elfClass = bytes[EI_CLASS] as number;
  if (elfClass === ELFCLASS32) fail('32-bit ELF (ELFCLASS32) is not supported: BPF objects are ELF64', EI_CLASS);
  if (elfClass !== ELFCLASS64) fail(`invalid ELF class ${elfClass}`, EI_CLASS);
  const data = bytes[EI_DATA] as number;
  if (data !== ELFDATA2LSB && data !== ELFDATA2MSB) fail(`invalid ELF data encoding ${data}`, EI_DATA);
  if (bytes[EI_VERSION] !== EV_CURRENT) fail(`unsupported ELF identification version ${bytes[EI_VERSION] as number}`, EI_VERSION);
  const endianness: Endianness = data === ELFDATA2LSB ? 'little' : 'big';
  if (bytes.length < Elf64Size.HEADER) fail(`file too short for an ELF64 header (${bytes.length} of ${Elf64Size.HEADER} bytes)`, 0);
  const r = new ByteReader(bytes, endianness);

  const type = r.u16(16);
  const machine = r.u16(18);
  const version = r.u32(20);
  const entry = r.u64(24);
  const programHeaderOffset = r.u64(32);
  const shoffRaw = r.u64(40);
  const flags = r.u32(48);
  const ehsize = r.u16(52);
  const phentsize = r.u16(54);
  const phnum = r.u16(56);
  const shentsize = r.u16(58);
  const shnumRaw = r.u16(60);
  const shstrndxRaw = r.u16(62);

  const machines = options.machines ?? [ElfMachine.BPF, ElfMachine.NONE];
  if (machines !== 'any' && !machines.includes(machine)) fail(`wrong machine: e_machine ${machine}, expected ${machines.join(' or ')} (EM_BPF is 247)`, 18);
  if (version !== EV_CURRENT) fail(`unsupported ELF version ${version}`, 20);
  if (ehsize < Elf64Size.HEADER) fail(`e_ehsize ${ehsize} is smaller than an ELF64 header`, 52);
  const shoff = checkedNumber(shoffRaw, 'e_shoff', { fileName, offset: 40 });
  if (phnum > 0) {
    const phoff = checkedNumber(programHeaderOffset, 'e_phoff', { fileName, offset: 32 });
    if (phoff + phnum * phentsize > bytes.length) fail(`program header table (${phnum} x ${phentsize} bytes at 0x${phoff.toString(16)}) extends past the end of the file`, 32);
  }

  const header0 = (field: number): number => shoff + field; // fields of section 0 used for escapes
  let sectionCount = shnumRaw;
  let shstrndx = shstrndxRaw;
  if (shoff !== 0) {
    if (shentsize !== Elf64Size.SECTION_HEADER) fail(`e_shentsize ${shentsize}, expected ${Elf64Size.SECTION_HEADER}`, 58);
    if (shoff < Elf64Size.HEADER) fail(`section header table at 0x${shoff.toString(16)} overlaps the ELF header`, 40);
    if (shoff + Elf64Size.SECTION_HEADER > bytes.length) fail(`section header table at 0x${shoff.toString(16)} is past the end of the file (${bytes.length} bytes)`, 40);
    // Extended numbering: more than 0xff00 sections put the real counts in section 0.
    if (shnumRaw === 0) sectionCount = checkedNumber(r.u64(header0(32)), 'section 0 sh_size (extended e_shnum)', { fileName, offset: header0(32) });
    if (shstrndxRaw === SectionIndex.XINDEX) shstrndx = r.u32(header0(40));
  } else if (shnumRaw !== 0) {
    fail(`e_shnum is ${shnumRaw} but e_shoff is 0`, 60);
  }
  if (shoff !== 0 && shoff + sectionCount * Elf64Size.SECTION_HEADER > bytes.length) {
    fail(`section header table (${sectionCount} x ${Elf64Size.SECTION_HEADER} bytes at 0x${shoff.toString(16)}) extends past the end of the file (${bytes.length} bytes)`, 40);
  }
  if (sectionCount > 0 && shstrndx >= sectionCount) fail(`section name table index ${shstrndx} out of range (${sectionCount} sections)`, 62);

  const little = endianness === 'little';
  /** A u64 field as a number without a BigInt on the way, unless it is too large (then ElfError). */
  const u64Number = (at: number, what: string, section: number): number => {
    const lo = r.u32(little ? at : at + 4);
    const hi = r.u32(little ? at + 4 : at);
    if (hi < 0x200000) return hi * 0x100000000 + lo;
    return checkedNumber(r.u64(at), what, { fileName, section: `#${section}`, offset: at });
  };
  const raw: RawSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = shoff + i * Elf64Size.SECTION_HEADER;
    const section: RawSection = {
      headerOffset: at,
      nameOffset: r.u32(at),
      type: r.u32(at + 4),
      flags: r.u64(at + 8),
      addr: r.u64(at + 16),
      offset: u64Number(at + 24, 'sh_offset', i),
      size: u64Number(at + 32, 'sh_size', i),
      link: r.u32(at + 40),
      info: r.u32(at + 44),
      addralign: u64Number(at + 48, 'sh_addralign', i),
      entsize: u64Number(at + 56, 'sh_entsize', i),
    };
    raw.push(section);
  }

  // Section names need a valid name table, so it is checked before anything is named.
  let names: Uint8Array = bytes.subarray(0, 0);
  if (sectionCount > 0 && shstrndx !== SectionIndex.UNDEF) {
    const table = raw[shstrndx] as RawSection;
    if (table.type !== SectionType.STRTAB) fail(`section name table #${shstrndx} has sh_type ${table.type}, expected SHT_STRTAB`, table.headerOffset + 4, `#${shstrndx}`);
    checkContents(table, shstrndx, `#${shstrndx}`);
    names = bytes.subarray(table.offset, table.offset + table.size);
    checkStringTable(names, table, `#${shstrndx}`);
  }

  const sections: Section[] = raw.map((s, index) => {
    if (s.nameOffset !== 0 && s.nameOffset >= names.length) {
      fail(`sh_name ${s.nameOffset} is outside the section name table (size ${names.length})`, s.headerOffset, `#${index}`);
    }
    const name = readString(names, s.nameOffset);
    return new Section(bytes, index, name, s.nameOffset, s.type, s.flags, s.addr, s.offset, s.size, s.link, s.info, s.addralign, s.entsize);
  });

  const tableEnd = shoff + sectionCount * Elf64Size.SECTION_HEADER;
  const occupied: Array<{ start: number; end: number; section: Section }> = [];
  for (let index = 0; index < sections.length; index++) {
    const s = sections[index] as Section;
    const rs = raw[index] as RawSection;
    const label = sectionLabel(s);
    if (index === 0) continue; // section 0 carries only the extended-numbering escapes
    checkContents(rs, index, label);
    if (s.link >= sectionCount) fail(`sh_link ${s.link} out of range (${sectionCount} sections)`, rs.headerOffset + 40, label);
    if ((s.flags & SectionFlags.INFO_LINK) !== 0n && s.info >= sectionCount) fail(`sh_info ${s.info} out of range (${sectionCount} sections)`, rs.headerOffset + 44, label);
    // gABI: 0 and 1 mean no constraint, anything else must be a power of two.
    if (s.addralign > 1 && (BigInt(s.addralign) & (BigInt(s.addralign) - 1n)) !== 0n) {
      fail(`sh_addralign ${s.addralign} is not a power of two`, rs.headerOffset + 48, label);
    }
    checkTypedSection(s, rs, label);
    if (hasFileContents(s.type) && s.size > 0) {
      if (s.offset < Elf64Size.HEADER) fail(`contents at 0x${s.offset.toString(16)} overlap the ELF header`, rs.headerOffset + 24, label);
      if (s.offset < tableEnd && s.offset + s.size > shoff) fail(`contents [0x${s.offset.toString(16)}, 0x${(s.offset + s.size).toString(16)}) overlap the section header table`, rs.headerOffset + 24, label);
      occupied.push({ start: s.offset, end: s.offset + s.size, section: s });
    }
  }
  occupied.sort((a, b) => a.start - b.start);
  for (let i = 1; i < occupied.length; i++) {
    const prev = occupied[i - 1] as (typeof occupied)[number];
    const cur = occupied[i] as (typeof occupied)[number];
    if (cur.start < prev.end) {
      fail(`contents overlap section '${sectionLabel(prev.section)}' ([0x${prev.start.toString(16)}, 0x${prev.end.toString(16)}))`, (raw[cur.section.index] as RawSection).headerOffset + 24, sectionLabel(cur.section));
    }
  }

  const header: ElfHeader = {
    class: 64,
    endianness,
    osAbi: bytes[EI_OSABI] as number,
    type,
    machine,
    version,
    entry,
    programHeaderOffset,
    sectionHeaderOffset: shoff,
    flags,
    programHeaderCount: phnum,
    sectionCount,
    sectionNameTableIndex: shstrndx,
  };
  return new ElfFile(bytes, header, sections, fileName);

  function checkContents(s: RawSection, index: number, label: string): void {
    if (index === 0 || !hasFileContents(s.type)) return;
    if (s.offset > bytes.length || s.size > bytes.length - s.offset) {
      fail(`contents [0x${s.offset.toString(16)}, 0x${(s.offset + s.size).toString(16)}) extend past the end of the file (${bytes.length} bytes)`, s.headerOffset + 24, label);
    }
  }

  function checkStringTable(table: Uint8Array, s: RawSection, label: string): void {
    if (table.length > 0 && table[table.length - 1] !== 0) fail('string table is not NUL-terminated', s.offset + table.length - 1, label);
  }

  /** Checks what the section's type implies: entry sizes, linked tables, string termination. */
  function checkTypedSection(s: Section, rs: RawSection, label: string): void {
    const linkedType = (expected: number, what: string): void => {
      const linked = sections[s.link] as Section;
      if (linked.type !== expected || s.link === 0) fail(`sh_link ${s.link} must name ${what}, found sh_type ${linked.type}`, rs.headerOffset + 40, label);
    };
    const entries = (size: number, what: string): void => {
      if (s.entsize !== size) fail(`${what} sh_entsize ${s.entsize}, expected ${size}`, rs.headerOffset + 56, label);
      if (s.size % size !== 0) fail(`${what} size ${s.size} is not a multiple of ${size}`, rs.headerOffset + 32, label);
    };
    switch (s.type) {
      case SectionType.STRTAB:
        checkStringTable(s.data(), rs, label);
        break;
      case SectionType.SYMTAB:
        entries(Elf64Size.SYMBOL, 'symbol table');
        linkedType(SectionType.STRTAB, 'a string table (SHT_STRTAB)');
        if (s.info > s.size / Elf64Size.SYMBOL) fail(`sh_info ${s.info} (first non-local symbol) is past the ${s.size / Elf64Size.SYMBOL} symbols`, rs.headerOffset + 44, label);
        break;
      case SectionType.REL:
      case SectionType.RELA: {
        const rela = s.type === SectionType.RELA;
        entries(rela ? Elf64Size.RELA : Elf64Size.REL, rela ? 'SHT_RELA' : 'SHT_REL');
        linkedType(SectionType.SYMTAB, 'the symbol table (SHT_SYMTAB)');
        if (s.info >= sectionCount) fail(`sh_info ${s.info} (target section) out of range (${sectionCount} sections)`, rs.headerOffset + 44, label);
        break;
      }
      case SectionType.SYMTAB_SHNDX:
        entries(4, 'SHT_SYMTAB_SHNDX');
        linkedType(SectionType.SYMTAB, 'the symbol table (SHT_SYMTAB)');
        break;
      default:
        break;
    }
  }
}
