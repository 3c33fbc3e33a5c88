import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  FeatureProbeError,
  HELPER_NAMES,
  MapType,
  ProgType,
  ProgTypeName,
  kernelVersionCode,
  probeDeviceMapType,
  probeDeviceProgType,
  probeHelper,
  probeKernelFeatures,
  probeMapType,
  probeMiscFeature,
  probeProgType,
  readKernelConfig,
  readSysctlInt,
  tryProgLoad,
} from '../../src/sys/index.js';
// The probe programs are internal to src/sys; their bytes are checked against LLVM's assembler.
import { BOUNDED_LOOP, RETURN_ZERO, V2_ISA, V3_ISA, V4_ISA, callHelper, largeProgram } from '../../src/sys/feature-probe-insns.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { slowdown } from '../helpers/kernel.js';

const LLVM_MC = '/usr/bin/llvm-mc-19';

/** Assembles BPF assembly with LLVM and returns the instruction bytes. */
function assemble(source: string): Uint8Array {
  const out = execFileSync(LLVM_MC, ['-triple', 'bpfel', '-mcpu=v4', '--show-encoding'], { input: source, encoding: 'utf8' });
  const bytes: number[] = [];
  for (const m of out.matchAll(/encoding: \[([^\]]*)\]/g)) {
    for (const b of (m[1] as string).split(',')) bytes.push(Number(b));
  }
  return Uint8Array.from(bytes);
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

const helperId = (name: string): number => {
  const id = HELPER_NAMES.indexOf(name);
  expect(id, name).to.be.greaterThan(0);
  return id;
};

describe('sys/feature-probe: probe programs', function () {
  before(function () {
    requireTool(this, LLVM_MC);
  });

  it('encodes the probe programs exactly as LLVM assembles them', function () {
    expect(RETURN_ZERO).to.deep.equal(assemble('r0 = 0\nexit\n'));
    expect(callHelper(5)).to.deep.equal(assemble('call 5\nexit\n'));
    expect(callHelper(211)).to.deep.equal(assemble('call 211\nexit\n'));
    expect(BOUNDED_LOOP).to.deep.equal(assemble('r0 = 10\nr0 -= 1\nif r0 != 0 goto -2\nexit\n'));
    expect(V2_ISA).to.deep.equal(assemble('r0 = 0\nif r0 < 0 goto +1\nr0 = 1\nexit\n'));
    expect(V3_ISA).to.deep.equal(assemble('r0 = 0\nif w0 < 0 goto +1\nr0 = 1\nexit\n'));
    expect(V4_ISA).to.deep.equal(assemble('r0 = 0\nif w0 == 1 goto +1\ngotol +1\nr0 = 1\nexit\n'));
    const large = largeProgram();
    expect(large.length).to.equal(4097 * 8);
    expect(large.subarray(0, 8)).to.deep.equal(assemble('r0 = 1\n'));
    expect(large.subarray(4096 * 8)).to.deep.equal(assemble('exit\n'));
  });
});

