/**
 * loadObject against the real kernel: global data set before load and read live after, CO-RE
 * task_struct reads run through BPF_PROG_TEST_RUN, .kconfig values checked against the kernel's
 * own config, verifier failures naming the source line, pin-by-name reuse and mismatch, slots.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { release, version as osVersion } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { expect } from 'chai';
import { freshKernelFacts, loadObject, loadObjectSpec, LoadError, MapPinMismatchError, ObjectSpec, type KernelFacts } from '../../src/loader/index.js';
import { ensureBpffs, MapType, probeMapType, ProgType } from '../../src/sys/index.js';
import { probeBtfFeatures } from '../../src/loader/kernel-facts-btf-features.js';
import { loadKernelBtf, releaseBtfFile } from '../../src/btf/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { kernelAtLeast } from '../helpers/kernel.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

const TRACER = join(BPF_DIR, 'load', 'tracer.bpf.o');

function u32(bytes: Uint8Array, off: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(off, true);
}
function u64(bytes: Uint8Array, off: number): bigint {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(off, true);
}
function key32(n: number): Uint8Array {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, n, true);
  return k;
}

describe('loadObject: a real-world tracer', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('loads 24 programs with CO-RE, a ring buffer, hash maps and const volatile globals set before load, and runs one', async function () {
    const spec = await loadObjectSpec(TRACER);
    expect(spec.programs.length).to.be.greaterThanOrEqual(20);
    spec.variables.get('targ_tgid')?.set(process.pid);
    spec.variables.get('min_duration_ns')?.set(1000n);
    using obj = await loadObject(spec);
    expect([...obj.programs.keys()]).to.deep.equal(spec.programs.map((p) => p.name));
    expect(obj.map('events')?.type).to.equal(MapType.RINGBUF);
    expect(obj.map('events')?.maxEntries).to.equal(256 * 1024);
    expect(obj.map('counts')?.type).to.equal(MapType.HASH);

    // The .rodata the programs see is what the spec said, and frozen.
    const rodata = obj.map('tracer.rodata');
    const targ = spec.dataSections.find((d) => d.kind === 'rodata')?.variables.find((v) => v.name === 'targ_tgid');
    expect(u32(rodata?.lookup(new Uint8Array(4)) ?? new Uint8Array(8), targ?.offset ?? -1)).to.equal(process.pid);

    const probe = obj.program('probe');
    expect(probe?.type).to.equal(ProgType.SYSCALL);
    const r = probe?.testRun({ ctx: new Uint8Array(16) });
    expect(r?.retval).to.equal(process.pid); // task->pid of the main thread
    expect(u32(r?.ctx ?? new Uint8Array(16), 0)).to.equal(process.pid); // task->tgid via CO-RE
    expect(u32(r?.ctx ?? new Uint8Array(16), 4)).to.equal(process.ppid); // real_parent->tgid
    expect(u64(r?.ctx ?? new Uint8Array(16), 8)).to.equal(1n);

    // .bss, live through mmap: what the program wrote.
    const bss = obj.globalData('tracer.bss');
    const vars = new Map(spec.dataSections.find((d) => d.kind === 'bss')?.variables.map((v) => [v.name, v.offset]));
    expect(u64(bss, vars.get('runs') ?? -1)).to.equal(1n);
    expect(u64(bss, vars.get('matched') ?? -1)).to.equal(1n);
    expect(u32(bss, vars.get('last_ppid') ?? -1)).to.equal(process.ppid);
    // ... and writable from here: the next run continues from our value.
    new DataView(bss.buffer, bss.byteOffset).setBigUint64(vars.get('runs') ?? -1, 41n, true);
    expect(u64(probe?.testRun({ ctx: new Uint8Array(16) }).ctx ?? new Uint8Array(16), 8)).to.equal(42n);
    // The hash map the subprogram updated, keyed by pid.
    expect(u64(obj.map('counts')?.lookup(key32(process.pid)) ?? new Uint8Array(8), 0)).to.equal(2n);
  });

  it('a filter set in .rodata before load filters at run time', async function () {
    const spec = await loadObjectSpec(TRACER);
    spec.variables.get('targ_tgid')?.set(1); // init, never us
    using obj = await loadObject(spec, { programs: ['probe'] });
    expect([...obj.programs.keys()]).to.deep.equal(['probe']);
    obj.program('probe')?.testRun({ ctx: new Uint8Array(16) });
    const vars = new Map(spec.dataSections.find((d) => d.kind === 'bss')?.variables.map((v) => [v.name, v.offset]));
    const bss = obj.globalData('tracer.bss');
    expect(u64(bss, vars.get('runs') ?? -1)).to.equal(1n);
    expect(u64(bss, vars.get('matched') ?? -1)).to.equal(0n);
    expect(obj.map('counts')?.lookup(key32(process.pid))).to.equal(undefined);
  });

  it('.rodata is mapped read-only: writes through the view throw', async function () {
    using obj = await loadObject(TRACER, { programs: ['probe'] });
    const ro = obj.globalData('tracer.rodata');
    expect(ro.length).to.be.greaterThan(0);
    expect(() => obj.globalData('counts')).to.throw(LoadError, "tracer.bpf.o: map 'counts': no such global data map");
  });

  it('fresh facts give their vmlinux BTF back on release (unmapped on 6.16+), read it again when asked, and the loaded object keeps working', async function () {
    const facts = freshKernelFacts();
    const first = facts.vmlinuxBtf();
    const [task] = first.findByName('task_struct', 'STRUCT');
    using obj = await loadObject(TRACER, { facts });
    facts.release();
    // On 6.16+ the bytes were a mapping of the kernel's pages: now unmapped and detached, not
    // left to the collector. Before 6.16 they were read into a Buffer, which stays.
    expect(first.bytes.byteLength).to.equal(kernelAtLeast(6, 16) ? 0 : readFileSync('/sys/kernel/btf/vmlinux').length);
    const again = facts.vmlinuxBtf();
    expect(again).to.not.equal(first);
    expect(again.findByName('task_struct', 'STRUCT')).to.deep.equal([task]);
    facts[Symbol.dispose]();
    // The object needed vmlinux BTF only while it loaded: its programs still run.
    obj.program('probe')?.testRun({ ctx: new Uint8Array(16) });
    const runs = obj.spec.dataSections.find((d) => d.kind === 'bss')?.variables.find((v) => v.name === 'runs');
    expect(u64(obj.globalData('tracer.bss'), runs?.offset ?? -1)).to.equal(1n);
    // The process-wide instance is never released through fresh facts or releaseBtfFile.
    expect(releaseBtfFile(loadKernelBtf())).to.equal(false);
    expect(loadKernelBtf().findByName('task_struct', 'STRUCT')).to.deep.equal([task]);
  });

  it('module BTF is not read when vmlinux has every CO-RE type and attach target (as libbpf)', async function () {
    const fresh = freshKernelFacts();
    const asked: string[] = [];
    const facts: KernelFacts = { ...fresh, moduleNames: () => ['bpf_ts_no_such_module'], moduleBtf: (name) => (asked.push(name), undefined) };
    using obj = await loadObject(TRACER, { facts });
    expect(obj.programs.size).to.be.greaterThan(20);
    expect(asked).to.deep.equal([]);
  });
});

/** The running kernel's config, read independently of the loader's reader. */
function kernelConfig(): Map<string, string> {
  const path = existsSync(`/boot/config-${release()}`) ? `/boot/config-${release()}` : '/proc/config.gz';
  const raw = readFileSync(path);
  const text = (raw[0] === 0x1f ? gunzipSync(raw) : raw).toString('utf8');
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

describe('loadObject: externs', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('.kconfig values match the kernel config and uname; weak missing externs are 0, present kfuncs exist', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'load', 'externs_ok.bpf.o'));
    // bpf_task_acquire/release are Linux 6.2+: on an older kernel (the kernel matrix's 6.1) only
    // the program that does not call them loads, and bpf_ksym_exists() says the kfunc is absent.
    const taskKfuncs = loadKernelBtf().findByName('bpf_task_acquire', 'FUNC').length > 0;
    using obj = await loadObject(spec, taskKfuncs ? {} : { programs: ['read_kconfig'] });
    obj.program('read_kconfig')?.testRun({ ctx: new Uint8Array(8) });
    const out = spec.dataSections.find((d) => d.kind === 'bss')?.variables.find((v) => v.name === 'out');
    const bytes = obj.map('externs_.bss')?.lookup(new Uint8Array(4)) ?? new Uint8Array(0);
    const o = out?.offset ?? 0;
    // libbpf's reading (and Debian's full version in `uname -v`, as cilium/ebpf reads it):
    // 6.1.0-56-amd64 is "Debian 6.1.192-2" there.
    const version = /Debian (\d+)\.(\d+)\.(\d+)/.exec(osVersion()) ?? /^(\d+)\.(\d+)\.(\d+)/.exec(release());
    const [maj, min, patch] = (version ?? []).slice(1, 4).map(Number) as [number, number, number];
    const config = kernelConfig();
    expect(u32(bytes, o), 'LINUX_KERNEL_VERSION').to.equal((maj << 16) + (min << 8) + Math.min(patch, 255));
    expect(u32(bytes, o + 4), 'CONFIG_HZ').to.equal(Number(config.get('CONFIG_HZ')));
    const jit = config.get('CONFIG_BPF_JIT');
    expect(u32(bytes, o + 8), 'CONFIG_BPF_JIT').to.equal(jit === 'y' ? 1 : jit === 'm' ? 2 : 0);
    expect(bytes[o + 12], 'CONFIG_BPF_SYSCALL').to.equal(config.get('CONFIG_BPF_SYSCALL') === 'y' ? 1 : 0);
    const wrapper = readFileSync('/proc/kallsyms', 'utf8').includes(' __x64_sys_bpf\n');
    expect(bytes[o + 13], 'LINUX_HAS_SYSCALL_WRAPPER').to.equal(wrapper ? 1 : 0);
    expect(bytes[o + 14], 'weak missing CONFIG_').to.equal(0);
    expect(bytes[o + 15], 'weak missing ksym').to.equal(0);
    expect(bytes[o + 16], 'bpf_ksym_exists(weak missing kfunc)').to.equal(0);
    expect(bytes[o + 17], 'bpf_ksym_exists(bpf_task_acquire)').to.equal(taskKfuncs ? 1 : 0);
    const local = (config.get('CONFIG_LOCALVERSION') ?? '""').slice(1, -1).slice(0, 15);
    expect(Buffer.from(bytes.subarray(o + 18, o + 18 + local.length)).toString()).to.equal(local);
    expect(bytes[o + 18 + local.length]).to.equal(0);
    // The .kconfig map is frozen, like libbpf's.
    expect(obj.map('externs.kconfig')?.info().mapFlags).to.equal(spec.map('externs.kconfig')?.flags);
  });

  it('a missing strong ksym is a LoadError naming the extern; where every extern exists the object loads', async function () {
    // Which strong extern is missing depends on the kernel: kallsyms lists variables only with
    // CONFIG_KALLSYMS_ALL (Debian's kernels; not the development machine's), and the task kfuncs
    // are Linux 6.2+ (not the kernel matrix's 6.1).
    const variables = /^[0-9a-f]+ \S bpf_prog_active$/m.test(readFileSync('/proc/kallsyms', 'utf8'));
    const taskKfuncs = loadKernelBtf().findByName('bpf_task_acquire', 'FUNC').length > 0;
    const err = await loadObject(join(BPF_DIR, 'externs.bpf.o')).then(
      (obj) => {
        obj.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    if (variables && taskKfuncs) {
      expect(err).to.equal(undefined);
      return;
    }
    expect(err).to.be.instanceOf(LoadError);
    if (!variables) {
      expect((err as LoadError).reason).to.equal('symbol not found in /proc/kallsyms');
      expect((err as LoadError).extern).to.equal('bpf_prog_active');
    } else {
      expect((err as LoadError).reason).to.equal('kernel function not found in kernel BTF');
      expect((err as LoadError).extern).to.equal('bpf_task_acquire');
    }
  });
});

