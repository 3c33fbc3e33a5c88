/**
 * Just enough of an ELF64 executable or shared library to place uprobes: section headers,
 * `.symtab` and `.dynsym` function symbols, and `PT_LOAD` segments.
 *
 * Why not `src/elf`: `parseElf` validates BPF relocatable objects and refuses linked binaries
 * (their `.rela.dyn` links to `.dynsym`, not `.symtab`), and it reads no program headers.
 */
import { SymbolResolveError } from './errors.js';

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const SHN_UNDEF = 0;
const PT_LOAD = 1;
/** `STT_FUNC` and `STT_GNU_IFUNC`: what a uprobe can be placed on. */
const FUNC_TYPES = new Set([2, 10]);

/** A function symbol of a user binary. */
export interface UserSymbol {
  /** Name as stored (a `.symtab` name may carry `@VERSION` / `@@VERSION`). */
  readonly name: string;
  /** `st_value`: virtual address. */
  readonly value: bigint;
  readonly size: bigint;
  /** `STB_*`. */
  readonly bind: number;
  /** File offset: `st_value - sh_addr + sh_offset` of the symbol's section (libbpf's elf_sym_offset). */
  readonly fileOffset: bigint;
  /** `'.symtab'` or `'.dynsym'`. */
  readonly table: string;
}

/** A `PT_LOAD` program header. */
export interface LoadSegment {
  readonly vaddr: bigint;
  readonly memsz: bigint;
  readonly offset: bigint;
  /** `PF_X` etc. */
  readonly flags: number;
}

/** A user-space ELF64 little-endian binary, parsed for uprobe placement. */
export interface UserElf {
  readonly path: string;
  /** `e_type`: 2 `ET_EXEC`, 3 `ET_DYN`. */
  readonly type: number;
  readonly machine: number;
  readonly symbols: readonly UserSymbol[];
  readonly segments: readonly LoadSegment[];
  /** Raw section contents by name (first of each), for `.note.stapsdt` and friends. */
  section(name: string): { readonly addr: bigint; readonly offset: bigint; readonly data: Uint8Array } | undefined;
}

interface SectionHeader {
  readonly name: number;
  readonly type: number;
  readonly addr: bigint;
  readonly offset: bigint;
  readonly size: bigint;
  readonly link: number;
  readonly entsize: bigint;
}

/**
 * Parses the parts of an ELF64 little-endian binary a uprobe needs. Every offset is bounds
 * checked; a malformed file is a {@link SymbolResolveError} naming it.
 *
 * @example
 * ```ts
 * const elf = parseUserElf(readFileSync('/bin/bash'), '/bin/bash');
 * const readline = elf.symbols.find((s) => s.name === 'readline');
 * ```
 */
export function parseUserElf(bytes: Uint8Array, path: string): UserElf {
  const fail = (why: string): never => {
    throw new SymbolResolveError(`not a usable ELF64 binary: ${why}`, path);
  };
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) fail('bad ELF magic');
  if (bytes[4] !== 2) fail('not ELFCLASS64');
  if (bytes[5] !== 1) fail('not little-endian');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = BigInt(bytes.byteLength);
  const within = (off: bigint, len: bigint, what: string): number => {
    if (off < 0n || len < 0n || off + len > size) fail(`${what} at 0x${off.toString(16)} (+0x${len.toString(16)}) is outside the file`);
    return Number(off);
  };
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  const phoff = view.getBigUint64(32, true);
  const shoff = view.getBigUint64(40, true);
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  const shstrndx = view.getUint16(62, true);

  const segments: LoadSegment[] = [];
  if (phnum > 0) {
    const at = within(phoff, BigInt(phnum * phentsize), 'program header table');
    for (let i = 0; i < phnum; i++) {
      const p = at + i * phentsize;
      if (view.getUint32(p, true) !== PT_LOAD) continue;
      segments.push({ flags: view.getUint32(p + 4, true), offset: view.getBigUint64(p + 8, true), vaddr: view.getBigUint64(p + 16, true), memsz: view.getBigUint64(p + 40, true) });
    }
  }

  const sections: SectionHeader[] = [];
  if (shnum > 0) {
    const at = within(shoff, BigInt(shnum * shentsize), 'section header table');
    for (let i = 0; i < shnum; i++) {
      const s = at + i * shentsize;
      sections.push({
        name: view.getUint32(s, true),
        type: view.getUint32(s + 4, true),
        addr: view.getBigUint64(s + 16, true),
        offset: view.getBigUint64(s + 24, true),
        size: view.getBigUint64(s + 32, true),
        link: view.getUint32(s + 40, true),
        entsize: view.getBigUint64(s + 56, true),
      });
    }
  }
  const contents = (s: SectionHeader, what: string): Uint8Array => {
    const off = within(s.offset, s.size, what);
    return bytes.subarray(off, off + Number(s.size));
  };
  const decoder = new TextDecoder();
  const str = (table: Uint8Array, off: number): string => {
    if (off >= table.length) return '';
    const end = table.indexOf(0, off);
    return decoder.decode(table.subarray(off, end < 0 ? table.length : end));
  };
  const shstr = sections[shstrndx];
  const shstrtab = shstr === undefined ? new Uint8Array(0) : contents(shstr, 'section name table');
  const sectionName = (s: SectionHeader): string => str(shstrtab, s.name);

  const symbols: UserSymbol[] = [];
  for (const table of sections) {
    if (table.type !== SHT_SYMTAB && table.type !== SHT_DYNSYM) continue;
    const strtabHeader = sections[table.link];
    if (strtabHeader === undefined) fail(`symbol table's sh_link ${table.link} names no section`);
    const strtab = contents(strtabHeader as SectionHeader, 'symbol string table');
    const data = contents(table, 'symbol table');
    const entsize = table.entsize === 0n ? 24 : Number(table.entsize);
    const tableName = table.type === SHT_SYMTAB ? '.symtab' : '.dynsym';
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    for (let p = 0; p + 24 <= data.byteLength; p += entsize) {
      const info = dv.getUint8(p + 4);
      const shndx = dv.getUint16(p + 6, true);
      if (!FUNC_TYPES.has(info & 0xf) || shndx === SHN_UNDEF) continue;
      const home = sections[shndx];
      if (home === undefined) continue;
      const value = dv.getBigUint64(p + 8, true);
      symbols.push({
        name: str(strtab, dv.getUint32(p, true)),
        value,
        size: dv.getBigUint64(p + 16, true),
        bind: info >> 4,
        fileOffset: value - home.addr + home.offset,
        table: tableName,
      });
    }
  }
  return {
    path,
    type,
    machine,
    symbols,
    segments,
    section(name: string) {
      const s = sections.find((h) => sectionName(h) === name);
      if (s === undefined) return undefined;
      return { addr: s.addr, offset: s.offset, data: contents(s, name) };
    },
  };
}

/**
 * The file offset of a virtual address: through the `PT_LOAD` segment containing it (for
 * addresses that are not symbols, and USDT notes).
 *
 * @example
 * ```ts
 * addressToFileOffset(loadUserElf('/usr/bin/bash'), 0x30000n);
 * ```
 */
export function addressToFileOffset(elf: UserElf, address: bigint): bigint {
  for (const s of elf.segments) {
    if (address >= s.vaddr && address < s.vaddr + s.memsz) return address - s.vaddr + s.offset;
  }
  throw new SymbolResolveError(`address 0x${address.toString(16)} is in no PT_LOAD segment`, elf.path);
}
