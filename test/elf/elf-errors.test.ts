import { expect } from 'chai';
import { ElfError, parseElf, SectionType, type ElfFile } from '../../src/elf/index.js';
import { BpfTsError } from '../../src/errors/index.js';
import { buildElf, rels, sampleElf, stringTable, symbols } from './elf-builder.js';

// Every ElfError path: the class, the reason, the section named and the byte offset reported.
// Malformed inputs are made by patching one field of a valid sample whose layout is read back
// from a successful parse, so offsets are not hard-coded.

const SAMPLE = sampleElf('little');
const GOOD = parseElf(SAMPLE);
const SHOFF = GOOD.header.sectionHeaderOffset;
/** Offset of field `field` of section header `index`. */
const sh = (index: number, field: number): number => SHOFF + index * 64 + field;
const SH = { name: 0, type: 4, flags: 8, offset: 24, size: 32, link: 40, info: 44, align: 48, entsize: 56 } as const;
const TEXT = 1, STRTAB = 2, SYMTAB = 3, RELTEXT = 4, SHSTRTAB = 5;
const symbolAt = (index: number): number => GOOD.section(SYMTAB).offset + index * 24;

function patch(bytes: Uint8Array, offset: number, width: 1 | 2 | 4 | 8, value: number | bigint): Uint8Array {
  const copy = bytes.slice();
  const view = new DataView(copy.buffer);
  if (width === 1) view.setUint8(offset, Number(value));
  else if (width === 2) view.setUint16(offset, Number(value), true);
  else if (width === 4) view.setUint32(offset, Number(value), true);
  else view.setBigUint64(offset, BigInt(value), true);
  return copy;
}

function expectElfError(run: () => unknown, reason: RegExp, offset: number, section?: string): ElfError {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(ElfError);
  expect(caught).to.be.instanceOf(BpfTsError);
  const err = caught as ElfError;
  expect(err.reason).to.match(reason);
  expect(err.offset, `offset in: ${err.message}`).to.equal(offset);
  expect(err.section).to.equal(section);
  expect(err.fileName).to.equal('bad.o');
  expect(err.message).to.match(new RegExp(`^bad\\.o: ${section === undefined ? '' : `section '${section.replace(/\./g, '\\.')}': `}`));
  expect(err.message).to.contain(`(at offset 0x${offset.toString(16)})`);
  return err;
}

const parse = (bytes: Uint8Array): ElfFile => parseElf(bytes, { fileName: 'bad.o' });

