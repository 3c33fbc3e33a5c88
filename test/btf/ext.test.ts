import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { BpfCoreReloKind, parseBtf, parseBtfExt, type BtfExt } from '../../src/btf/index.js';
import { parseElf, SymbolType } from '../../src/elf/index.js';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';
import { btfExtSectionOf, btfSectionOf, KINDS_BE_OBJ, KINDS_OBJ, objectsWithBtf } from './tools.js';

function extOf(path: string): BtfExt {
  return parseBtfExt(btfExtSectionOf(path), parseBtf(btfSectionOf(path)));
}

describe('parseBtfExt', function () {
  for (const obj of objectsWithBtf()) {
    const path = join(REPO_ROOT, obj);
    if (parseElf(readFileSync(path), { machines: 'any' }).sectionByName('.BTF.ext') === undefined) continue;
    it(`${obj}: func_info names the ELF function symbol at each offset; line_info quotes the source`, function () {
      const elf = parseElf(readFileSync(path), { machines: 'any' });
      const btf = parseBtf(btfSectionOf(path));
      const ext = parseBtfExt(btfExtSectionOf(path), btf);
      expect(ext.funcInfoRecordSize).to.equal(8);
      expect(ext.lineInfoRecordSize).to.equal(16);
      let funcs = 0;
      for (const sec of ext.funcInfo) {
        const shndx = elf.sectionByName(sec.section)?.index;
        expect(shndx, sec.section).to.not.equal(undefined);
        for (const r of sec.records) {
          const fn = btf.typeById(r.typeId);
          expect(fn.kind).to.equal('FUNC');
          const sym = elf.symbols.find((s) => s.type === SymbolType.FUNC && s.shndx === shndx && Number(s.value) === r.insnOff);
          expect(sym?.name, `${sec.section}+${r.insnOff}`).to.equal(fn.name);
          funcs++;
        }
      }
      expect(funcs).to.equal(elf.symbols.filter((s) => s.type === SymbolType.FUNC).length);
      let lines = 0;
      for (const sec of ext.lineInfo) {
        for (const r of sec.records) {
          // bpf/build.sh maps the checkout to '.', so sources of the repository are named
          // relative to it and the committed objects do not depend on where they were built.
          if (r.fileName.startsWith('/')) expect(r.fileName, 'a path outside the checkout').to.not.match(/\/(bpf|examples)\/[^/]+/);
          const sourcePath = isAbsolute(r.fileName) ? r.fileName : join(REPO_ROOT, r.fileName);
          if (r.line === '' || !existsSync(sourcePath)) continue;
          const source = readFileSync(sourcePath, 'utf8').split('\n');
          // Other suites' objects may be older than their edited sources: there, the quoted line
          // must still exist; for our own corpus it must be at the recorded line number.
          if (obj.startsWith('bpf/btf/')) expect(source[r.lineNum - 1], `${r.fileName}:${r.lineNum}`).to.equal(r.line);
          else expect(source, `${r.fileName}:${r.lineNum}`).to.include(r.line);
          expect(r.column).to.be.at.most(r.line.length + 1);
          lines++;
        }
      }
      expect(lines).to.be.greaterThan(0);
    });
  }

  it('core.bpf.o: one CO-RE relocation kind per macro of the source (kinds 0..11)', function () {
    const path = join(BPF_DIR, 'core.bpf.o');
    const btf = parseBtf(btfSectionOf(path));
    const ext = parseBtfExt(btfExtSectionOf(path), btf);
    expect(ext.coreReloRecordSize).to.equal(16);
    const relos = ext.coreRelos.flatMap((s) => s.records);
    const kinds = new Set(relos.map((r) => r.kind));
    expect([...kinds].sort((a, b) => a - b)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const exists = relos.find((r) => r.kind === BpfCoreReloKind.FIELD_EXISTS);
    expect(btf.typeName(exists?.typeId ?? 0)).to.equal('task_struct___local');
    const enumValue = relos.find((r) => r.kind === BpfCoreReloKind.ENUMVAL_VALUE);
    expect(btf.typeName(enumValue?.typeId ?? 0)).to.equal('bpf_func_id');
    for (const r of relos) {
      expect(r.accessStr).to.match(/^\d+(:\d+)*$/);
      expect(r.insnOff % 8).to.equal(0);
    }
  });

  it('type_matches.bpf.o carries BPF_CORE_TYPE_MATCHES', function () {
    const path = join(BPF_DIR, 'core', 'type_matches.bpf.o');
    const kinds = extOf(path).coreRelos.flatMap((s) => s.records.map((r) => r.kind));
    expect(kinds).to.include(BpfCoreReloKind.TYPE_MATCHES);
  });

  it('big-endian .BTF.ext parses to the same records', function () {
    const le = extOf(KINDS_OBJ);
    const be = extOf(KINDS_BE_OBJ);
    expect(be.littleEndian).to.equal(false);
    expect({ ...be, littleEndian: true }).to.deep.equal(le);
  });
});
