/**
 * The kernel matrix's end-to-end proof (scripts/kernels/run.sh): inside a Debian 6.1/6.12 VM,
 * where kprobes and fentry attach (this machine's 6.18 cannot), a hand-assembled counter program
 * is attached to `do_sys_openat2` and must count our own open(2) calls.
 *
 * It deliberately uses only src/sys (progLoad, mapCreate, the addon's perf_event_open/ioctl and
 * bpf) and no links layer: it proves the harness — the VM boots, the guest runs our node and
 * checkout, BTF/kprobe PMU/fentry exist — independently of the code it will test.
 *
 * Outside the VM (BPF_TS_VM_KERNEL unset, which run.sh's guest sets) the suite is skipped, also
 * under CI=true: that is not a missing-privilege skip, these tests have nothing to do on the host.
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { openSync, closeSync, existsSync, readFileSync } from 'node:fs';
import { loadKernelBtf } from '../../src/btf/index.js';
import { mapCreate, mapLookupElem, native, progLoad, VerifierLogLevel } from '../../src/sys/index.js';

const VM_KERNEL = process.env['BPF_TS_VM_KERNEL'];

const PROG_TYPE_KPROBE = 2;
const PROG_TYPE_TRACING = 26;
const MAP_TYPE_ARRAY = 2;
const TRACE_FENTRY = 24;
const TRACE_FEXIT = 25;
const BPF_RAW_TRACEPOINT_OPEN = 17;
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_EVENT_IOC_SET_BPF = 0x40042408;
const PERF_FLAG_FD_CLOEXEC = 8;
const TARGET = 'do_sys_openat2';

/** One `struct bpf_insn` (little-endian: dst_reg in the low nibble). */
function insn(code: number, dst: number, src: number, off: number, imm: number): Uint8Array {
  const b = new Uint8Array(8);
  const v = new DataView(b.buffer);
  b[0] = code;
  b[1] = (src << 4) | dst;
  v.setInt16(2, off, true);
  v.setInt32(4, imm, true);
  return b;
}

/**
 * `counter[0] += 1; return 0;` with `counter` an array map:
 *   *(u32 *)(r10 - 4) = 0; r1 = map fd (ldimm64, BPF_PSEUDO_MAP_FD); r2 = r10 - 4;
 *   r0 = bpf_map_lookup_elem(r1, r2); if r0 == 0 goto out; lock *(u64 *)(r0 + 0) += 1;
 *   out: r0 = 0; exit
 * No context access, so the same bytes load as a kprobe and as an fentry/fexit program.
 */
function counterProgram(mapFd: number): Uint8Array {
  const parts = [
    insn(0x62, 10, 0, -4, 0), // st_mem w [r10-4] = 0
    insn(0x18, 1, 1, 0, mapFd), // ld_imm64 r1 = map_fd (src 1 = BPF_PSEUDO_MAP_FD)
    insn(0x00, 0, 0, 0, 0),
    insn(0xbf, 2, 10, 0, 0), // r2 = r10
    insn(0x07, 2, 0, 0, -4), // r2 += -4
    insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    insn(0xb7, 1, 0, 0, 1), // r1 = 1
    insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1 (BPF_ATOMIC | BPF_DW, imm BPF_ADD)
    insn(0xb7, 0, 0, 0, 0), // r0 = 0
    insn(0x95, 0, 0, 0, 0), // exit
  ];
  const out = new Uint8Array(parts.length * 8);
  parts.forEach((p, i) => out.set(p, i * 8));
  return out;
}

function readCounter(mapFd: number): bigint {
  const v = mapLookupElem(mapFd, new Uint8Array(4), 8);
  if (v === undefined) throw new Error('counter map has no element 0');
  return new DataView(v.buffer, v.byteOffset, v.byteLength).getBigUint64(0, true);
}

/** Opens (and closes) a file `n` times: each open(2) goes through do_sys_openat2. */
function openFiles(n: number): void {
  for (let i = 0; i < n; i++) closeSync(openSync('/proc/self/stat', 'r'));
}

/** `struct perf_event_attr` (PERF_ATTR_SIZE_VER5, 112 bytes) for the kprobe PMU. */
function kprobeAttr(pmuType: number, retprobe: boolean, symbol: Uint8Array): Uint8Array {
  const attr = new Uint8Array(112);
  const v = new DataView(attr.buffer);
  v.setUint32(0, pmuType, true); // type
  v.setUint32(4, attr.byteLength, true); // size
  v.setBigUint64(8, retprobe ? 1n : 0n, true); // config: bit 0 = retprobe (format/retprobe: config:0)
  v.setBigUint64(56, native().address(symbol), true); // config1 = kprobe_func (char *)
  v.setBigUint64(64, 0n, true); // config2 = probe_offset
  return attr;
}

function withFds(fn: (track: (fd: number) => number) => void): void {
  const fds: number[] = [];
  try {
    fn((fd) => {
      fds.push(fd);
      return fd;
    });
  } finally {
    for (const fd of fds.reverse()) native().close(fd);
  }
}