describe('sys/feature-probe: probes against the kernel', function () {
  before(function () {
    requirePrivileges(this);
  });

  it('judges helpers by the verifier: refused per program type, unknown ids refused everywhere', function () {
    const storeBytes = helperId('bpf_skb_store_bytes');
    // bpf_skb_store_bytes rewrites packets: tc programs may, socket filters may not.
    expect(probeHelper(ProgType.SCHED_CLS, storeBytes)).to.equal(true);
    expect(probeHelper(ProgType.SOCKET_FILTER, storeBytes)).to.equal(false);
    const log = new Uint8Array(4096);
    const r = tryProgLoad({ progType: ProgType.SOCKET_FILTER, insns: callHelper(storeBytes), license: 'GPL', logBuffer: log });
    expect(r.ok).to.equal(false);
    expect(r.log).to.match(/program of this type cannot use helper bpf_skb_store_bytes#9|unknown func bpf_skb_store_bytes#9/);
    expect(probeHelper(ProgType.XDP, helperId('bpf_redirect_map'))).to.equal(true);
    expect(probeHelper(ProgType.XDP, helperId('bpf_xdp_adjust_head'))).to.equal(true);
    expect(probeHelper(ProgType.TRACEPOINT, helperId('bpf_xdp_adjust_head'))).to.equal(false);
    // An id past every helper the kernel knows: "invalid func unknown#N".
    expect(probeHelper(ProgType.XDP, HELPER_NAMES.length + 100)).to.equal(false);
  });

  it('knows program and map types this kernel has, by loading and creating them', function () {
    expect(probeProgType(ProgType.SOCKET_FILTER)).to.equal(true);
    expect(probeProgType(ProgType.XDP)).to.equal(true);
    expect(probeMapType(MapType.HASH)).to.equal(true);
    expect(probeMapType(MapType.RINGBUF)).to.equal(true);
    // Storage maps need the probe's hand-built BTF; struct_ops is judged by its ENOTSUPP.
    expect(probeMapType(MapType.TASK_STORAGE)).to.equal(true);
    expect(probeMapType(MapType.STRUCT_OPS)).to.equal(true);
    expect(probeMapType(MapType.CGROUP_STORAGE)).to.equal(true);
    expect(probeMiscFeature('v4_isa_extension')).to.equal(true);
  });

  it('throws FeatureProbeError where no answer can be had', function () {
    expect(() => probeProgType(999)).to.throw(FeatureProbeError, 'cannot probe program type 999: bpf-ts does not know it').with.property('feature', 'program type 999');
    expect(() => probeMapType(999)).to.throw(FeatureProbeError, 'cannot probe map type 999: bpf-ts does not know it');
    expect(() => probeHelper(ProgType.TRACING, 1)).to.throw(
      FeatureProbeError,
      'cannot probe helpers of program type tracing: it only loads against a real attach target',
    );
    expect(() => probeHelper(ProgType.STRUCT_OPS, 1)).to.throw(FeatureProbeError, 'program type struct_ops');
    expect(() => probeDeviceProgType(ProgType.KPROBE, 1)).to.throw(
      FeatureProbeError,
      'cannot probe program type 2 on a device: only sched_cls and xdp offload',
    );
    expect(() => probeDeviceMapType(MapType.PERCPU_HASH, 1)).to.throw(FeatureProbeError, 'cannot probe map type 5 on a device: only hash and array offload');
  });

  it('leaves no fd behind, and answers a second time from memory', function () {
    const before = openFds();
    const first = probeKernelFeatures();
    expect(openFds()).to.equal(before);
    const t0 = performance.now();
    const second = probeKernelFeatures();
    expect(performance.now() - t0).to.be.lessThan(100 * slowdown());
    expect(second.progTypes).to.deep.equal(first.progTypes);
    expect(second.helpers).to.deep.equal(first.helpers);
    // One entry per program type the kernel enum has (bpftool's loop), helpers only where it loads.
    expect(first.progTypes.map((t) => t.name)).to.deep.equal([...ProgTypeName.values()].slice(1));
    for (const h of first.helpers) {
      if (!h.progTypeAvailable) expect(h.helpers, h.progTypeName).to.deep.equal([]);
    }
    const xdp = first.helpers.find((h) => h.progTypeName === 'xdp');
    expect(xdp?.helpers).to.include('bpf_redirect_map').and.not.include('bpf_trace_printk');
  });

  it('probes everything in a fresh process in about the time bpftool takes (well under 3 s)', function () {
    this.timeout(30_000 * slowdown());
    const script = `import('${REPO_ROOT}/dist/src/sys/index.js').then((m) => { const t0 = performance.now(); m.probeKernelFeatures(); console.log(performance.now() - t0); });`;
    const ms = Number(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }).trim());
    // Under the kernel matrix's TCG emulation JavaScript is ~20x slower: the bound scales with it.
    expect(ms).to.be.greaterThan(0).and.lessThan(3000 * slowdown());
  });
});

