import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BtfError, fixupDatasecEdits, fixupDatasecs, parseBtf, type BtfDatasec, type BtfType, type DatasecElfInfo } from '../../src/btf/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import { datasecFactsOf } from './elf-facts.js';
import { BPFTOOL, bpftool, btfSectionOf, KINDS_OBJ } from './tools.js';

/** DATASEC name -> "var@offset+size" list, from bpftool's raw dump text. */
function datasecsFromDump(dump: string): Map<string, { size: number; vars: string[] }> {
  const out = new Map<string, { size: number; vars: string[] }>();
  for (const m of dump.matchAll(/^\[\d+\] DATASEC '([^']*)' size=(\d+) vlen=\d+\n((?:\t.*\n)*)/gm)) {
    const vars = [...(m[3] ?? '').matchAll(/offset=(\d+) size=(\d+) \(\w+ '([^']*)'\)/g)].map((v) => `${v[3]}@${v[1]}+${v[2]}`);
    out.set(m[1] as string, { size: Number(m[2]), vars });
  }
  return out;
}

function datasecsOf(types: readonly BtfType[]): Map<string, { size: number; vars: string[] }> {
  const out = new Map<string, { size: number; vars: string[] }>();
  for (const t of types) {
    if (t.kind !== 'DATASEC') continue;
    out.set(t.name, { size: t.size, vars: t.vars.map((v) => `${types[v.type - 1]?.name ?? '?'}@${v.offset}+${v.size}`) });
  }
  return out;
}

describe('fixupDatasecs (libbpf btf_fixup_datasec)', function () {
  for (const name of ['btf/kinds.bpf.o', 'globals.bpf.o', 'maps.bpf.o', 'externs.bpf.o']) {
    it(`${name}: sizes and offsets equal libbpf's static linker output (bpftool gen object)`, function () {
      requireTool(this, BPFTOOL);
      const path = join(BPF_DIR, name);
      const linked = join(mkdtempSync(join(tmpdir(), 'bpf-ts-link-')), 'linked.o');
      bpftool(['gen', 'object', linked, path]);
      const want = datasecsFromDump(bpftool(['btf', 'dump', 'file', linked]));
      const got = datasecsOf(fixupDatasecs(parseBtf(btfSectionOf(path)), datasecFactsOf(path)));
      expect(got.size).to.be.greaterThan(0);
      for (const [sec, value] of got) expect(value, sec).to.deep.equal(want.get(sec));
    });

    it(`${name}: fixupDatasecEdits changes what fixupDatasecs changes, inflating only DATASECs and their VARs`, function () {
      const path = join(BPF_DIR, name);
      const facts = datasecFactsOf(path);
      const btf = parseBtf(btfSectionOf(path));
      const changed = fixupDatasecEdits(btf, facts);
      for (let id = 1; id < btf.typeCount; id++) {
        const t = btf.inflatedType(id);
        if (t !== undefined) expect(['DATASEC', 'VAR'], `type ${id} inflated`).to.include(t.kind);
      }
      expect(changed.size).to.be.greaterThan(0);
      const applied = [...btf.types()].map((t) => changed.get(t.id) ?? t);
      expect(applied).to.deep.equal(fixupDatasecs(parseBtf(btfSectionOf(path)), facts));
    });
  }

  it('a hidden global becomes static; other globals, statics and externs keep their linkage', function () {
    const out = fixupDatasecs(parseBtf(btfSectionOf(KINDS_OBJ)), datasecFactsOf(KINDS_OBJ));
    const linkage = (n: string): number | undefined => {
      const v = out.find((t) => t.kind === 'VAR' && t.name === n);
      return v?.kind === 'VAR' ? v.linkage : undefined;
    };
    // llvm-readelf: hidden_global is GLOBAL HIDDEN, counter is GLOBAL DEFAULT.
    expect(execFileSync('llvm-readelf', ['-s', KINDS_OBJ], { encoding: 'utf8' })).to.match(/GLOBAL HIDDEN +\d+ hidden_global/);
    expect(linkage('hidden_global')).to.equal(0);
    expect(linkage('counter')).to.equal(1);
    expect(linkage('some_extern')).to.equal(2);
  });

  it('sorts secinfos by offset and leaves .kconfig/.ksyms sizes alone', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const types = [...btf.types()];
    const data = types.find((t): t is BtfDatasec => t.kind === 'DATASEC' && t.name === '.data');
    expect(data).to.not.equal(undefined);
    const reversed = { ...(data as BtfDatasec), name: '.kconfig', size: 99, vars: [...(data as BtfDatasec).vars].reverse().map((v, i) => ({ ...v, offset: i * 8 })) };
    const facts: DatasecElfInfo = { sectionSize: () => undefined, variableSymbol: () => undefined };
    const stub = { ...btf, firstId: 1, types: () => [reversed][Symbol.iterator](), typeById: (id: number) => btf.typeById(id) } as unknown as Parameters<typeof fixupDatasecs>[0];
    const [fixed] = fixupDatasecs(stub, facts);
    expect(fixed).to.deep.equal({ ...reversed });
  });

  it('errors: missing ELF section, missing symbol, non-VAR secinfo', function () {
    const btf = parseBtf(btfSectionOf(KINDS_OBJ));
    const real = datasecFactsOf(KINDS_OBJ);
    const bss = btf.findByName('.bss', 'DATASEC')[0];
    expect(() => fixupDatasecs(btf, { ...real, sectionSize: (n) => (n === '.bss' ? undefined : real.sectionSize(n)) })).to.throw(
      BtfError,
      `DATASEC '.bss': failed to determine size from ELF (size unknown) (type id ${bss})`,
    );
    const data = btf.findByName('.data', 'DATASEC')[0];
    expect(() => fixupDatasecs(btf, { ...real, variableSymbol: (n) => (n === 'counter' ? undefined : real.variableSymbol(n)) })).to.throw(
      BtfError,
      `DATASEC '.data': failed to find ELF symbol for VAR 'counter' (type id ${data})`,
    );
    const types = [...btf.types()];
    const sec = types[(data as number) - 1] as BtfDatasec;
    const bad = { ...sec, vars: [{ type: 2, offset: 0, size: 4 }] };
    const stub = { firstId: 1, types: () => [...types.slice(0, (data as number) - 1), bad][Symbol.iterator](), typeById: (id: number) => btf.typeById(id) } as unknown as Parameters<typeof fixupDatasecs>[0];
    expect(() => fixupDatasecs(stub, real)).to.throw(BtfError, `DATASEC '.data': unexpected non-VAR type STRUCT at secinfo 0 (type id ${data})`);
  });
});
