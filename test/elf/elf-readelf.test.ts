import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseElf, SectionFlags, SectionType, type ElfFile } from '../../src/elf/index.js';
import { requireTool } from '../helpers/privileges.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { committedObjects } from './objects.js';
import { buildElf, relas, sampleElf, stringTable, symbols } from './elf-builder.js';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const READELF = '/usr/bin/llvm-readelf';

// Names llvm-readelf prints for the numeric fields (GNU output style).
const SECTION_TYPES: Record<string, number> = {
  NULL: 0, PROGBITS: 1, SYMTAB: 2, STRTAB: 3, RELA: 4, HASH: 5, DYNAMIC: 6, NOTE: 7, NOBITS: 8, REL: 9, DYNSYM: 11,
  INIT_ARRAY: 14, FINI_ARRAY: 15, PREINIT_ARRAY: 16, GROUP: 17, SYMTAB_SHNDX: 18,
  LLVM_ODRTAB: 0x6fff4c00, LLVM_LINKER_OPTIONS: 0x6fff4c01, LLVM_ADDRSIG: SectionType.LLVM_ADDRSIG, LLVM_DEPENDENT_LIBRARIES: 0x6fff4c04,
  LLVM_SYMPART: 0x6fff4c05, LLVM_PART_EHDR: 0x6fff4c06, LLVM_PART_PHDR: 0x6fff4c07, LLVM_CALL_GRAPH_PROFILE: 0x6fff4c09,
};
const FLAG_LETTERS: Record<string, bigint> = {
  W: SectionFlags.WRITE, A: SectionFlags.ALLOC, X: SectionFlags.EXECINSTR, M: SectionFlags.MERGE, S: SectionFlags.STRINGS,
  I: SectionFlags.INFO_LINK, L: SectionFlags.LINK_ORDER, O: SectionFlags.OS_NONCONFORMING, G: SectionFlags.GROUP,
  T: SectionFlags.TLS, C: SectionFlags.COMPRESSED, E: SectionFlags.EXCLUDE,
};
const SYMBOL_TYPES: Record<string, number> = { NOTYPE: 0, OBJECT: 1, FUNC: 2, SECTION: 3, FILE: 4, COMMON: 5, TLS: 6 };
const BINDS: Record<string, number> = { LOCAL: 0, GLOBAL: 1, WEAK: 2 };
const VISIBILITIES: Record<string, number> = { DEFAULT: 0, INTERNAL: 1, HIDDEN: 2, PROTECTED: 3 };
const SPECIAL_NDX: Record<string, number> = { UND: 0, ABS: 0xfff1, COM: 0xfff2 };
const RELOC_TYPES: Record<string, number> = {
  R_BPF_NONE: 0, R_BPF_64_64: 1, R_BPF_64_ABS64: 2, R_BPF_64_ABS32: 3, R_BPF_64_NODYLD32: 4, R_BPF_64_32: 10,
};

interface ReadelfSection { index: number; name: string; type: number; offset: number; size: number; entsize: number; flags: bigint; link: number; info: number; align: number }
interface ReadelfSymbol { index: number; value: bigint; size: bigint; type: number; bind: number; vis: number; ndx: number; name: string }
interface ReadelfRelocation { offset: bigint; info: bigint; type: number; addend?: bigint }
interface Readelf {
  data: 'little' | 'big';
  shoff: number;
  shnum: number;
  shstrndx: number;
  sections: ReadelfSection[];
  symbols: ReadelfSymbol[];
  relocations: Map<string, ReadelfRelocation[]>;
}

function lookup<T>(table: Record<string, T>, key: string, what: string): T {
  const v = table[key];
  if (v === undefined) throw new Error(`llvm-readelf printed unknown ${what} '${key}'`);
  return v;
}

/** A section type column: a name, or hex for types llvm-readelf has no name for. */
function sectionType(column: string): number {
  return /^0x[0-9a-f]+$/.test(column) ? parseInt(column, 16) : lookup(SECTION_TYPES, column, 'section type');
}

