import { expect } from 'chai';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadObjectSpec } from '../../src/loader/load-object-spec.js';
import { parseObjectSpec, type ObjectSpec } from '../../src/loader/object-spec.js';
import type { ProgramSpec } from '../../src/loader/program-spec.js';
import { BpfTsError } from '../../src/errors/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import {
  BPFTOOL,
  bpftoolJson,
  CC,
  LIBBPF_HEADER,
  LLVM_OBJDUMP,
  LLVM_READELF,
  libbpfOpen,
  objdumpSlots,
  readelf,
  sectionBytes,
  type ReadelfReport,
} from './reference-tools.js';

/** The corpus this suite owns: top-level objects and the core/ and spec/ subfolders. */
function corpus(): string[] {
  const files: string[] = [];
  for (const dir of [BPF_DIR, join(BPF_DIR, 'core'), join(BPF_DIR, 'spec')]) {
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir)) if (f.endsWith('.bpf.o') && !f.startsWith('bad_')) files.push(join(dir, f));
  }
  return files.sort();
}

const OBJECTS = corpus();
const specs = new Map<string, ObjectSpec>();
const reports = new Map<string, ReadelfReport>();

function specOf(file: string): ObjectSpec {
  let s = specs.get(file);
  if (s === undefined) {
    s = parseObjectSpec(readFileSync(file), { fileName: file });
    specs.set(file, s);
  }
  return s;
}

function reportOf(file: string): ReadelfReport {
  let r = reports.get(file);
  if (r === undefined) {
    r = readelf(file);
    reports.set(file, r);
  }
  return r;
}