// One title on every kernel (and the host), so the matrix report lines the kernels up test by test.
describe('kernel matrix VM proof (only inside scripts/kernels/run.sh VMs: skipped where BPF_TS_VM_KERNEL is unset)', function () {
  before(function () {
    // Not requirePrivileges: on the host these tests are not "unable to run", they do not apply.
    if (!VM_KERNEL) this.skip();
  });

  it('runs in the VM the harness booted', function () {
    const release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
    expect(release.startsWith(`${VM_KERNEL}.`), `uname -r ${release} vs BPF_TS_VM_KERNEL ${VM_KERNEL}`).to.equal(true);
    expect(process.env['CI']).to.equal('true');
  });

  /** Attaches the counter as a k(ret)probe on `symbol` via the kprobe PMU; returns how often it fired during `trigger`. */
  function kprobeCount(symbol: string, retprobe: boolean, trigger: () => void): bigint {
    const pmuType = Number(readFileSync('/sys/bus/event_source/devices/kprobe/type', 'utf8').trim());
    let fired = 0n;
    withFds((track) => {
      const mapFd = track(mapCreate({ type: MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'vm_proof' }));
      const prog = progLoad({
        progType: PROG_TYPE_KPROBE,
        insns: counterProgram(mapFd),
        license: 'GPL',
        name: 'vm_proof',
        logLevel: VerifierLogLevel.BASIC,
      });
      track(prog.fd);
      const name = new TextEncoder().encode(`${symbol}\0`);
      const attr = kprobeAttr(pmuType, retprobe, name);
      // pid -1, cpu 0 (as libbpf): a kprobe's BPF program runs on every CPU regardless.
      const pfd = track(native().perfEventOpen(attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC, name));
      native().ioctl(pfd, PERF_EVENT_IOC_SET_BPF, prog.fd);
      native().ioctl(pfd, PERF_EVENT_IOC_ENABLE, 0);
      const before = readCounter(mapFd);
      trigger();
      fired = readCounter(mapFd) - before;
    });
    return fired;
  }

  for (const retprobe of [false, true]) {
    it(`${retprobe ? 'kretprobe' : 'kprobe'} on ${TARGET} via the kprobe PMU counts our opens`, function () {
      const fired = kprobeCount(TARGET, retprobe, () => openFiles(5));
      // Other processes may open files too (so >=), but ours must have been counted.
      expect(Number(fired), `${retprobe ? 'kretprobe' : 'kprobe'} fired ${fired} times for 5 opens`).to.be.at.least(5);
    });
  }

  it('kprobe on kernel_clone (bcc hello_world\'s hook: every fork/clone) counts a spawned child', function () {
    const fired = kprobeCount('kernel_clone', false, () => execFileSync('/bin/true'));
    expect(Number(fired), `kernel_clone fired ${fired} times for one spawn`).to.be.at.least(1);
  });

  it('kprobe on blk_mq_start_request (biolatency\'s hook) counts direct reads of /dev/nullb0', function () {
    if (!existsSync('/dev/nullb0')) throw new Error('/dev/nullb0 missing: run.sh loads null_blk (scripts/kernels/modules.txt)');
    const fired = kprobeCount('blk_mq_start_request', false, () =>
      execFileSync('dd', ['if=/dev/nullb0', 'of=/dev/null', 'bs=4096', 'count=8', 'iflag=direct'], { stdio: 'ignore' }),
    );
    expect(Number(fired), `blk_mq_start_request fired ${fired} times for 8 direct reads`).to.be.at.least(8);
  });

  for (const [name, attachType] of [
    ['fentry', TRACE_FENTRY],
    ['fexit', TRACE_FEXIT],
  ] as const) {
    it(`${name} on ${TARGET} (attach BTF id from /sys/kernel/btf/vmlinux) counts our opens`, function () {
      const [btfId] = loadKernelBtf().findByName(TARGET, 'FUNC');
      expect(btfId, `${TARGET} in vmlinux BTF`).to.be.a('number');
      withFds((track) => {
        const mapFd = track(mapCreate({ type: MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'vm_proof' }));
        const prog = progLoad({
          progType: PROG_TYPE_TRACING,
          expectedAttachType: attachType,
          attachBtfId: btfId!,
          insns: counterProgram(mapFd),
          license: 'GPL',
          name: `vm_proof_${name}`,
          logLevel: VerifierLogLevel.BASIC,
        });
        track(prog.fd);
        // BPF_RAW_TRACEPOINT_OPEN { name = NULL, prog_fd } attaches tracing programs (5.5+).
        const attr = new Uint8Array(16);
        new DataView(attr.buffer).setUint32(8, prog.fd, true);
        track(native().bpf(BPF_RAW_TRACEPOINT_OPEN, attr));
        const before = readCounter(mapFd);
        openFiles(5);
        const fired = readCounter(mapFd) - before;
        expect(Number(fired), `${name} fired ${fired} times for 5 opens`).to.be.at.least(5);
      });
    });
  }
});