/** Parses `llvm-readelf -h -S -s -r` (GNU style). */
function readelf(path: string): Readelf {
  const text = execFileSync(READELF, ['-h', '-S', '-s', '-r', path], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const out: Readelf = { data: 'little', shoff: -1, shnum: -1, shstrndx: -1, sections: [], symbols: [], relocations: new Map() };
  let currentRel: ReadelfRelocation[] | undefined;
  let currentRela = false;
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null;
    if (/Symbol's Name \+ Addend$/.test(line)) currentRela = true;
    else if ((m = /^\s*Data:\s+2's complement, (little|big) endian/.exec(line))) out.data = m[1] as 'little' | 'big';
    else if ((m = /^\s*Start of section headers:\s+(\d+)/.exec(line))) out.shoff = Number(m[1]);
    else if ((m = /^\s*Number of section headers:\s+(\d+)(?: \((\d+)\))?/.exec(line))) out.shnum = Number(m[2] ?? m[1]);
    else if ((m = /^\s*Section header string table index:\s+(\d+)(?: \((\d+)\))?/.exec(line))) out.shstrndx = Number(m[2] ?? m[1]);
    else if ((m = /^\s*\[\s*(\d+)\]\s+(.*?)\s+(\S+)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([A-Za-z]*)\s+(\d+)\s+(\d+)\s+(\d+)\s*$/.exec(line))) {
      let flags = 0n;
      for (const letter of m[8] as string) flags |= lookup(FLAG_LETTERS, letter, 'section flag');
      out.sections.push({
        index: Number(m[1]), name: m[2] as string, type: sectionType(m[3] as string),
        offset: parseInt(m[5] as string, 16), size: parseInt(m[6] as string, 16), entsize: parseInt(m[7] as string, 16),
        flags, link: Number(m[9]), info: Number(m[10]), align: Number(m[11]),
      });
    } else if ((m = /^\s*(\d+): ([0-9a-f]{16})\s+(\d+) (\S+)\s+(\S+)\s+(\S+)\s+(\S+) ?(.*)$/.exec(line))) {
      const ndx = m[7] as string;
      out.symbols.push({
        index: Number(m[1]), value: BigInt(`0x${m[2] as string}`), size: BigInt(m[3] as string),
        type: lookup(SYMBOL_TYPES, m[4] as string, 'symbol type'), bind: lookup(BINDS, m[5] as string, 'binding'),
        vis: lookup(VISIBILITIES, m[6] as string, 'visibility'), ndx: /^\d+$/.test(ndx) ? Number(ndx) : lookup(SPECIAL_NDX, ndx, 'ndx'),
        name: m[8] as string,
      });
    } else if ((m = /^Relocation section '(.*)' at offset 0x[0-9a-f]+ contains \d+ entries:$/.exec(line))) {
      currentRel = [];
      currentRela = false;
      out.relocations.set(m[1] as string, currentRel);
    } else if (currentRel && (m = /^([0-9a-f]{16})\s+([0-9a-f]{16})\s+(\S+)(?:\s+[0-9a-f]{16}\s+\S*\s+([+-])\s+([0-9a-f]+))?/.exec(line))) {
      const rel: ReadelfRelocation = { offset: BigInt(`0x${m[1] as string}`), info: BigInt(`0x${m[2] as string}`), type: lookup(RELOC_TYPES, m[3] as string, 'relocation type') };
      if (currentRela && m[4] !== undefined) rel.addend = (m[4] === '-' ? -1n : 1n) * BigInt(`0x${m[5] as string}`);
      currentRel.push(rel);
    }
  }
  return out;
}

function compareWithReadelf(elf: ElfFile, ref: Readelf): void {
  expect(elf.endianness).to.equal(ref.data);
  expect(elf.header.sectionHeaderOffset).to.equal(ref.shoff);
  expect(elf.header.sectionCount).to.equal(ref.shnum);
  expect(elf.header.sectionNameTableIndex).to.equal(ref.shstrndx);
  expect(elf.sections.length).to.equal(ref.sections.length);
  for (const r of ref.sections) {
    const s = elf.sections[r.index];
    expect(s, `section ${r.index}`).to.not.equal(undefined);
    if (!s) continue;
    expect({ name: s.name, type: s.type, offset: s.offset, size: s.size, entsize: s.entsize, flags: s.flags, link: s.link, info: s.info, align: s.addralign }, `section [${r.index}]`)
      .to.deep.equal({ name: r.name, type: r.type, offset: r.offset, size: r.size, entsize: r.entsize, flags: r.flags, link: r.link, info: r.info, align: r.align });
    if (s.type !== SectionType.NOBITS && s.type !== SectionType.NULL) expect(s.data().length).to.equal(r.size);
  }
  expect(elf.symbols.length).to.equal(ref.symbols.length);
  for (const r of ref.symbols) {
    const s = elf.symbols[r.index];
    if (!s) throw new Error(`symbol ${r.index} missing`);
    // llvm-readelf shows a section symbol's section name in place of its (empty) name.
    const name = s.type === 3 && s.name === '' ? (elf.sections[s.shndx]?.name ?? '') : s.name;
    expect({ value: s.value, size: s.size, type: s.type, bind: s.bind, vis: s.visibility, ndx: s.shndx, name }, `symbol ${r.index}`)
      .to.deep.equal({ value: r.value, size: r.size, type: r.type, bind: r.bind, vis: r.vis, ndx: r.ndx, name: r.name });
  }
  const relSections = elf.sections.filter((s) => s.type === SectionType.REL || s.type === SectionType.RELA);
  expect(relSections.map((s) => s.name).sort()).to.deep.equal([...ref.relocations.keys()].sort());
  for (const s of relSections) {
    const got = elf.relocations(s).map((r) => ({ offset: r.offset, info: (BigInt(r.symbol) << 32n) | BigInt(r.type), type: r.type, ...(s.type === SectionType.RELA ? { addend: r.addend } : {}) }));
    expect(got, `relocations of ${s.name}`).to.deep.equal(ref.relocations.get(s.name));
  }
}

/** .text 1, .strtab 2, .symtab 3, .rela.text 4: RELA is not what clang emits for BPF, so it is built here. */
function relaElf(endianness: 'little' | 'big'): Uint8Array {
  const little = endianness === 'little';
  const strtab = stringTable(['f', 'g']);
  return buildElf(
    [
      { name: '.text', type: 1, flags: 6n, data: new Uint8Array(32), addralign: 8 },
      { name: '.strtab', type: 3, data: strtab.data },
      {
        name: '.symtab', type: 2, link: 2, info: 1, entsize: 24, addralign: 8,
        data: symbols(little, [{ name: 0, info: 0, shndx: 0 }, { name: 1, info: 0x12, shndx: 1, size: 16n }, { name: 3, info: 0x12, shndx: 1, value: 16n, size: 16n }]),
      },
      {
        name: '.rela.text', type: 4, flags: 0x40n, link: 3, info: 1, entsize: 24, addralign: 8,
        data: relas(little, [{ offset: 0n, symbol: 1, type: 1, addend: -8n }, { offset: 24n, symbol: 2, type: 10, addend: 0x7fffffffn }]),
      },
    ],
    { endianness },
  );
}

describe('elf: parseElf agrees with llvm-readelf -h -S -s -r', function () {
  before(function () {
    requireTool(this, READELF);
  });

  const objects = committedObjects();
  it('finds the committed objects, including the big-endian one', function () {
    expect(objects).to.include('bpf/elf-asm/programs-bpfeb.bpf.o');
    expect(objects).to.include('bpf/elf-asm/programs-nodebug.bpf.o');
  });

  for (const rel of objects) {
    it(`${rel}: header, sections, symbols and relocations`, function () {
      const path = join(REPO_ROOT, rel);
      const elf = parseElf(readFileSync(path), { fileName: rel });
      compareWithReadelf(elf, readelf(path));
    });
  }

  describe('synthetic objects (built by the test, checked by llvm-readelf too)', function () {
    let dir = '';
    before(() => { dir = mkdtempSync(join(tmpdir(), 'bpf-ts-elf-')); });
    after(() => rmSync(dir, { recursive: true, force: true }));
    const cases: Array<[string, () => Uint8Array]> = [
      ['little-endian sample', () => sampleElf('little')],
      ['big-endian sample', () => sampleElf('big')],
      ['big-endian RELA with negative addends', () => relaElf('big')],
      ['little-endian RELA', () => relaElf('little')],
      ['extended section numbering (e_shnum 0, e_shstrndx SHN_XINDEX)', () => buildElf([{ name: '.text', type: 1, flags: 6n, data: new Uint8Array(8), addralign: 8 }], { extendedNumbering: true })],
    ];
    for (const [title, make] of cases) {
      it(title, function () {
        const bytes = make();
        const path = join(dir, 'obj.o');
        writeFileSync(path, bytes);
        compareWithReadelf(parseElf(bytes, { fileName: 'obj.o' }), readelf(path));
      });
    }
  });
});

describe('elf: values the loader relies on', function () {
  it('data() is a zero-copy view into a pooled Buffer at a non-zero byteOffset', function () {
    const sample = sampleElf('big');
    const pool = Buffer.alloc(sample.length + 13);
    pool.set(sample, 13);
    const bytes = pool.subarray(13);
    const elf = parseElf(bytes);
    const text = elf.sectionByName('.text');
    expect(text?.data().buffer).to.equal(pool.buffer);
    expect(text?.data().byteOffset).to.equal(bytes.byteOffset + (text?.offset ?? -1));
    expect(elf.relocations(elf.section(4))).to.deep.equal([{ offset: 8n, symbol: 2, type: 10, addend: 0n }]);
    expect(elf.symbols[2]).to.include({ name: 'prog', type: 2, bind: 1, shndx: 1, size: 16n });
  });

  it('NOBITS sections have a size but no contents', function () {
    const elf = parseElf(buildElf([{ name: '.bss', type: SectionType.NOBITS, flags: 3n, size: 4096, addralign: 8 }]));
    const bss = elf.sectionByName('.bss');
    expect(bss?.size).to.equal(4096);
    expect(bss?.data().length).to.equal(0);
  });

  it('accepts any machine with machines: "any", and EM_NONE by default', function () {
    expect(parseElf(sampleElf('little', 62), { machines: 'any' }).header.machine).to.equal(62);
    expect(parseElf(sampleElf('little', 0)).header.machine).to.equal(0);
  });
});
