/**
 * The spec is editable before load: global variables typed from BTF, map attributes, program
 * flags; and `clone()` gives independent copies.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseObjectSpec, type ObjectSpec } from '../../src/loader/object-spec.js';
import { BPF_DIR } from '../helpers/paths.js';

function spec(rel: string): ObjectSpec {
  return parseObjectSpec(readFileSync(join(BPF_DIR, rel)), { fileName: rel });
}

describe('loader/editing: global variables', () => {
  it('reads the initial values globals.bpf.c declares, typed from BTF', () => {
    const s = spec('globals.bpf.o');
    const v = (name: string): bigint | boolean | undefined => s.variables.get(name)?.get();
    expect(v('min_duration_ns')).to.equal(0n);
    expect(v('target_pid')).to.equal(-1n);
    expect(v('verbose')).to.equal(false);
    expect(v('sample_rate')).to.equal(100n);
    expect(v('adjust')).to.equal(-3n);
    expect(v('custom_counter')).to.equal(7n);
    expect(v('custom_big')).to.equal(0x1122334455667788n);
    expect(v('custom_limit')).to.equal(4096n);
    expect(v('total_events')).to.equal(0n);
    expect(v('hidden_state')).to.equal(5n);
    expect(Buffer.from(s.variables.get('prefix')?.bytes() ?? []).toString('latin1')).to.equal('tsk:\0\0\0\0');
    expect(s.variables.get('min_duration_ns')?.readonly).to.equal(true);
    expect(s.variables.get('sample_rate')?.readonly).to.equal(false);
    expect(s.variables.get('hidden_state')?.isStatic).to.equal(true);
    expect(s.variables.get('target_pid')?.btfTypeId).to.be.greaterThan(0);
  });

  it('setting a variable changes the initial value of its internal map', () => {
    const s = spec('globals.bpf.o');
    s.variables.get('min_duration_ns')?.set(1000n);
    s.variables.get('target_pid')?.set(-5);
    s.variables.get('verbose')?.set(true);
    s.variables.get('prefix')?.setBytes(Buffer.from('abcdefg\0', 'latin1'));
    const rodata = Buffer.from(s.map('globals.rodata')?.initialValue() ?? []);
    expect(rodata.readBigUInt64LE(0)).to.equal(1000n);
    expect(rodata.readInt32LE(8)).to.equal(-5);
    expect(rodata[12]).to.equal(1);
    expect(rodata.subarray(13, 21).toString('latin1')).to.equal('abcdefg\0');
    expect(s.variables.get('verbose')?.get()).to.equal(true);
    expect(s.variables.get('target_pid')?.get()).to.equal(-5n);
  });

  it('.kconfig externs are variables of the .kconfig area', () => {
    const s = spec('externs.bpf.o');
    const kv = s.variables.get('LINUX_KERNEL_VERSION');
    expect(kv?.section.kind).to.equal('kconfig');
    kv?.set(0x061200);
    const kconfig = s.map('externs.kconfig');
    const ext = s.externs.find((e) => e.name === 'LINUX_KERNEL_VERSION');
    expect(Buffer.from(kconfig?.initialValue() ?? []).readUInt32LE(ext?.kconfig?.offset ?? -1)).to.equal(0x061200);
    expect(s.variables.get('CONFIG_BPF_SYSCALL')?.valueKind).to.equal('bool');
    expect(s.externs.find((e) => e.name === 'CONFIG_BPF_JIT_ALWAYS_ON')?.kconfig?.type).to.equal('tristate');
    expect(s.externs.find((e) => e.name === 'bpf_prog_active')).to.include({ kind: 'ksym', typeId: 0, weak: false });
    expect(s.externs.find((e) => e.name === 'runqueues')?.typeId).to.be.greaterThan(0);
    expect(s.externs.find((e) => e.name === 'bpf_task_from_pid')).to.include({ kind: 'kfunc', weak: true });
  });
});

describe('loader/editing: the spec owns its bytes', () => {
  it('editing instructions or variables never writes into the parsed file buffer', () => {
    const file = readFileSync(join(BPF_DIR, 'globals.bpf.o'));
    const before = Buffer.from(file);
    const s = parseObjectSpec(file, { fileName: 'globals.bpf.o' });
    s.variables.get('sample_rate')?.set(1);
    s.variables.get('custom_limit')?.set(2);
    s.programs[0]?.instructions.fill(0xaa);
    expect(file.equals(before)).to.equal(true);
  });
});

describe('loader/editing: clone()', () => {
  it('copies programs, maps, data and variables deeply', () => {
    const original = spec('globals.bpf.o');
    const copy = original.clone();
    copy.variables.get('sample_rate')?.set(7);
    expect(original.variables.get('sample_rate')?.get()).to.equal(100n);
    expect(copy.variables.get('sample_rate')?.get()).to.equal(7n);
    // The copy's map still shares bytes with the copy's variables.
    expect(Buffer.from(copy.map('globals.data')?.initialValue() ?? []).readUInt32LE(0)).to.equal(7);
    expect(Buffer.from(original.map('globals.data')?.initialValue() ?? []).readUInt32LE(0)).to.equal(100);

    const p = copy.program('count_openat');
    if (p === undefined) throw new Error('corpus changed');
    p.instructions[0] = 0xff;
    p.autoload = false;
    p.relocations.pop();
    const o = original.program('count_openat');
    expect(o?.instructions[0]).to.not.equal(0xff);
    expect(o?.autoload).to.equal(true);
    expect(o?.relocations.length).to.equal(p.relocations.length + 1);

    const m = copy.map('globals.bss');
    if (m === undefined) throw new Error('corpus changed');
    m.maxEntries = 2;
    expect(original.map('globals.bss')?.maxEntries).to.equal(1);
    expect(copy.btf).to.equal(original.btf);
  });

  it('copies map slots and inner maps', () => {
    const original = spec('maps.bpf.o');
    const copy = original.clone();
    copy.map('jump_table')?.values.push({ index: 5, kind: 'program', target: 'tail_zero' });
    const inner = copy.map('outer_hash')?.innerMap;
    if (inner === undefined) throw new Error('corpus changed');
    inner.maxEntries = 99;
    expect(original.map('jump_table')?.values.length).to.equal(2);
    expect(original.map('outer_hash')?.innerMap?.maxEntries).to.equal(16);
  });
});

describe('loader/editing: program attributes', () => {
  it('subprograms are separate from entry programs and not autoloaded', () => {
    const s = spec('subprogs.bpf.o');
    expect(s.programs.map((p) => p.name)).to.deep.equal(['prog_a', 'prog_b', 'prog_xdp']);
    expect(s.subprograms.map((p) => p.name).sort()).to.deep.equal(['add_one', 'global_square', 'loop_cb', 'sum_loop']);
    for (const sub of s.subprograms) expect([sub.isSubprogram, sub.autoload, sub.type]).to.deep.equal([true, false, 0]);
    expect(s.subprograms.find((p) => p.name === 'global_square')?.global).to.equal(true);
    expect(s.subprograms.find((p) => p.name === 'add_one')?.global).to.equal(false);
    const sum = s.subprograms.find((p) => p.name === 'sum_loop');
    expect(sum?.relocations.find((r) => r.kind === 'funcAddr')).to.include({ target: 'loop_cb' });
  });

  it('sections.bpf.o: autoload-off, sleepable and unknown sections', () => {
    const s = spec('sections.bpf.o');
    expect(s.program('s_optional_kprobe')).to.include({ autoload: false, section: 'kprobe/do_nanosleep', sectionName: '?kprobe/do_nanosleep' });
    expect(s.program('s_lsm_s')).to.include({ sleepable: true, attachTo: 'bprm_committed_creds' });
    expect(s.program('s_syscall')?.sleepable).to.equal(true);
    expect(s.program('s_xdp_frags')?.xdpFrags).to.equal(true);
    expect(s.program('s_unknown')).to.include({ type: 0, section: 'not_a_bpf_section' });
    expect(s.program('s_kprobex')?.type).to.equal(0);
    expect(s.program('s_uprobe')?.attachTo).to.equal('/usr/lib/libc.so.6:malloc');
  });
});

describe('loader/editing: byte order', () => {
  // bpf/elf-asm builds one source both -target bpf and -target bpfeb (inputs of the ELF tests).
  const le = join(BPF_DIR, 'elf-asm', 'programs.bpf.o');
  const be = join(BPF_DIR, 'elf-asm', 'programs-bpfeb.bpf.o');

  it('a big-endian object gives the same maps, variables and relocation targets as the little-endian build', function () {
    if (!existsSync(le) || !existsSync(be)) this.skip();
    const l = parseObjectSpec(readFileSync(le), { fileName: 'programs.bpf.o' });
    const b = parseObjectSpec(readFileSync(be), { fileName: 'programs.bpf.o' });
    expect([l.endianness, b.endianness]).to.deep.equal(['little', 'big']);
    const maps = (s: ObjectSpec): unknown[] => s.maps.map((m) => [m.name, m.type, m.keySize, m.valueSize, m.maxEntries, m.flags]);
    expect(maps(b)).to.deep.equal(maps(l));
    const values = (s: ObjectSpec): unknown[] =>
      [...s.variables.values()].filter((v) => v.valueKind !== 'other').map((v) => [v.name, v.get()]);
    expect(values(b)).to.deep.equal(values(l));
    expect(values(l).length).to.be.greaterThan(2);
    const targets = (s: ObjectSpec): string[] =>
      [...s.programs, ...s.subprograms]
        .flatMap((p) => p.relocations.map((r) => `${p.name} ${r.kind} ${'map' in r ? r.map : 'target' in r ? r.target : 'extern' in r ? r.extern : r.typeName}`))
        .sort();
    expect(targets(b)).to.deep.equal(targets(l));
    // Setting a value writes it in the object's byte order.
    const seed = b.variables.get('seed');
    seed?.set(0x01020304);
    expect(Buffer.from(seed?.bytes() ?? []).toString('hex')).to.equal('01020304');
  });
});
