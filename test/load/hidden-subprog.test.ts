/**
 * Hidden global subprograms (`__attribute__((visibility("hidden")))`, as `bpf_usdt_arg()` of
 * <bpf/usdt.bpf.h>): libbpf loads their BTF FUNC as static (`mark_btf_static`), so the verifier
 * checks them with their caller's context. bpf/load/hidden_subprog.bpf.o has one that
 * dereferences its pointer argument without a NULL check: it loads only that way.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { BtfLinkage } from '../../src/btf/index.js';
import { fixupProgramBtf } from '../../src/loader/load-btf.js';
import { loadObject, loadObjectSpec, ProgramSpec } from '../../src/loader/index.js';
import { VerifierError } from '../../src/verifier-log/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { bpffsTempDir } from '../helpers/bpffs.js';

const OBJECT = join(BPF_DIR, 'load', 'hidden_subprog.bpf.o');
const BPFTOOL = '/usr/sbin/bpftool';

function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** `struct args { __u64 value; }`, the syscall program's context. */
function args(value: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, value, true);
  return b;
}

describe('hidden global subprograms (pure)', function () {
  it('the spec marks the hidden subprogram, and the program BTF gives it static linkage (entry programs stay global)', async function () {
    const spec = await loadObjectSpec(OBJECT);
    const sub = spec.subprograms.find((p) => p.name === 'add_to');
    expect(sub).to.deep.include({ global: true, hidden: true });
    expect(spec.program('hidden_caller')).to.deep.include({ global: true, hidden: false });
    const btf = spec.btf;
    if (btf === undefined) throw new Error('no BTF');
    // As clang emitted it: both global.
    expect([...btf.types()].filter((t) => t.kind === 'FUNC').map((t) => [t.name, t.kind === 'FUNC' ? t.linkage : -1])).to.deep.equal([
      ['add_to', BtfLinkage.GLOBAL],
      ['hidden_caller', BtfLinkage.GLOBAL],
    ]);
    const fixed = fixupProgramBtf(spec, btf);
    expect(fixed.filter((t) => t.kind === 'FUNC').map((t) => [t.name, t.kind === 'FUNC' ? t.linkage : -1])).to.deep.equal([
      ['add_to', BtfLinkage.STATIC],
      ['hidden_caller', BtfLinkage.GLOBAL],
    ]);
    // The spec's own BTF is untouched: a load never modifies the spec.
    expect([...btf.types()].find((t) => t.name === 'add_to')).to.deep.include({ linkage: BtfLinkage.GLOBAL });
  });
});

describe('hidden global subprograms (kernel)', function () {
  this.timeout(60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('loadObject loads a hidden subprogram the verifier accepts only as static, and it runs', async function () {
    const before = fdCount();
    {
      using obj = await loadObject(OBJECT);
      const r = obj.program('hidden_caller')?.testRun({ ctx: args(37n) });
      expect(r?.retval).to.equal(42);
      expect(new DataView((r?.ctx ?? new Uint8Array(8)).buffer, r?.ctx?.byteOffset ?? 0).getBigUint64(0, true)).to.equal(42n);
    }
    expect(fdCount()).to.equal(before);
  });

  it('the same subprogram loaded as a plain global function is refused (why libbpf marks it static)', async function () {
    const spec = await loadObjectSpec(OBJECT);
    const i = spec.subprograms.findIndex((p) => p.name === 'add_to');
    const sub = spec.subprograms[i];
    if (sub === undefined) throw new Error('no add_to');
    spec.subprograms[i] = new ProgramSpec({ ...sub, hidden: false });
    const before = fdCount();
    const err = await loadObject(spec).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(VerifierError);
    expect((err as VerifierError).program).to.equal('hidden_caller');
    expect((err as Error).message).to.match(/may be NULL/);
    expect(fdCount()).to.equal(before);
  });

  it('libbpf (bpftool prog loadall) loads it too', function () {
    requireTool(this, BPFTOOL);
    const dir = bpffsTempDir('bpfts-hidden-');
    try {
      execFileSync(BPFTOOL, ['prog', 'loadall', OBJECT, dir], { stdio: 'pipe' });
      expect(readdirSync(dir)).to.deep.equal(['hidden_caller']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
