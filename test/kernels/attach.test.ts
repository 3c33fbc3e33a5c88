/**
 * The hooks only the kernel matrix's QEMU kernels can attach (this machine's 6.18 has no kprobe
 * PMU and refuses BPF trampolines), attached through the library (loader + links) and each
 * proven to fire by a counter of the test process's own calls: kprobe and kretprobe through the
 * kprobe PMU and through tracefs kprobe_events, ksyscall, kprobe.multi (or its NotSupportedError
 * where the kernel has no fprobe), fentry, fexit, fmod_ret on the kernel's error-injection test
 * function, and lsm. The hooks this machine can attach too (tracepoint, raw_tp, tp_btf, uprobe,
 * perf_event, xdp, tcx, cgroup, ...) are test/links/, which runs in the VMs as well.
 *
 * Outside the VM (BPF_TS_VM_KERNEL unset) the suite is skipped: those hooks cannot attach here,
 * and test/links/unsupported.test.ts checks the NotSupportedError instead.
 */
import { expect } from 'chai';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import { loadObject, loadObjectSpec, matchSection, type BpfObject, type BpfProgram } from '../../src/loader/index.js';
import { attachKprobe, attachKprobeMulti, attachKsyscall, attachTracing, autoAttach, Link, type LinkGroup } from '../../src/links/index.js';
import { NotSupportedError, tracefsRoot } from '../../src/sys/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { loadKernelBtf } from '../../src/btf/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { vmKernel } from '../helpers/kernel.js';

const ATTACH_OBJ = join(BPF_DIR, 'kernels', 'attach.bpf.o');
const TARGET = 'do_sys_openat2';

/** Slots of `counts` in bpf/kernels/attach.bpf.c. */
const Slot = {
  KPROBE: 0,
  KRETPROBE: 1,
  KPROBE_LEGACY: 2,
  KRETPROBE_LEGACY: 3,
  KSYSCALL: 4,
  KPROBE_MULTI: 5,
  FENTRY: 6,
  FEXIT: 7,
  FMOD_RET: 8,
  LSM: 9,
  FMOD_RET_LSM: 10,
} as const;

function count(obj: BpfObject, slot: number): bigint {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = obj.map('counts')?.lookup(key);
  if (v === undefined) throw new Error(`counts[${slot}] missing`);
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
}

function program(obj: BpfObject, name: string): BpfProgram {
  const p = obj.program(name);
  if (p === undefined) throw new Error(`no program ${name}`);
  return p;
}

/** Opens (and closes) a file `n` times: each open(2) runs do_sys_openat2 and the file_open LSM hook once. */
function openFiles(n: number): void {
  for (let i = 0; i < n; i++) closeSync(openSync('/proc/self/stat', 'r'));
}

/** Attaches, opens `n` files, detaches; returns how much `slot` grew, and checks a closed link stops. */
function firesOnOpens(obj: BpfObject, slot: number, attachIt: () => Link | LinkGroup, n = 6): bigint {
  const before = count(obj, slot);
  const link = attachIt();
  try {
    openFiles(n);
  } finally {
    link.close();
  }
  const fired = count(obj, slot) - before;
  openFiles(3);
  expect(count(obj, slot) - before, 'a closed link no longer fires').to.equal(fired);
  return fired;
}

/** Whether `bpf` is an active LSM: `lsm=` on the command line, else the kernel's CONFIG_LSM. */
function bpfLsmActive(): boolean {
  const cmdline = /(?:^|\s)lsm=(\S+)/.exec(readFileSync('/proc/cmdline', 'utf8'));
  let list = cmdline?.[1];
  if (list === undefined) {
    const config = `/boot/config-${release()}`;
    if (!existsSync(config)) return false;
    list = /^CONFIG_LSM="([^"]*)"/m.exec(readFileSync(config, 'utf8'))?.[1] ?? '';
  }
  return list.split(',').includes('bpf');
}

/** Every program but on_fmod_ret, which Debian's 6.1 refuses at load (see its test). */
const ALWAYS_LOADS = ['on_kprobe', 'on_kretprobe', 'on_kprobe_legacy', 'on_kretprobe_legacy', 'on_ksyscall', 'on_kprobe_multi', 'on_fentry', 'on_fexit', 'on_fmod_ret_lsm', 'on_lsm'];

/** attach.bpf.o with these programs, counting this process. */
async function loadAttachObject(programs: readonly string[]): Promise<BpfObject> {
  const spec = await loadObjectSpec(ATTACH_OBJ);
  spec.variables.get('target_tgid')?.set(process.pid);
  return loadObject(spec, { programs });
}