describe('BTF feature probes (kernel)', function () {
  before(function () {
    requirePrivileges(this);
  });
  it('this kernel (6.x with ENUM64) accepts every probe blob (6.1: all but ?-named DATASECs)', function () {
    const maj = Number(release().split('.')[0]);
    if (maj < 6) this.skip();
    const missing = Object.entries(probeBtfFeatures())
      .filter(([, ok]) => !ok)
      .map(([name]) => name);
    // '?'-prefixed DATASEC names (libbpf's optional maps) are refused by Debian's 6.1 (seen in the
    // kernel matrix; 6.12 accepts them).
    expect(missing).to.deep.equal(kernelAtLeast(6, 12) ? [] : ['qmarkDatasec']);
  });
});

/**
 * maps.bpf.o as this kernel can load it: its cgrp_storage map (which no program uses) needs Linux
 * 6.2, so on older kernels (the kernel matrix's 6.1) it is not created, as a libbpf user would do
 * with bpf_map__set_autocreate(false).
 */
async function mapsObject(): Promise<ObjectSpec> {
  const spec = await loadObjectSpec(join(BPF_DIR, 'maps.bpf.o'));
  const cgrp = spec.map('cgrp_store');
  if (cgrp !== undefined && !probeMapType(MapType.CGRP_STORAGE)) cgrp.autocreate = false;
  return spec;
}