describe('sys/feature-probe-system: sysctls and versions', function () {
  it('reads sysctls like bpftool (-1 when missing or not one integer)', function () {
    expect(readSysctlInt('/proc/sys/kernel/pid_max')).to.equal(Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8')));
    expect(readSysctlInt('/proc/sys/kernel/no_such_sysctl')).to.equal(-1);
    expect(readSysctlInt('/proc/sys/kernel/ostype')).to.equal(-1);
  });

  it('computes KERNEL_VERSION() with a saturating sublevel', function () {
    expect(kernelVersionCode(6, 18, 44)).to.equal((6 << 16) | (18 << 8) | 44);
    expect(kernelVersionCode(4, 9, 337)).to.equal((4 << 16) | (9 << 8) | 255);
  });
});

describe('sys/feature-probe-system: kernel config', function () {
  let dir: string;
  before(function () {
    dir = mkdtempSync(join(tmpdir(), 'bpf-ts-kconfig-'));
  });
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  const CONFIG = '#\n# Automatically generated file; DO NOT EDIT.\n# Linux/x86 6.18 Kernel Configuration\nCONFIG_BPF=y\n# CONFIG_BPF_LSM is not set\nCONFIG_HZ=250\nCONFIG_EMPTY=\nCONFIG_BPF=m\n';

  it('reads plain and gzip configs, keeping the first value of an option and skipping empty ones', function () {
    const plain = join(dir, 'config');
    const gz = join(dir, 'config.gz');
    writeFileSync(plain, CONFIG);
    writeFileSync(gz, gzipSync(CONFIG));
    for (const path of [plain, gz]) {
      const r = readKernelConfig([join(dir, 'missing'), path]);
      expect(r.ok, path).to.equal(true);
      if (r.ok) {
        expect(r.path).to.equal(path);
        expect([...r.values]).to.deep.equal([
          ['CONFIG_BPF', 'y'],
          ['CONFIG_HZ', '250'],
        ]);
      }
    }
  });

  it("says why it could not, in bpftool's words", function () {
    expect(readKernelConfig([join(dir, 'nope')])).to.deep.equal({ ok: false, reason: "can't open file: No such file or directory" });
    const wrong = join(dir, 'wrong');
    writeFileSync(wrong, '#\n# something else\nCONFIG_BPF=y\n');
    expect(readKernelConfig([wrong])).to.deep.equal({ ok: false, reason: "can't find correct file" });
    const short = join(dir, 'short');
    writeFileSync(short, '#\n');
    expect(readKernelConfig([short])).to.deep.equal({ ok: false, reason: "can't read from file: too short" });
  });

  it('agrees with the running kernel config on the options bpftool reports', function () {
    const r = readKernelConfig();
    if (!r.ok) this.skip();
    expect(r.values.get('CONFIG_BPF_SYSCALL')).to.equal('y');
  });
});

describe('scripts/gen-helper-table.mjs: the committed helper table', function () {
  it("agrees with the running kernel's enum bpf_func_id on every id both know", function () {
    this.timeout(60_000);
    requireTool(this, '/usr/sbin/bpftool');
    const text = execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'gen-helper-table.mjs'), '--stdout'], { encoding: 'utf8', maxBuffer: 1 << 26 });
    const generated = [...text.matchAll(/'(bpf_\w+)'/g)].map((m) => m[1]);
    const common = Math.min(generated.length, HELPER_NAMES.length);
    expect(common).to.be.greaterThan(200);
    expect(HELPER_NAMES.slice(0, common)).to.deep.equal(generated.slice(0, common));
    const committed = readFileSync(join(REPO_ROOT, 'src', 'sys', 'feature-probe-helper-names.ts'), 'utf8');
    // On the kernel the table was generated from, regenerating changes nothing but the header.
    if (generated.length === HELPER_NAMES.length) {
      expect(text.split('\n').slice(1)).to.deep.equal(committed.split('\n').slice(1));
    }
  });
});
