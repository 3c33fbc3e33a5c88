/**
 * The pure parts of the load half, without a kernel: .kconfig values, kallsyms parsing,
 * subprogram appending and instruction relocation, map attribute adjustments, attach-target
 * naming, BTF extern finalization and line_info encoding.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { ALL_BTF_FEATURES, BtfLinkage, BtfStringTable, encodeBtf, encodeBtfEdits, parseBtf, sanitizeBtf } from '../../src/btf/index.js';
import { BTF_FEATURE_PROBES } from '../../src/loader/kernel-facts-btf-features.js';
import { appendSubprograms, loadObjectSpec, LoadError, parseCInteger, parseKallsyms, relocateInstructions, resolveKconfig, type RelocationTargets } from '../../src/loader/index.js';
import type { ExternSpec, KernelFacts } from '../../src/loader/index.js';
import { resolveKsyms } from '../../src/loader/externs-resolve.js';
import { effectiveAttributes, pinDifferences, ringbufSize } from '../../src/loader/create-maps.js';
import { DUMMY_KSYM_NAME, fixupProgramBtf, programBtfEdits } from '../../src/loader/load-btf.js';
import { attachBtfName, encodeLineInfo } from '../../src/loader/load-program.js';
import { LINE_INFO_SOURCE } from '../../src/loader/program-spec.js';
import { POISON_CALL_KFUNC_BASE } from '../../src/loader/relocate-program.js';
import { AttachType, MapType, ProgType, type MapInfo } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';

function kc(name: string, type: 'bool' | 'char' | 'tristate' | 'int' | 'char_array', size: number, offset: number, opts: { weak?: boolean; signed?: boolean } = {}): ExternSpec {
  return {
    name,
    essentialName: name,
    kind: 'kconfig',
    weak: opts.weak ?? false,
    symbolIndex: 0,
    btfId: 0,
    typeId: 0,
    kconfig: { type, size, align: Math.min(size, 8), signed: opts.signed ?? false, offset },
  };
}
const FACTS = { config: new Map<string, string>(), kernelVersion: 0x61200, hasSyscallWrapper: true, hasBpfCookie: false };

describe('resolveKconfig', function () {
  it('fills bool, tristate, char, int (hex, octal, negative), strings and LINUX_* values', function () {
    const externs = [
      kc('CONFIG_A', 'bool', 1, 0),
      kc('CONFIG_T', 'tristate', 4, 4),
      kc('CONFIG_C', 'char', 1, 8),
      kc('CONFIG_HEX', 'int', 4, 12),
      kc('CONFIG_OCT', 'int', 2, 16),
      kc('CONFIG_NEG', 'int', 8, 24, { signed: true }),
      kc('CONFIG_S', 'char_array', 4, 32),
      kc('LINUX_KERNEL_VERSION', 'int', 4, 36),
      kc('LINUX_HAS_SYSCALL_WRAPPER', 'bool', 1, 40),
      kc('LINUX_HAS_BPF_COOKIE', 'bool', 1, 41),
      kc('CONFIG_MISSING', 'int', 4, 44, { weak: true }),
    ];
    const config = new Map([
      ['CONFIG_A', 'y'],
      ['CONFIG_T', 'm'],
      ['CONFIG_C', 'n'],
      ['CONFIG_HEX', '0x1f'],
      ['CONFIG_OCT', '010'],
      ['CONFIG_NEG', '-5'],
      ['CONFIG_S', '"abcdef"'],
    ]);
    const v = resolveKconfig(externs, 48, { ...FACTS, config });
    const dv = new DataView(v.buffer);
    expect(v[0]).to.equal(1);
    expect(dv.getUint32(4, true)).to.equal(2);
    expect(String.fromCharCode(v[8] as number)).to.equal('n');
    expect(dv.getUint32(12, true)).to.equal(31);
    expect(dv.getUint16(16, true)).to.equal(8);
    expect(dv.getBigInt64(24, true)).to.equal(-5n);
    expect(Buffer.from(v.subarray(32, 36)).toString('latin1')).to.equal('abc\0'); // truncated, NUL-terminated
    expect(dv.getUint32(36, true)).to.equal(0x61200);
    expect([v[40], v[41]]).to.deep.equal([1, 0]);
    expect(dv.getUint32(44, true)).to.equal(0);
  });

  const bad: [string, ExternSpec, string | undefined, string][] = [
    ['m in a bool', kc('CONFIG_X', 'bool', 1, 0), 'm', "extern 'CONFIG_X': (kconfig) value 'm' cannot be a bool"],
    ['a number in a bool', kc('CONFIG_X', 'bool', 1, 0), '5', "extern 'CONFIG_X': (kconfig) numeric value '5' needs an integer extern, not bool"],
    ['text in an int', kc('CONFIG_X', 'int', 4, 0), '"s"', "extern 'CONFIG_X': (kconfig) string value \"s\" needs a char array"],
    ['a tristate in an int', kc('CONFIG_X', 'int', 4, 0), 'y', "extern 'CONFIG_X': (kconfig) value 'y' is a tristate, the extern is int"],
    ['a value too wide', kc('CONFIG_X', 'int', 1, 0), '256', "extern 'CONFIG_X': (kconfig) value 256 does not fit in 1 bytes"],
    ['garbage', kc('CONFIG_X', 'int', 4, 0), '12abc', "extern 'CONFIG_X': (kconfig) invalid numeric value '12abc'"],
    ['an unterminated string', kc('CONFIG_X', 'char_array', 4, 0), '"ab', "extern 'CONFIG_X': (kconfig) invalid string value \"ab"],
    ['a missing strong option', kc('CONFIG_X', 'int', 4, 0), undefined, "extern 'CONFIG_X': (kconfig) value not found in the kernel config (declare it __weak to default to 0)"],
    ['an unknown LINUX_ extern', kc('LINUX_FOO', 'int', 4, 0), undefined, "extern 'LINUX_FOO': (kconfig) unrecognized LINUX_ extern"],
    ['LINUX_KERNEL_VERSION in a char array', kc('LINUX_KERNEL_VERSION', 'char_array', 4, 0), undefined, "extern 'LINUX_KERNEL_VERSION': (kconfig) type char_array cannot hold LINUX_KERNEL_VERSION"],
  ];
  for (const [what, ext, value, message] of bad) {
    it(`refuses ${what}`, function () {
      const config = new Map(value === undefined ? [] : [[ext.name, value]]);
      expect(() => resolveKconfig([ext], 8, { ...FACTS, config })).to.throw(LoadError, message);
    });
  }

  it('parses C integers like strtoull(..., 0)', function () {
    expect(parseCInteger('0x10')).to.equal(16n);
    expect(parseCInteger('017')).to.equal(15n);
    expect(parseCInteger('0')).to.equal(0n);
    expect(parseCInteger('-1')).to.equal(0xffffffffffffffffn);
    expect(parseCInteger('08')).to.equal(undefined);
    expect(parseCInteger('')).to.equal(undefined);
  });
});

describe('parseKallsyms', function () {
  it('reads kernel and module symbols, first occurrence wins', function () {
    const m = parseKallsyms('ffffffff81000000 T _text\nffffffffc0001000 t foo\t[mod]\nffffffff81000010 T foo\n0000000000000000 A fixed_percpu_data\n');
    expect(m.get('_text')).to.equal(0xffffffff81000000n);
    expect(m.get('foo')).to.equal(0xffffffffc0001000n);
    expect(m.get('fixed_percpu_data')).to.equal(0n);
    expect(m.size).to.equal(3);
  });
});

describe('appendSubprograms / relocateInstructions', function () {
  const targets = (over: Partial<RelocationTargets> = {}): RelocationTargets => ({
    mapFd: () => 7,
    dataMapFd: () => 8,
    kconfig: () => undefined,
    kfunc: () => undefined,
    ksym: () => undefined,
    externIndex: () => 3,
    ...over,
  });
  const insn = (b: Uint8Array, i: number): { op: number; src: number; off: number; imm: number } => {
    const v = new DataView(b.buffer, b.byteOffset + i * 8, 8);
    return { op: v.getUint8(0), src: v.getUint8(1) >> 4, off: v.getInt16(2, true), imm: v.getInt32(4, true) };
  };

  it('appends each callee once, follows clang-resolved .text calls, and points every call at its copy', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'subprogs.bpf.o'));
    const main = spec.program('prog_b');
    if (main === undefined) throw new Error('no prog_b');
    const linked = appendSubprograms(main, spec.subprograms);
    const starts = new Map(linked.functions.map((f) => [f.spec.name, f.start]));
    expect(linked.functions[0]?.spec.name).to.equal('prog_b');
    expect(new Set(linked.functions.map((f) => f.spec.name)).size).to.equal(linked.functions.length);
    const out = relocateInstructions(linked, targets());
    expect(out.length).to.equal(linked.functions.reduce((n, f) => n + f.spec.insnCount, 0) * 8);
    // Every pseudo call/func address lands on the start of an appended function.
    const begins = new Set(starts.values());
    for (let i = 0; i < out.length / 8; i++) {
      const x = insn(out, i);
      if ((x.op === 0x85 && x.src === 1) || (x.op === 0x18 && x.src === 4)) expect(begins.has(i + 1 + x.imm), `insn ${i}`).to.equal(true);
      if (x.op === 0x18) i++;
    }
    // func_info: one record per function, at its start.
    expect(linked.funcInfo.map((f) => f.insnIndex)).to.deep.equal([...begins].sort((a, b) => a - b));
    // Data relocations become BPF_PSEUDO_MAP_VALUE of the section's map, offset in the second imm.
    const data = linked.relocations.find((r) => r.kind === 'data');
    if (data?.kind !== 'data') throw new Error('no data relocation');
    expect(insn(out, data.insnIndex)).to.include({ src: 2, imm: 8 });
    expect(insn(out, data.insnIndex + 1).imm).to.equal(data.offset);
  });

  it('poisons a weak missing kfunc call with libbpf\'s number and resolves present ones', function () {
    const call = new Uint8Array(16);
    call.set([0x85, 0x10, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x95]);
    const spec = { name: 'p', instructions: call, insnCount: 2, relocations: [{ kind: 'kfunc', insnIndex: 0, symbol: 'f', extern: 'f', weak: true }], funcInfo: [], lineInfo: [], isSubprogram: false, sectionOffset: 0 };
    const linked = appendSubprograms(spec as never, []);
    expect(insn(relocateInstructions(linked, targets()), 0)).to.include({ src: 0, imm: POISON_CALL_KFUNC_BASE + 3 });
    expect(insn(relocateInstructions(linked, targets({ kfunc: () => ({ btfId: 1234, fdIndex: 2 }) })), 0)).to.include({ src: 2, imm: 1234, off: 2 });
  });

  it('refuses a relocation on the wrong instruction or to a missing map', function () {
    const exit = new Uint8Array(8);
    exit[0] = 0x95;
    const spec = { name: 'p', instructions: exit, insnCount: 1, relocations: [{ kind: 'map', insnIndex: 0, symbol: 'm', map: 'm' }], funcInfo: [], lineInfo: [], isSubprogram: false, sectionOffset: 0 };
    const linked = appendSubprograms(spec as never, []);
    expect(() => relocateInstructions(linked, targets())).to.throw(LoadError, "program 'p': instruction 0 (map relocation of 'm'): not an ld_imm64 instruction");
    const ld = new Uint8Array(16);
    ld[0] = 0x18;
    const linked2 = appendSubprograms({ ...spec, instructions: ld, insnCount: 2 } as never, []);
    expect(() => relocateInstructions(linked2, targets({ mapFd: () => undefined }))).to.throw(LoadError, "program 'p': instruction 0 (map relocation of 'm'): map 'm' was not created");
  });

  it('refuses a call into .text where no function is', function () {
    const call = new Uint8Array(8);
    call.set([0x85, 0x10]);
    const spec = { name: 'p', instructions: call, insnCount: 1, relocations: [{ kind: 'call', insnIndex: 0, symbol: '.text', target: 'x', targetInsn: 99 }], funcInfo: [], lineInfo: [], isSubprogram: false, sectionOffset: 0 };
    expect(() => appendSubprograms(spec as never, [])).to.throw(LoadError, "program 'p': relocation at instruction 0 targets .text instruction 99, which no function holds");
  });
});

describe('map attribute adjustments', function () {
  it('sizes perf event arrays to the CPUs and rounds ring buffers to a power-of-2 number of pages', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'maps.bpf.o'));
    const perf = spec.maps.find((m) => m.type === MapType.PERF_EVENT_ARRAY && m.maxEntries === 0);
    if (perf === undefined) throw new Error('no perf event array without max_entries');
    expect(effectiveAttributes(perf, 6, 4096).maxEntries).to.equal(6);
    expect(ringbufSize(0, 4096)).to.equal(0);
    expect(ringbufSize(1, 4096)).to.equal(4096);
    expect(ringbufSize(4096 * 3, 4096)).to.equal(4096 * 4);
    expect(ringbufSize(4096 * 4, 4096)).to.equal(4096 * 4);
  });

  it('lists every field libbpf compares before reusing a pin', function () {
    const info = { type: 1, keySize: 4, valueSize: 8, maxEntries: 10, mapFlags: 0, mapExtra: 0n } as MapInfo;
    expect(pinDifferences(info, { name: 'x', type: 1, keySize: 4, valueSize: 8, maxEntries: 10, flags: 0 }, 0n)).to.deep.equal([]);
    expect(pinDifferences(info, { name: 'x', type: 2, keySize: 8, valueSize: 4, maxEntries: 1, flags: 1 }, 5n)).to.deep.equal([
      'type: pinned 1 vs object 2',
      'key_size: pinned 4 vs object 8',
      'value_size: pinned 8 vs object 4',
      'max_entries: pinned 10 vs object 1',
      'map_flags: pinned 0 vs object 1',
      'map_extra: pinned 0 vs object 5',
    ]);
  });
});

describe('attach targets and BTF', function () {
  it('names attach targets as libbpf looks them up', function () {
    const p = (section: string, type: number, expectedAttachType: number, attachTo: string) => attachBtfName({ section, type, expectedAttachType, attachTo });
    expect(p('tp_btf/sched_switch', ProgType.TRACING, AttachType.TRACE_RAW_TP, 'sched_switch')).to.deep.equal({ name: 'btf_trace_sched_switch', kind: 'TYPEDEF' });
    expect(p('lsm/file_open', ProgType.LSM, AttachType.LSM_MAC, 'file_open')).to.deep.equal({ name: 'bpf_lsm_file_open', kind: 'FUNC' });
    expect(p('iter/task', ProgType.TRACING, AttachType.TRACE_ITER, 'task')).to.deep.equal({ name: 'bpf_iter_task', kind: 'FUNC' });
    expect(p('fentry/nf_conntrack:nf_ct_delete', ProgType.TRACING, AttachType.TRACE_FENTRY, 'nf_conntrack:nf_ct_delete')).to.deep.equal({ name: 'nf_ct_delete', kind: 'FUNC' });
    expect(p('kprobe/do_nanosleep', ProgType.KPROBE, 0, 'do_nanosleep')).to.equal(undefined);
  });

  it('turns extern types into what the kernel accepts, as libbpf does at open', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'load', 'externs_ok.bpf.o'));
    const btf = spec.btf;
    if (btf === undefined) throw new Error('no BTF');
    const types = fixupProgramBtf(spec, btf);
    const byId = (id: number) => types[id - btf.firstId];
    const ksyms = types.find((t) => t.kind === 'DATASEC' && t.name === '.ksyms');
    if (ksyms?.kind !== 'DATASEC') throw new Error('no .ksyms');
    expect(ksyms.vars.map((v) => [v.offset, v.size])).to.deep.equal(ksyms.vars.map((_, i) => [i * 4, 4]));
    expect(ksyms.size).to.equal(ksyms.vars.length * 4);
    const dummy = types[types.length - 1];
    expect(dummy).to.deep.include({ kind: 'VAR', name: DUMMY_KSYM_NAME, linkage: BtfLinkage.GLOBAL });
    for (const t of types) {
      if (t.kind === 'VAR' || t.kind === 'FUNC') expect(t.linkage, t.name).to.not.equal(BtfLinkage.EXTERN);
    }
    const kconfig = types.find((t) => t.kind === 'DATASEC' && t.name === '.kconfig');
    if (kconfig?.kind !== 'DATASEC') throw new Error('no .kconfig');
    expect(kconfig.size).to.equal(spec.dataSections.find((d) => d.kind === 'kconfig')?.bytes.length);
    for (const v of kconfig.vars) {
      const e = spec.externs.find((x) => x.btfId === v.type);
      expect([v.offset, v.size], byId(v.type)?.name).to.deep.equal([e?.kconfig?.offset, e?.kconfig?.size]);
    }
  });

  it('encodes line_info with string offsets from the BTF and line << 10 | column', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'minimal.bpf.o'));
    const prog = spec.programs[0];
    if (prog === undefined || spec.btf === undefined) throw new Error('no program');
    const strings = BtfStringTable.from(spec.btf.strings);
    const { data, recSize } = encodeLineInfo(prog.lineInfo, strings);
    expect(recSize).to.equal(16);
    const v = new DataView(data.buffer);
    prog.lineInfo.forEach((l, i) => {
      expect(v.getUint32(i * 16, true)).to.equal(l.insnIndex);
      expect(spec.btf?.strings.get(v.getUint32(i * 16 + 4, true))).to.equal(l.fileName);
      expect(spec.btf?.strings.get(v.getUint32(i * 16 + 8, true))).to.equal(l.line);
      expect(v.getUint32(i * 16 + 12, true)).to.equal((l.lineNumber << 10) | l.column);
    });
  });
});

describe('programBtfEdits + encodeBtfEdits (the object BTF a load sends)', function () {
  for (const name of ['externs.bpf.o', 'globals.bpf.o', 'maps.bpf.o', 'struct_ops.bpf.o', 'load/hidden_subprog.bpf.o', 'load/tracer.bpf.o']) {
    it(`${name}: the same types as fixupProgramBtf, without inflating the unchanged ones`, async function () {
      const spec = await loadObjectSpec(join(BPF_DIR, name));
      const btf = spec.btf;
      if (btf === undefined) throw new Error('no BTF');
      const want = fixupProgramBtf(spec, btf);
      const fresh = parseBtf(btf.bytes);
      const edits = programBtfEdits(spec, fresh);
      const bytes = encodeBtfEdits(fresh, edits, BtfStringTable.from(fresh.strings));
      const inflated = [...Array(fresh.typeCount - 1).keys()].filter((i) => fresh.inflatedType(i + 1) !== undefined).length;
      expect(inflated, 'types inflated').to.be.below(fresh.typeCount - 1);
      expect([...parseBtf(bytes).types()]).to.deep.equal(want);
      expect(sameBytesAs(bytes, encodeBtf(want, BtfStringTable.from(btf.strings), { source: btf }))).to.equal(true);
    });
  }

  it('a table not seeded from the source: every type encoded, same types', function () {
    return loadObjectSpec(join(BPF_DIR, 'externs.bpf.o')).then((spec) => {
      const btf = spec.btf;
      if (btf === undefined) throw new Error('no BTF');
      const bytes = encodeBtfEdits(btf, programBtfEdits(spec, btf), new BtfStringTable());
      expect([...parseBtf(bytes).types()]).to.deep.equal(fixupProgramBtf(spec, btf));
    });
  });
});

function sameBytesAs(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;
}

describe('encodeLineInfo: offsets of parsed records', function () {
  it('keeps a parsed record\'s own offsets, and interns the strings of an edited record', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'minimal.bpf.o'));
    const btf = spec.btf;
    const prog = spec.programs[0];
    if (prog === undefined || btf === undefined) throw new Error('no program');
    const [first] = prog.lineInfo;
    if (first === undefined) throw new Error('no line_info');
    const source = first[LINE_INFO_SOURCE];
    expect(source, 'the parser records where the strings were').to.not.equal(undefined);
    const strings = BtfStringTable.from(btf.strings);
    const edited = { ...first, line: 'a line no .BTF holds' };
    const fresh = { insnIndex: 3, fileName: first.fileName, line: first.line, lineNumber: 7, column: 2 };
    const { data } = encodeLineInfo([first, edited, fresh], strings);
    const v = new DataView(data.buffer);
    expect([v.getUint32(4, true), v.getUint32(8, true)]).to.deep.equal([source?.fileNameOff, source?.lineOff]);
    // The edited line is appended to the table (past the seed), the file name keeps its offset.
    expect(v.getUint32(16 + 4, true)).to.equal(source?.fileNameOff);
    const appended = v.getUint32(16 + 8, true);
    expect(appended).to.be.at.least(btf.strings.bytes.length);
    const table = strings.toBytes();
    expect(Buffer.from(table.subarray(appended, table.indexOf(0, appended))).toString()).to.equal('a line no .BTF holds');
    // A record built by hand is interned: same strings, first offsets of the table.
    expect(btf.strings.get(v.getUint32(32 + 4, true))).to.equal(first.fileName);
    expect(btf.strings.get(v.getUint32(32 + 8, true))).to.equal(first.line);
  });
});

describe('resolveKsyms', function () {
  const btf = (names: Record<string, number>) => ({ findByName: (n: string) => (names[n] === undefined ? [] : [names[n]]), firstId: 1 });
  const facts = (vmlinux: Record<string, number>, syms: Record<string, bigint> = {}): KernelFacts => ({
    vmlinuxBtf: () => btf(vmlinux) as never,
    moduleBtf: () => undefined,
    moduleNames: () => [],
    kernelConfig: () => new Map(),
    kallsyms: () => new Map(Object.entries(syms)),
    kernelVersion: () => 0,
    hasSyscallWrapper: () => false,
    hasBpfCookie: () => false,
  });
  const ext = (name: string, kind: 'ksym' | 'kfunc', typeId: number, weak = false): ExternSpec => ({ name, essentialName: name, kind, weak, symbolIndex: 0, btfId: 1, typeId, kconfig: undefined });

  it('resolves kfuncs and typed ksyms by BTF name, untyped ones by kallsyms, weak missing to undefined', function () {
    const r = resolveKsyms([ext('f', 'kfunc', 2), ext('v', 'ksym', 3), ext('a', 'ksym', 0), ext('w', 'kfunc', 2, true)], facts({ f: 10, v: 11 }, { a: 0x1234n }));
    expect(r.get('f')).to.deep.equal({ kind: 'btf', target: { btfId: 10, module: undefined } });
    expect(r.get('v')).to.deep.equal({ kind: 'btf', target: { btfId: 11, module: undefined } });
    expect(r.get('a')).to.deep.equal({ kind: 'address', address: 0x1234n });
    expect(r.has('w')).to.equal(true);
    expect(r.get('w')).to.equal(undefined);
  });

  it('refuses strong externs the kernel lacks', function () {
    expect(() => resolveKsyms([ext('f', 'kfunc', 2)], facts({}))).to.throw(LoadError, "extern 'f': kernel function not found in kernel BTF");
    expect(() => resolveKsyms([ext('v', 'ksym', 3)], facts({}))).to.throw(LoadError, "extern 'v': kernel variable not found in kernel BTF");
  });
});

describe('relocateInstructions: remaining refusals', function () {
  const prog = (bytes: number[], relocation: object) =>
    appendSubprograms({ name: 'p', instructions: new Uint8Array(bytes), insnCount: bytes.length / 8, relocations: [relocation], funcInfo: [], lineInfo: [], isSubprogram: false, sectionOffset: 0 } as never, []);
  const none: RelocationTargets = { mapFd: () => undefined, dataMapFd: () => undefined, kconfig: () => undefined, kfunc: () => undefined, ksym: () => undefined, externIndex: () => 0 };
  const ld = [0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

  it('a kfunc relocation on something other than a call', function () {
    expect(() => relocateInstructions(prog(ld, { kind: 'kfunc', insnIndex: 0, symbol: 'k', extern: 'k', weak: false }), none)).to.throw(LoadError, "program 'p': instruction 0 (kfunc relocation of 'k'): not a call instruction");
  });
  it('a data relocation whose section has no map', function () {
    expect(() => relocateInstructions(prog(ld, { kind: 'data', insnIndex: 0, symbol: 'x', map: 'o.bss', section: '.bss', offset: 0, variable: 'x' }), none)).to.throw(LoadError, "program 'p': instruction 0 (data relocation of 'x'): no map for data section '.bss'");
  });
  it('a kconfig relocation without a .kconfig slot', function () {
    expect(() => relocateInstructions(prog(ld, { kind: 'kconfig', insnIndex: 0, symbol: 'CONFIG_X', extern: 'CONFIG_X', weak: false }), none)).to.throw(LoadError, "program 'p': instruction 0 (kconfig relocation of 'CONFIG_X'): extern 'CONFIG_X' has no .kconfig slot");
  });
});

describe('BTF feature probes', function () {
  it('each probe blob uses the kind it probes: sanitizing that feature away changes it', function () {
    for (const [name, types] of Object.entries(BTF_FEATURE_PROBES)) {
      const off = { ...ALL_BTF_FEATURES, [name]: false };
      expect(sanitizeBtf(types, off), name).to.not.deep.equal(types);
      expect(sanitizeBtf(types, ALL_BTF_FEATURES), name).to.deep.equal(types);
    }
  });
});