describe('loadObject: failures and pins', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
    // A fresh machine (the kernel matrix's VMs) has no bpffs until someone mounts it.
    ensureBpffs();
  });

  it('a program the verifier rejects gives a VerifierError naming the source line', async function () {
    const err = await loadObject(join(BPF_DIR, 'load', 'bad_verify.bpf.o')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(VerifierError);
    const ve = err as VerifierError;
    expect(ve.program).to.equal('missing_null_check');
    const line = readFileSync(join(BPF_DIR, 'load', 'bad_verify.bpf.c'), 'utf8').split('\n').findIndex((l) => l.includes('BAD LINE')) + 1;
    expect(ve.message).to.contain(`bad_verify.bpf.c:${line}`);
    expect(ve.rawLog).to.contain('invalid mem access');
  });

  it('a CO-RE relocation the target BTF cannot satisfy fails as a VerifierError naming the field', async function () {
    const spec = await loadObjectSpec(TRACER);
    // A custom target BTF (btfhub-style) without task_struct: the field reads are poisoned.
    const other = await loadObjectSpec(join(BPF_DIR, 'minimal.bpf.o'));
    const err = await loadObject(spec, { programs: ['probe'], ...(other.btf === undefined ? {} : { kernelBtf: other.btf }) }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(VerifierError);
    expect((err as Error).message).to.contain("CO-RE relocation failed: struct task_struct.tgid does not exist in this kernel's BTF");
    const missing = await loadObject(join(BPF_DIR, 'verifier', 'core_missing_field.bpf.o')).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(VerifierError);
    expect((missing as Error).message).to.match(/^program 'core_missing_field' rejected by the verifier at core_missing_field\.bpf\.c:\d+: CO-RE relocation failed: struct task_struct___old\.nonexistent_field does not exist/);
  });

  it('a map the kernel refuses is a LoadError naming the map and errno, and nothing stays behind', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'maps.bpf.o'));
    const m = spec.map('lru');
    if (m === undefined) throw new Error('no lru');
    m.maxEntries = 0;
    const pinRoot = bpffsTempDir('bpfts-fail-');
    try {
      const err = await loadObject(spec, { pinRoot }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(LoadError);
      expect((err as LoadError).map).to.equal('lru');
      expect((err as Error).message).to.match(/maps\.bpf\.o: map 'lru': BPF_MAP_CREATE failed: EINVAL/);
      // pinned_hash was created and pinned before lru failed: the pin is gone again.
      expect(existsSync(join(pinRoot, 'pinned_hash'))).to.equal(false);
    } finally {
      rmSync(pinRoot, { recursive: true, force: true });
    }
  });

  it('a pin by name that is not a map is a LoadError', async function () {
    const pinRoot = bpffsTempDir('bpfts-notmap-');
    try {
      using minimal = await loadObject(join(BPF_DIR, 'minimal.bpf.o'));
      minimal.program('accept_all')?.pin(join(pinRoot, 'pinned_hash'));
      const err = await loadObject(join(BPF_DIR, 'maps.bpf.o'), { pinRoot }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(LoadError);
      expect((err as Error).message).to.contain(`map 'pinned_hash': cannot reuse pinned map ${join(pinRoot, 'pinned_hash')}: `);
    } finally {
      rmSync(pinRoot, { recursive: true, force: true });
    }
  });

  it('CO-RE relocations without the object BTF are a LoadError', async function () {
    const spec = await loadObjectSpec(TRACER);
    const noBtf = new ObjectSpec({ ...spec, btf: undefined });
    const err = await loadObject(noBtf, { programs: ['probe'] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as Error).message).to.equal(`${TRACER}: program 'probe': CO-RE relocations need the object BTF`);
  });

  it('globalData() of a data map that is not mmap-able says so', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'globals.bpf.o'));
    const hidden = spec.maps.find((m) => m.internal && (m.flags & 1024) === 0 && m.data?.kind !== 'kconfig');
    if (hidden === undefined) throw new Error('globals.bpf.o has no non-mmapable data map');
    using obj = await loadObject(spec);
    expect(() => obj.globalData(hidden.name)).to.throw(LoadError, `map '${hidden.name}': is not mmap-able (its section has no non-static variable); use lookup()/update() on the map`);
    expect(obj.map(hidden.name)?.lookup(new Uint8Array(4))).to.deep.equal(hidden.initialValue());
  });

  it('an unknown attach target is a LoadError', async function () {
    const spec = await loadObjectSpec(TRACER);
    const p = spec.program('on_switch');
    if (p === undefined) throw new Error('no on_switch');
    p.attachTo = 'bpf_ts_no_such_tracepoint';
    const err = await loadObject(spec, { programs: ['on_switch'] }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as Error).message).to.equal(
      `${TRACER}: program 'on_switch': attach target 'bpf_ts_no_such_tracepoint' not found: no TYPEDEF 'btf_trace_bpf_ts_no_such_tracepoint' in kernel BTF`,
    );
  });

  it('a load the kernel refuses without a log is a LoadError with the errno', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'minimal.bpf.o'));
    const err = await loadObject(spec, { programType: { type: 9999, expectedAttachType: 0 } }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as Error).message).to.match(/program 'accept_all': BPF_PROG_LOAD failed: EINVAL .*no verifier log$/);
  });

  it('a program whose section names no known type is a LoadError', async function () {
    const spec = await loadObjectSpec(join(BPF_DIR, 'minimal.bpf.o'));
    const p = spec.programs[0];
    if (p === undefined) throw new Error('no program');
    p.type = ProgType.UNSPEC;
    const err = await loadObject(spec).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as Error).message).to.equal(`${spec.fileName ?? ''}: program 'accept_all': section 'socket' names no known program type: set the spec's type, or turn autoload off`);
  });

  it('a big-endian object is refused before anything is created', async function () {
    const err = await loadObject(join(BPF_DIR, 'elf-asm', 'programs-bpfeb.bpf.o')).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(LoadError);
    expect((err as LoadError).reason).to.equal('object is big-endian; this kernel runs little-endian programs');
  });

  it('prog array slots hold the loaded programs; a slot whose program is off fails', async function () {
    const object = join(BPF_DIR, 'maps.bpf.o');
    const pinRoot = bpffsTempDir('bpfts-slots-');
    try {
      {
        using obj = await loadObject(await mapsObject(), { pinRoot });
        const table = obj.map('jump_table');
        const spec = obj.spec.map('jump_table');
        for (const slot of spec?.values ?? []) {
          const id = u32(table?.lookup(key32(slot.index)) ?? new Uint8Array(4), 0);
          expect(id, `slot ${slot.index}`).to.equal(obj.program(slot.target)?.info().id);
        }
        const outer = obj.map('outer_array');
        for (const slot of obj.spec.map('outer_array')?.values ?? []) {
          expect(u32(outer?.lookup(key32(slot.index)) ?? new Uint8Array(4), 0)).to.equal(obj.map(slot.target)?.info().id);
        }
      }
      const spec = await mapsObject();
      const target = spec.map('jump_table')?.values[0]?.target ?? '';
      const prog = spec.program(target);
      if (prog !== undefined) prog.autoload = false;
      const err = await loadObject(spec, { pinRoot }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(LoadError);
      expect((err as Error).message).to.equal(`${object}: map 'jump_table': slot 0: program '${target}' was not loaded`);
    } finally {
      rmSync(pinRoot, { recursive: true, force: true });
    }
  });

  it('pinPrograms/pinMaps pin everything under a directory, like libbpf\'s bpf_object__pin_*', async function () {
    const root = bpffsTempDir('bpfts-pinall-');
    try {
      using obj = await loadObject(join(BPF_DIR, 'subprogs.bpf.o'));
      expect(obj.pinPrograms(join(root, 'progs'))).to.deep.equal(['prog_a', 'prog_b', 'prog_xdp'].map((n) => join(root, 'progs', n)));
      expect(obj.pinMaps(join(root, 'maps'))).to.deep.equal([join(root, 'maps', 'subprogs_bss')]);
      using maps = await loadObject(await mapsObject(), { pinRoot: root });
      expect(() => maps.pinMaps(join(root, 'all'))).to.throw(
        LoadError,
        `maps.bpf.o: map 'pinned_hash': already has pin path '${join(root, 'pinned_hash')}' different from '${join(root, 'all', 'pinned_hash')}'`,
      );
      expect(() => obj.pinPrograms('/tmp/bpfts-not-bpffs')).to.throw(LoadError, 'cannot pin in /tmp/bpfts-not-bpffs: not on a BPF file system');
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync('/tmp/bpfts-not-bpffs', { recursive: true, force: true });
    }
  });

  it('pins by name under pinRoot, reuses a compatible pin, refuses an incompatible one', async function () {
    const object = join(BPF_DIR, 'maps.bpf.o');
    const pinRoot = bpffsTempDir('bpfts-pins-');
    try {
      using first = await loadObject(await mapsObject(), { pinRoot });
      const path = join(pinRoot, 'pinned_hash');
      expect(first.pinnedMaps.get('pinned_hash')).to.equal(path);
      expect(existsSync(path)).to.equal(true);
      first.map('pinned_hash')?.update(key32(7), new Uint8Array(first.map('pinned_hash')?.valueSize ?? 0).fill(1));
      {
        using second = await loadObject(await mapsObject(), { pinRoot });
        expect(second.map('pinned_hash')?.info().id).to.equal(first.map('pinned_hash')?.info().id);
        expect(second.map('pinned_hash')?.lookup(key32(7))?.[0]).to.equal(1);
      }
      const spec = await loadObjectSpec(object);
      const m = spec.map('pinned_hash');
      if (m !== undefined) m.maxEntries += 1;
      const err = await loadObject(spec, { pinRoot }).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(MapPinMismatchError);
      expect((err as MapPinMismatchError).differences).to.deep.equal([`max_entries: pinned ${(m?.maxEntries ?? 0) - 1} vs object ${m?.maxEntries ?? 0}`]);
      expect((err as Error).message).to.equal(`${object}: map 'pinned_hash': pinned map at ${path} is incompatible (max_entries: pinned ${(m?.maxEntries ?? 0) - 1} vs object ${m?.maxEntries})`);
      first.unpinMaps();
      expect(existsSync(path)).to.equal(false);
    } finally {
      rmSync(pinRoot, { recursive: true, force: true });
    }
  });
});