/** Sets a u32 global of the object's .bss (zero-initialized globals). */
function setBss(obj: BpfObject, name: string, value: number): void {
  const bss = obj.spec.maps.find((m) => m.sectionName === '.bss');
  const variable = obj.spec.dataSections.find((d) => d.kind === 'bss')?.variables.find((v) => v.name === name);
  const map = bss === undefined ? undefined : obj.map(bss.name);
  if (map === undefined || variable === undefined) throw new Error(`no .bss variable ${name}`);
  const key = new Uint8Array(4);
  const bytes = map.lookup(key);
  if (bytes === undefined) throw new Error('empty .bss');
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(variable.offset, value, true);
  map.update(key, bytes);
}

describe('kernel matrix: every kprobe and trampoline attach type fires (only inside scripts/kernels/run.sh VMs: skipped where BPF_TS_VM_KERNEL is unset)', function () {
  let obj: BpfObject;

  before(async function () {
    if (vmKernel() === undefined) this.skip();
    obj = await loadAttachObject(ALWAYS_LOADS);
  });
  after(() => obj?.close());

  it(`kprobe and kretprobe on ${TARGET} through the kprobe PMU count our opens (auto-attached from SEC)`, function () {
    for (const [name, slot] of [
      ['on_kprobe', Slot.KPROBE],
      ['on_kretprobe', Slot.KRETPROBE],
    ] as const) {
      const p = program(obj, name);
      const fired = firesOnOpens(obj, slot, () => {
        const link = autoAttach(p, matchSection(p.section)) as Link;
        expect(link.kind).to.equal(name === 'on_kprobe' ? 'kprobe' : 'kretprobe');
        expect(link.isBpfLink, 'a perf_event bpf_link').to.equal(true);
        return link;
      });
      expect(Number(fired), name).to.be.at.least(6);
    }
  });

  it(`kprobe and kretprobe through the legacy tracefs kprobe_events (legacy: true): listed there while attached, removed on close, and they fire`, function () {
    const events = join(tracefsRoot(), 'kprobe_events');
    for (const [name, slot, retprobe] of [
      ['on_kprobe_legacy', Slot.KPROBE_LEGACY, false],
      ['on_kretprobe_legacy', Slot.KRETPROBE_LEGACY, true],
    ] as const) {
      let definition: string | undefined;
      const fired = firesOnOpens(obj, slot, () => {
        const link = attachKprobe(program(obj, name), TARGET, { retprobe, legacy: true });
        definition = readFileSync(events, 'utf8')
          .split('\n')
          .find((l) => l.includes(`bpfts_${process.pid}_`) && l.includes(TARGET));
        return link;
      });
      expect(definition, `${name}: our probe in ${events}`).to.match(new RegExp(`^${retprobe ? 'r' : 'p'}\\d*:kprobes/bpfts_${process.pid}_\\d+ ${TARGET}`));
      expect(readFileSync(events, 'utf8'), 'the definition is removed on close').to.not.include(definition!.split(' ')[0]!.split(':')[1]!);
      expect(Number(fired), name).to.be.at.least(6);
    }
  });

  it('ksyscall/getppid resolves __x64_sys_getppid and counts exactly our getppid calls', function () {
    const before = count(obj, Slot.KSYSCALL);
    {
      using link = attachKsyscall(program(obj, 'on_ksyscall'), 'getppid');
      expect(link.target).to.equal('__x64_sys_getppid');
      // process.ppid is a getppid(2) each time it is read.
      for (let i = 0; i < 9; i++) void process.ppid;
    }
    expect(count(obj, Slot.KSYSCALL) - before).to.equal(9n);
  });

  it('kprobe.multi counts our opens where the kernel has fprobe (6.12), and is a NotSupportedError where it has not (6.1)', function () {
    const config = `/boot/config-${release()}`;
    const fprobe = existsSync(config) && /^CONFIG_FPROBE=y$/m.test(readFileSync(config, 'utf8'));
    if (!fprobe) {
      expect(() => attachKprobeMulti(program(obj, 'on_kprobe_multi'), { symbols: [TARGET] }))
        .to.throw(NotSupportedError, /^program 'on_kprobe_multi' -> kprobe\.multi do_sys_openat2: the kernel refused a kprobe_multi link \(E[A-Z]+\): it needs Linux 5\.18\+ with CONFIG_FPROBE$/)
        .with.property('feature', 'kprobe.multi');
      return;
    }
    const p = program(obj, 'on_kprobe_multi');
    const fired = firesOnOpens(obj, Slot.KPROBE_MULTI, () => {
      const link = autoAttach(p, matchSection(p.section)) as Link;
      expect(link.kind).to.equal('kprobe_multi');
      return link;
    });
    expect(Number(fired)).to.be.at.least(6);
  });

  it(`fentry and fexit on ${TARGET} count our opens; fexit sees the returned fd`, function () {
    for (const [name, slot] of [
      ['on_fentry', Slot.FENTRY],
      ['on_fexit', Slot.FEXIT],
    ] as const) {
      const p = program(obj, name);
      const fired = firesOnOpens(obj, slot, () => {
        const link = autoAttach(p, matchSection(p.section)) as Link;
        expect(link.info().details).to.deep.include({ kind: 'tracing' });
        return link;
      });
      expect(Number(fired), name).to.be.at.least(6);
    }
    // last_fexit_ret starts at -1: it lives in .data.
    const data = obj.spec.maps.find((m) => m.sectionName === '.data');
    const variable = obj.spec.dataSections.find((d) => d.kind === 'data')?.variables.find((v) => v.name === 'last_fexit_ret');
    const bytes = data === undefined ? undefined : obj.map(data.name)?.lookup(new Uint8Array(4));
    if (bytes === undefined || variable === undefined) throw new Error('no .data or last_fexit_ret');
    const ret = new DataView(bytes.buffer, bytes.byteOffset).getBigInt64(variable.offset, true);
    expect(Number(ret), 'an open fd').to.be.at.least(3);
  });

  it('fmod_ret on security_file_open (an LSM hook function) makes our open fail with the EPERM the program returns; detached, opens work again', function () {
    const before = count(obj, Slot.FMOD_RET_LSM);
    setBss(obj, 'deny_open', 1);
    try {
      {
        using link = attachTracing(program(obj, 'on_fmod_ret_lsm'));
        expect(link.info().details).to.deep.include({ kind: 'tracing' });
        expect(() => openSync('/proc/self/stat', 'r')).to.throw().with.property('code', 'EPERM');
      }
      openFiles(2);
    } finally {
      setBss(obj, 'deny_open', 0);
    }
    expect(count(obj, Slot.FMOD_RET_LSM) - before).to.equal(1n);
  });

  it('fmod_ret on bpf_modify_return_test (the kernel\'s fmod_ret test target) replaces its return value in BPF_PROG_TEST_RUN (6.12); 6.1 refuses it without CONFIG_FUNCTION_ERROR_INJECTION', async function () {
    if (vmKernel() === '6.1') {
      // Debian's 6.1 allows fmod_ret only on error-injection functions (its config has no
      // CONFIG_FUNCTION_ERROR_INJECTION) and security_*; later kernels list the test functions.
      const err = await loadAttachObject(['on_fmod_ret']).then(
        (o) => o.close(),
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(VerifierError);
      expect((err as Error).message).to.match(/^program 'on_fmod_ret' rejected by the verifier: bpf_modify_return_test\(\) is not modifiable/);
      return;
    }
    using fmod = await loadAttachObject(['on_fmod_ret']);
    const p = program(fmod, 'on_fmod_ret');
    // The kernel's test run calls bpf_modify_return_test(1, &b) with b = 2 (*b += 1; return 1 + 3)
    // and reports (side effects << 16) | return values. Later kernels (6.12, not 6.1) also call
    // bpf_modify_return_test2(1, &b, 3, 4, 5, 6, 7), which adds 29 and a second side effect.
    const second = loadKernelBtf().findByName('bpf_modify_return_test2', 'FUNC').length > 0;
    const unmodified = second ? (2 << 16) | (4 + 29) : (1 << 16) | 4;
    // With the program returning 42 the first function is skipped: no side effect, 42 returned.
    const modified = second ? (1 << 16) | (42 + 29) : 42;
    expect(p.testRun({}).retval, 'the functions themselves').to.equal(unmodified);
    const before = count(fmod, Slot.FMOD_RET);
    {
      using link = attachTracing(p);
      expect(link.info().details).to.deep.include({ kind: 'tracing' });
      expect(p.testRun({}).retval, 'the program returned 42: bpf_modify_return_test was skipped').to.equal(modified);
    }
    expect(count(fmod, Slot.FMOD_RET) - before).to.equal(1n);
    expect(p.testRun({}).retval, 'detached again').to.equal(unmodified);
  });

  it('lsm/file_open counts our opens (bpf is in this kernel\'s LSM list)', function () {
    if (!bpfLsmActive()) this.skip(); // the kernel has BPF LSM hooks only with `bpf` among its LSMs
    const p = program(obj, 'on_lsm');
    const fired = firesOnOpens(obj, Slot.LSM, () => autoAttach(p, matchSection(p.section)) as Link);
    expect(Number(fired)).to.be.at.least(6);
  });
});