/** Programs and maps of FILE equal what libbpf's bpf_object__open() reports (see the notes inside). */
function expectLibbpfAgrees(file: string): void {
  const spec = specOf(file);
  const lib = libbpfOpen(file);
  if (spec.maps.some((m) => m.source === 'legacy')) {
    // libbpf >= 1.0 refuses SEC("maps") with -EOPNOTSUPP; see the legacy maps test instead.
    expect(lib.error).to.equal(-95);
    return;
  }
  expect(lib.error).to.equal(undefined);
  const progs = spec.programs
    .map((p) => ({ name: p.name, section: p.section, type: p.type, attachType: p.expectedAttachType, autoload: p.autoload, insnCnt: p.insnCount }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const libProgs = lib.programs.map((p) => ({ ...p })).sort((a, b) => a.name.localeCompare(b.name));
  // libbpf 1.1 predates some SEC() families: it leaves those programs untyped.
  // libbpf 1.1 also sets a struct_ops program's expected attach type to its local member
  // index at open; libbpf master (and we) leave that to load, from the kernel's struct.
  for (const [i, p] of libProgs.entries()) {
    const ours = progs[i];
    if (p.type === 0 && ours !== undefined && ours.type !== 0) libProgs[i] = { ...p, type: ours.type, attachType: ours.attachType };
    if (p.type === 27 && ours !== undefined) libProgs[i] = { ...p, attachType: ours.attachType };
  }
  expect(progs).to.deep.equal(libProgs);
  // libbpf 1.1 predates `.struct_ops.link` and `?.struct_ops`, and reports
  // btf_value_type_id 0 for struct_ops maps (newer libbpf reports the struct's id).
  const known = spec.maps.filter((m) => m.source !== 'struct_ops' || m.sectionName === '.struct_ops');
  const maps = known.map((m) => ({
    name: m.name,
    type: m.type,
    keySize: m.keySize,
    valueSize: m.valueSize,
    maxEntries: m.maxEntries,
    flags: m.flags,
    numaNode: m.numaNode,
    mapExtra: Number(m.mapExtra),
    internal: m.internal,
    btfKeyTypeId: m.btfKeyTypeId,
    btfValueTypeId: m.source === 'struct_ops' ? 0 : m.btfValueTypeId,
    pinned: m.pinning === 1,
    initialValue: hex(m.initialValue()),
  }));
  const libMaps = lib.maps.map(({ pinPath, ...m }) => ({ ...m, pinned: pinPath !== null }));
  expect(maps).to.deep.equal(libMaps);
}

const hex = (b: Uint8Array | undefined): string | null => (b === undefined ? null : Buffer.from(b).toString('hex'));

describe('loader/object-spec: every corpus object against llvm-readelf, llvm-objdump and libbpf', () => {
  it('has the corpus the issue asks for', () => {
    const names = OBJECTS.map((f) => relative(BPF_DIR, f));
    for (const want of ['struct_ops.bpf.o', 'minimal.bpf.o', 'maps.bpf.o', 'legacy_maps.bpf.o', 'globals.bpf.o', 'externs.bpf.o', 'subprogs.bpf.o', 'sections.bpf.o', 'core.bpf.o', 'core/type_matches.bpf.o']) {
      expect(names).to.include(want);
    }
  });

  for (const file of OBJECTS) {
    const name = relative(BPF_DIR, file);
    describe(name, () => {
      before(function () {
        requireTool(this, LLVM_READELF);
      });

      it('programs and subprograms are the FUNC symbols of the executable sections (llvm-readelf)', () => {
        const r = reportOf(file);
        const spec = specOf(file);
        const exec = new Set(r.sections.filter((s) => s.type === 'SHT_PROGBITS' && s.flags.includes('SHF_EXECINSTR') && s.size > 0).map((s) => s.name));
        const funcs = r.symbols.filter((s) => s.type === 'Function' && exec.has(s.section));
        const fromTool = (text: boolean): string[] =>
          funcs
            .filter((s) => (s.section === '.text') === text)
            .map((s) => `${s.section}:${s.name}@${s.value}+${s.size}`)
            .sort();
        const fromSpec = (list: readonly ProgramSpec[]): string[] =>
          list.map((p) => `${p.sectionName}:${p.name}@${p.sectionOffset}+${p.insnCount * 8}`).sort();
        expect(fromSpec(spec.programs)).to.deep.equal(fromTool(false));
        expect(fromSpec(spec.subprograms)).to.deep.equal(fromTool(true));
        expect(spec.programs.length).to.be.greaterThan(0);
      });

      it('instruction counts match llvm-objdump -d', function () {
        requireTool(this, LLVM_OBJDUMP);
        const spec = specOf(file);
        const all = [...spec.programs, ...spec.subprograms];
        const slots = objdumpSlots(file, new Set(all.map((p) => p.name)));
        for (const p of all) expect([p.name, p.insnCount]).to.deep.equal([p.name, slots.get(p.name)]);
      });

      it('every relocation of an executable section is on the right instruction with the right symbol (llvm-readelf -r)', () => {
        const r = reportOf(file);
        const spec = specOf(file);
        const all = [...spec.programs, ...spec.subprograms];
        const execNames = new Set(all.map((p) => p.sectionName));
        const fromTool = r.relocations
          .filter((rel) => execNames.has(rel.target))
          .map((rel) => {
            const prog = all.find((p) => p.sectionName === rel.target && rel.offset >= p.sectionOffset && rel.offset < p.sectionOffset + p.instructions.length);
            expect(prog, `${rel.target}+${rel.offset}`).to.not.equal(undefined);
            return `${(prog as ProgramSpec).name}[${(rel.offset - (prog as ProgramSpec).sectionOffset) / 8}] ${rel.symbol}`;
          })
          .sort();
        const fromSpec = all
          .flatMap((p) => p.relocations.filter((x) => x.kind !== 'core').map((x) => `${p.name}[${x.insnIndex}] ${x.symbol}`))
          .sort();
        expect(fromSpec).to.deep.equal(fromTool);
      });

      it('global variables are the OBJECT symbols of the data sections (llvm-readelf -s)', () => {
        const r = reportOf(file);
        const spec = specOf(file);
        const dataNames = new Set(spec.dataSections.filter((d) => d.kind !== 'kconfig').map((d) => d.name));
        const fromTool = r.symbols
          .filter((s) => s.type === 'Object' && dataNames.has(s.section))
          // libbpf treats hidden (and internal) globals as static.
          .map((s) => `${s.section}:${s.name}@${s.value}+${s.size}:${s.bind === 'Local' || (s.other & 3) === 2 || (s.other & 3) === 1 ? 'static' : 'global'}`)
          .sort();
        const fromSpec = spec.dataSections
          .filter((d) => d.kind !== 'kconfig')
          .flatMap((d) => d.variables.map((v) => `${d.name}:${v.name}@${v.offset}+${v.size}:${v.isStatic ? 'static' : 'global'}`))
          .sort();
        expect(fromSpec).to.deep.equal(fromTool);
        for (const d of spec.dataSections.filter((x) => x.kind === 'data' || x.kind === 'rodata')) {
          expect(hex(d.bytes), d.name).to.equal(hex(sectionBytes(file, d.name)));
        }
      });

      it('BTF ids of programs, variables, externs and BTF maps are the ones bpftool btf dump shows', function () {
        requireTool(this, BPFTOOL);
        const spec = specOf(file);
        if (spec.btf === undefined) this.skip();
        const types = bpftoolJson<{ types: { id: number; kind: string; name: string; type_id?: number }[] }>(['btf', 'dump', 'file', file]).types;
        const idOf = (kind: string, name: string): number | undefined => types.find((t) => t.kind === kind && t.name === name)?.id;
        for (const p of [...spec.programs, ...spec.subprograms]) expect([p.name, p.btfFuncId]).to.deep.equal([p.name, idOf('FUNC', p.name)]);
        for (const d of spec.dataSections) {
          expect([d.name, d.btfTypeId]).to.deep.equal([d.name, idOf('DATASEC', d.name) ?? 0]);
          for (const v of d.variables) {
            const varId = idOf('VAR', v.name);
            expect([v.name, v.btfVarId]).to.deep.equal([v.name, varId ?? 0]);
            expect([v.name, v.btfTypeId]).to.deep.equal([v.name, types.find((t) => t.id === varId)?.type_id ?? 0]);
          }
        }
        for (const e of spec.externs) expect([e.name, e.btfId]).to.deep.equal([e.name, idOf(e.kind === 'kfunc' ? 'FUNC' : 'VAR', e.name)]);
        for (const m of spec.maps.filter((x) => x.source === 'btf' || x.source === 'struct_ops')) {
          expect([m.name, m.btfVarId]).to.deep.equal([m.name, idOf('VAR', m.name)]);
        }
      });

      it('externs are the undefined global symbols (llvm-readelf -s)', () => {
        const r = reportOf(file);
        const spec = specOf(file);
        const fromTool = r.symbols
          .filter((s) => s.sectionIndex === 0 && s.type === 'None' && (s.bind === 'Global' || s.bind === 'Weak') && s.name !== '')
          .map((s) => `${s.name}:${s.bind === 'Weak' ? 'weak' : 'strong'}`)
          .sort();
        expect(spec.externs.map((e) => `${e.name}:${e.weak ? 'weak' : 'strong'}`).sort()).to.deep.equal(fromTool);
      });

      it('license and version match their sections (llvm-readelf -x)', () => {
        const r = reportOf(file);
        const spec = specOf(file);
        if (r.sections.some((s) => s.name === 'license')) {
          const bytes = sectionBytes(file, 'license');
          const nul = bytes.indexOf(0);
          expect(spec.license).to.equal(Buffer.from(bytes.subarray(0, nul < 0 ? bytes.length : nul)).toString('utf8'));
          expect(spec.license).to.not.equal('');
        } else {
          expect(spec.license).to.equal('');
        }
        if (r.sections.some((s) => s.name === 'version')) {
          expect(spec.kernelVersion).to.equal(Buffer.from(sectionBytes(file, 'version')).readUInt32LE(0));
        } else {
          expect(spec.kernelVersion).to.equal(undefined);
        }
      });

      it('programs and maps are what libbpf bpf_object__open() makes of the file', function () {
        requireTool(this, CC);
        requireTool(this, LIBBPF_HEADER);
        expectLibbpfAgrees(file);
      });
    });
  }
});

describe("loader/object-spec: the other test inputs in bpf/ (other suites' objects)", () => {
  const mine = new Set(OBJECTS);
  const others = existsSync(BPF_DIR)
    ? readdirSync(BPF_DIR, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.bpf.o'))
        .map((f) => join(BPF_DIR, f))
        .filter((f) => !mine.has(f) && !relative(BPF_DIR, f).startsWith('spec/'))
        .sort()
    : [];
  for (const file of others) {
    it(`${relative(BPF_DIR, file)}: parsed when libbpf opens it, refused when libbpf refuses it`, function () {
      requireTool(this, CC);
      requireTool(this, LIBBPF_HEADER);
      const lib = libbpfOpen(file);
      let spec: ObjectSpec | undefined;
      let error: unknown;
      try {
        spec = parseObjectSpec(readFileSync(file), { fileName: file });
      } catch (e) {
        error = e;
      }
      if (spec === undefined) {
        expect(error).to.be.instanceOf(BpfTsError);
        expect(lib.error, `libbpf opens ${file}, we refuse it: ${(error as Error).message}`).to.be.lessThan(0);
        return;
      }
      // libbpf 1.1 cannot open objects of the other byte order; we can.
      if (spec.endianness === 'big') return;
      specs.set(file, spec);
      expectLibbpfAgrees(file);
    });
  }
});

describe('loader/object-spec: what the tools cannot show', () => {
  const file = join(BPF_DIR, 'legacy_maps.bpf.o');

  it('legacy SEC("maps") definitions decode to the bytes llvm-readelf dumps', function () {
    requireTool(this, LLVM_READELF);
    const spec = specOf(file);
    const bytes = Buffer.from(sectionBytes(file, 'maps'));
    const syms = reportOf(file).symbols.filter((s) => s.section === 'maps').sort((a, b) => a.value - b.value);
    expect(spec.maps.map((m) => m.name)).to.deep.equal(syms.map((s) => s.name));
    for (const m of spec.maps) {
      const at = m.sectionOffset;
      expect([m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]).to.deep.equal([0, 4, 8, 12, 16].map((o) => bytes.readUInt32LE(at + o)));
      expect(m.source).to.equal('legacy');
    }
  });

  it('prog array and map-in-map slots name the targets of .rel.maps (llvm-readelf -r)', function () {
    requireTool(this, LLVM_READELF);
    const mapsFile = join(BPF_DIR, 'maps.bpf.o');
    const spec = specOf(mapsFile);
    const rels = reportOf(mapsFile).relocations.filter((r) => r.target === '.maps');
    const slots = spec.maps.flatMap((m) => m.values.map((v) => `${m.name}:${v.kind}:${v.target}`)).sort();
    const fromTool = rels
      .map((r) => {
        const m = spec.maps.find((x) => x.sectionName === '.maps' && r.offset >= x.sectionOffset && r.offset < x.sectionOffset + 64);
        const owner = spec.maps.filter((x) => x.sectionName === '.maps' && x.sectionOffset <= r.offset).sort((a, b) => b.sectionOffset - a.sectionOffset)[0];
        expect(m).to.not.equal(undefined);
        return `${owner?.name}:${spec.programs.some((p) => p.name === r.symbol) ? 'program' : 'map'}:${r.symbol}`;
      })
      .sort();
    expect(slots).to.deep.equal(fromTool);
    expect(spec.map('jump_table')?.values).to.deep.equal([
      { index: 0, kind: 'program', target: 'tail_zero' },
      { index: 3, kind: 'program', target: 'tail_one' },
    ]);
    expect(spec.map('outer_array')?.values.map((v) => [v.index, v.target])).to.deep.equal([
      [0, 'inner_b'],
      [1, 'inner_a'],
    ]);
    const inner = spec.map('outer_hash')?.innerMap;
    expect([inner?.type, inner?.keySize, inner?.valueSize, inner?.maxEntries]).to.deep.equal([1, 4, 8, 16]);
  });

  it('struct_ops values name the programs of their relocations (llvm-readelf -r -s)', function () {
    requireTool(this, LLVM_READELF);
    const file = join(BPF_DIR, 'struct_ops.bpf.o');
    const spec = specOf(file);
    const r = reportOf(file);
    const sections = new Set(spec.maps.filter((m) => m.source === 'struct_ops').map((m) => m.sectionName));
    expect([...sections].sort()).to.deep.equal(['.struct_ops', '.struct_ops.link', '?.struct_ops']);
    const fromTool = r.relocations
      .filter((rel) => sections.has(rel.target))
      .map((rel) => {
        const owner = r.symbols.find((s) => s.type === 'Object' && s.section === rel.target && rel.offset >= s.value && rel.offset < s.value + s.size);
        return `${owner?.name}:${rel.symbol}`;
      })
      .sort();
    const fromSpec = spec.maps.flatMap((m) => (m.structOps?.programs ?? []).map((p) => `${m.name}:${p.program}`)).sort();
    expect(fromSpec).to.deep.equal(fromTool);
    const cc = spec.map('bpf_ts_cc');
    expect([cc?.type, cc?.flags, cc?.autocreate, cc?.structOps?.typeName]).to.deep.equal([26, 1 << 13, true, 'tcp_congestion_ops']);
    expect(cc?.structOps?.programs.find((p) => p.program === 'bpf_ts_init')?.member).to.equal('init');
    expect(spec.map('bpf_ts_cc_off')?.autocreate).to.equal(false);
    const name = Buffer.from(cc?.structOps?.data ?? []).indexOf('bpf_ts_cc\0');
    expect(name).to.be.greaterThan(0);
  });

  it('.BTF.ext func_info and line_info are split per function', () => {
    const spec = specOf(join(BPF_DIR, 'subprogs.bpf.o'));
    for (const p of [...spec.programs, ...spec.subprograms]) {
      expect(p.funcInfo, p.name).to.deep.equal([{ insnIndex: 0, typeId: p.btfFuncId }]);
      expect(p.btfFuncId, p.name).to.be.greaterThan(0);
      expect(spec.btf?.typeName(p.btfFuncId)).to.equal(p.name);
      expect(p.lineInfo.length, p.name).to.be.greaterThan(0);
      for (const l of p.lineInfo) {
        expect(l.insnIndex).to.be.within(0, p.insnCount - 1);
        expect(l.fileName).to.match(/subprogs\.bpf\.c$/);
      }
    }
  });

  it('loadObjectSpec reads the file and names internal maps after it', async () => {
    const spec = await loadObjectSpec(join(BPF_DIR, 'globals.bpf.o'));
    expect(spec.objectName).to.equal('globals');
    expect(spec.map('globals.rodata')?.internal).to.equal(true);
    const renamed = parseObjectSpec(readFileSync(join(BPF_DIR, 'globals.bpf.o')), { fileName: 'x.o', objectName: 'a_very_long_object_name' });
    expect(renamed.maps.map((m) => m.name)).to.include.members(['a_very_l.rodata', 'a_very_l.bss', '.data.custom']);
  });
});