describe('elf: every malformed input throws ElfError with file, section and offset', function () {
  describe('identification and header', function () {
    it('too short for e_ident', () => expectElfError(() => parse(SAMPLE.subarray(0, 10)), /file too short for an ELF identification \(10 bytes\)/, 0));
    it('bad magic', () => expectElfError(() => parse(patch(SAMPLE, 1, 1, 0x58)), /not an ELF file \(bad magic\)/, 1));
    it('32-bit class', () => expectElfError(() => parse(patch(SAMPLE, 4, 1, 1)), /32-bit ELF \(ELFCLASS32\) is not supported/, 4));
    it('invalid class', () => expectElfError(() => parse(patch(SAMPLE, 4, 1, 7)), /invalid ELF class 7/, 4));
    it('invalid data encoding', () => expectElfError(() => parse(patch(SAMPLE, 5, 1, 0)), /invalid ELF data encoding 0/, 5));
    it('invalid identification version', () => expectElfError(() => parse(patch(SAMPLE, 6, 1, 2)), /unsupported ELF identification version 2/, 6));
    it('truncated header', () => expectElfError(() => parse(SAMPLE.subarray(0, 40)), /too short for an ELF64 header \(40 of 64 bytes\)/, 0));
    it('wrong machine', () => expectElfError(() => parse(sampleElf('little', 62)), /wrong machine: e_machine 62, expected 247 or 0/, 18));
    it('wrong machine with an explicit list', () =>
      expectElfError(() => parseElf(SAMPLE, { fileName: 'bad.o', machines: [62] }), /wrong machine: e_machine 247, expected 62/, 18));
    it('bad e_version', () => expectElfError(() => parse(patch(SAMPLE, 20, 4, 9)), /unsupported ELF version 9/, 20));
    it('e_ehsize too small', () => expectElfError(() => parse(patch(SAMPLE, 52, 2, 52)), /e_ehsize 52 is smaller/, 52));
    it('program header table past the end', () => {
      const bytes = patch(patch(patch(SAMPLE, 56, 2, 4), 54, 2, 56), 32, 8, SAMPLE.length - 8);
      expectElfError(() => parse(bytes), /program header table \(4 x 56 bytes .*\) extends past the end/, 32);
    });
    it('e_shentsize is not 64', () => expectElfError(() => parse(patch(SAMPLE, 58, 2, 40)), /e_shentsize 40, expected 64/, 58));
    it('section header table overlaps the ELF header', () => expectElfError(() => parse(patch(SAMPLE, 40, 8, 32)), /overlaps the ELF header/, 40));
    it('section header table starts past the end', () => expectElfError(() => parse(patch(SAMPLE, 40, 8, SAMPLE.length)), /is past the end of the file/, 40));
    it('section header table extends past the end (truncated file)', () =>
      expectElfError(() => parse(SAMPLE.subarray(0, SAMPLE.length - 1)), /section header table \(6 x 64 bytes at 0x[0-9a-f]+\) extends past the end/, 40));
    it('e_shoff too large for a number', () => expectElfError(() => parse(patch(SAMPLE, 40, 8, 1n << 60n)), /e_shoff 0x1000000000000000 is too large/, 40));
    it('e_phoff too large for a number', () =>
      expectElfError(() => parse(patch(patch(SAMPLE, 56, 2, 1), 32, 8, 1n << 63n)), /e_phoff 0x8000000000000000 is too large/, 32));
    it('extended e_shnum (section 0 sh_size) too large for a number', () =>
      expectElfError(() => parse(patch(patch(SAMPLE, 60, 2, 0), SHOFF + 32, 8, 1n << 60n)), /section 0 sh_size \(extended e_shnum\) 0x1000000000000000 is too large/, SHOFF + 32));
    it('extended e_shnum larger than the file', () =>
      expectElfError(() => parse(patch(patch(SAMPLE, 60, 2, 0), SHOFF + 32, 8, 1000)), /section header table \(1000 x 64 bytes .*\) extends past the end/, 40));
    it('e_shnum without e_shoff', () => expectElfError(() => parse(patch(SAMPLE, 40, 8, 0)), /e_shnum is 6 but e_shoff is 0/, 60));
    it('e_shstrndx out of range', () => expectElfError(() => parse(patch(SAMPLE, 62, 2, 6)), /section name table index 6 out of range \(6 sections\)/, 62));
    it('section name table is not a STRTAB', () =>
      expectElfError(() => parse(patch(SAMPLE, 62, 2, TEXT)), /section name table #1 has sh_type 1, expected SHT_STRTAB/, sh(TEXT, SH.type), '#1'));
  });

  describe('sections', function () {
    it('contents past the end of the file', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.size), 8, SAMPLE.length)), /contents \[0x40, 0x[0-9a-f]+\) extend past the end of the file/, sh(TEXT, SH.offset), '.text'));
    it('sh_size too large for a number', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.size), 8, 1n << 62n)), /sh_size 0x4000000000000000 is too large/, sh(TEXT, SH.size), '#1'));
    it('sh_entsize too large for a number', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(SYMTAB, SH.entsize), 8, 1n << 62n)), /sh_entsize 0x4000000000000000 is too large/, sh(SYMTAB, SH.entsize), '#3'));
    it('sh_name outside the name table', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.name), 4, 999)), /sh_name 999 is outside the section name table/, sh(TEXT, SH.name), '#1'));
    it('name table not NUL-terminated', () => {
      const t = GOOD.section(SHSTRTAB);
      expectElfError(() => parse(patch(SAMPLE, t.offset + t.size - 1, 1, 0x41)), /string table is not NUL-terminated/, t.offset + t.size - 1, '#5');
    });
    it('string table not NUL-terminated', () => {
      const t = GOOD.section(STRTAB);
      expectElfError(() => parse(patch(SAMPLE, t.offset + t.size - 1, 1, 0x41)), /string table is not NUL-terminated/, t.offset + t.size - 1, '.strtab');
    });
    it('contents overlap the ELF header', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.offset), 8, 8)), /contents at 0x8 overlap the ELF header/, sh(TEXT, SH.offset), '.text'));
    it('contents overlap the section header table', () => {
      const bytes = patch(patch(SAMPLE, sh(TEXT, SH.offset), 8, SHOFF), sh(TEXT, SH.size), 8, 16);
      expectElfError(() => parse(bytes), /overlap the section header table/, sh(TEXT, SH.offset), '.text');
    });
    it('contents of two sections overlap', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.offset), 8, GOOD.section(STRTAB).offset - 8)), /contents overlap section '\.text'/, sh(STRTAB, SH.offset), '.strtab'));
    it('sh_addralign not a power of two', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.align), 8, 12)), /sh_addralign 12 is not a power of two/, sh(TEXT, SH.align), '.text'));
    it('sh_link out of range', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(TEXT, SH.link), 4, 77)), /sh_link 77 out of range \(6 sections\)/, sh(TEXT, SH.link), '.text'));
    it('sh_info out of range with SHF_INFO_LINK', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(RELTEXT, SH.info), 4, 6)), /sh_info 6 out of range \(6 sections\)/, sh(RELTEXT, SH.info), '.rel.text'));
    it('relocation target out of range without SHF_INFO_LINK', () => {
      const bytes = patch(patch(SAMPLE, sh(RELTEXT, SH.flags), 8, 0), sh(RELTEXT, SH.info), 4, 9);
      expectElfError(() => parse(bytes), /sh_info 9 \(target section\) out of range/, sh(RELTEXT, SH.info), '.rel.text');
    });
    it('symbol table entry size', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(SYMTAB, SH.entsize), 8, 16)), /symbol table sh_entsize 16, expected 24/, sh(SYMTAB, SH.entsize), '.symtab'));
    it('symbol table size not a multiple of 24', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(SYMTAB, SH.size), 8, 70)), /symbol table size 70 is not a multiple of 24/, sh(SYMTAB, SH.size), '.symtab'));
    it('symbol table linked to a non-string table', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(SYMTAB, SH.link), 4, TEXT)), /sh_link 1 must name a string table \(SHT_STRTAB\), found sh_type 1/, sh(SYMTAB, SH.link), '.symtab'));
    it('symbol table sh_info past the symbols', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(SYMTAB, SH.info), 4, 4)), /sh_info 4 \(first non-local symbol\) is past the 3 symbols/, sh(SYMTAB, SH.info), '.symtab'));
    it('relocation section linked to a non-symbol table', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(RELTEXT, SH.link), 4, STRTAB)), /sh_link 2 must name the symbol table/, sh(RELTEXT, SH.link), '.rel.text'));
    it('relocation entry size', () =>
      expectElfError(() => parse(patch(SAMPLE, sh(RELTEXT, SH.entsize), 8, 24)), /SHT_REL sh_entsize 24, expected 16/, sh(RELTEXT, SH.entsize), '.rel.text'));
    it('two symbol tables', () => {
      const bytes = patch(SAMPLE, sh(RELTEXT, SH.type), 4, SectionType.SYMTAB);
      // The copy masquerading as a symtab fails its own checks first, so make it a valid one.
      const fixed = patch(patch(patch(bytes, sh(RELTEXT, SH.entsize), 8, 24), sh(RELTEXT, SH.size), 8, 0), sh(RELTEXT, SH.link), 4, STRTAB);
      expectElfError(() => parse(patch(patch(fixed, sh(RELTEXT, SH.flags), 8, 0), sh(RELTEXT, SH.info), 4, 0)), /more than one SHT_SYMTAB section \(first is #3\)/, GOOD.section(RELTEXT).offset, '.rel.text');
    });
  });

  describe('symbols and relocations', function () {
    it('symbol name outside the string table', () =>
      expectElfError(() => parse(patch(SAMPLE, symbolAt(2), 4, 50)), /symbol 2 name offset 50 is outside string table '\.strtab'/, symbolAt(2), '.symtab'));
    it('symbol section index out of range', () =>
      expectElfError(() => parse(patch(SAMPLE, symbolAt(2) + 6, 2, 40)), /symbol 2 section index 40 out of range \(6 sections\)/, symbolAt(2) + 6, '.symtab'));
    it('SHN_XINDEX without SHT_SYMTAB_SHNDX', () =>
      expectElfError(() => parse(patch(SAMPLE, symbolAt(2) + 6, 2, 0xffff)), /SHN_XINDEX but there is no SHT_SYMTAB_SHNDX/, symbolAt(2) + 6, '.symtab'));
    it('relocation symbol index out of range', () => {
      const at = GOOD.section(RELTEXT).offset;
      const elf = parse(patch(SAMPLE, at + 8, 8, (7n << 32n) | 10n));
      expectElfError(() => elf.relocations(elf.section(RELTEXT)), /relocation 0 refers to symbol 7, but the symbol table has 3/, at + 8, '.rel.text');
    });
    it('relocation offset outside its target section', () => {
      const at = GOOD.section(RELTEXT).offset;
      const elf = parse(patch(SAMPLE, at, 8, 16));
      expectElfError(() => elf.relocations(elf.section(RELTEXT)), /relocation 0 offset 0x10 is outside target section '\.text' \(size 0x10\)/, at, '.rel.text');
    });
    it('relocations() of a section that is not REL/RELA', () => {
      const elf = parse(SAMPLE);
      expectElfError(() => elf.relocations(elf.section(TEXT)), /not a relocation section \(sh_type 1\)/, GOOD.section(TEXT).offset, '.text');
    });
    it('section() index out of range', () => expectElfError(() => parse(SAMPLE).section(6), /section index 6 out of range \(6 sections\)/, SHOFF));
  });

  describe('SHT_SYMTAB_SHNDX', function () {
    // .text 1, .strtab 2, .symtab 3, .symtab_shndx 4, .shstrtab 5
    function withXindex(entries: number[], shndxSize?: number): Uint8Array {
      const strtab = stringTable(['f']);
      const shndx = new Uint8Array(entries.length * 4);
      entries.forEach((v, i) => new DataView(shndx.buffer).setUint32(i * 4, v, true));
      return buildElf([
        { name: '.text', type: 1, flags: 6n, data: new Uint8Array(8), addralign: 8 },
        { name: '.strtab', type: 3, data: strtab.data },
        { name: '.symtab', type: 2, data: symbols(true, [{ name: 0, info: 0, shndx: 0 }, { name: 1, info: 0x12, shndx: 0xffff }]), link: 2, info: 1, entsize: 24, addralign: 8 },
        { name: '.symtab_shndx', type: 18, data: shndx, ...(shndxSize === undefined ? {} : { size: shndxSize }), link: 3, entsize: 4, addralign: 4 },
      ]);
    }
    it('resolves SHN_XINDEX through the extended index table', () => {
      expect(parse(withXindex([0, 1])).symbols[1]).to.include({ name: 'f', shndx: 1 });
    });
    it('rejects an extended index out of range', () => {
      const bytes = withXindex([0, 9]);
      const t = parseElf(withXindex([0, 1])).sectionByName('.symtab_shndx');
      expectElfError(() => parse(bytes), /symbol 1 extended section index 9 out of range/, (t?.offset ?? 0) + 4, '.symtab_shndx');
    });
    it('rejects a table shorter than the symbol table', () => {
      const bytes = withXindex([0]);
      const t = parseElf(withXindex([0, 1])).sectionByName('.symtab_shndx');
      expectElfError(() => parse(bytes), /SHT_SYMTAB_SHNDX has 1 entries for 2 symbols/, t?.offset ?? 0, '.symtab_shndx');
    });
  });

  it('relocation with symbol index checked against a REL built big-endian', () => {
    const elf = parseElf(sampleElf('big'));
    expect(elf.relocations(elf.section(RELTEXT))[0]).to.deep.equal({ offset: 8n, symbol: 2, type: 10, addend: 0n });
    expect(rels(false, [{ offset: 8n, symbol: 2, type: 10 }])).to.deep.equal(elf.section(RELTEXT).data().slice());
  });
});
