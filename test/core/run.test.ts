/**
 * End to end: programs relocated by bpf-ts against the running kernel are loaded with
 * BPF_PROG_LOAD (SEC("syscall"), so no maps are needed) and run with BPF_PROG_TEST_RUN; the
 * values they write into their context must be the kernel's facts (offsets, sizes, type ids and
 * enum values from vmlinux BTF, the pid and parent of this process read through relocated
 * loads). A poisoned reachable load must fail in the verifier, and its log rewritten like
 * libbpf rewrites it.
 */
import { expect } from 'chai';
import { coreFailures, describeCoreFailure, fixupCoreFailureLog, type RelocateCoreOutput } from '../../src/btf/core/index.js';
import { loadKernelBtf, type Btf } from '../../src/btf/index.js';
import { BpfCmd, ProgLoadError, ProgLoadFlag, VerifierLogLevel, native, progLoad } from '../../src/sys/index.js';
import { ProgType } from '../../src/sys/uapi.js';
import { explainVerifierLog, parseVerifierLog } from '../../src/verifier-log/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { CC, LIBBPF_HEADER, libbpfCore } from './libbpf-log.js';
import { loadCoreObject, objectPath, relocateObject } from './objects.js';

const CTX_SLOTS = 16;
/** `sizeof(((union bpf_attr *)0)->test)`. */
const TEST_RUN_ATTR_SIZE = 80;

/** Loads the relocated syscall program and runs it once; returns the context it wrote. */
function run(output: RelocateCoreOutput, ctxIn?: BigUint64Array): bigint[] {
  const { fd } = progLoad({ progType: ProgType.SYSCALL, insns: output.instructions, license: 'GPL', flags: ProgLoadFlag.SLEEPABLE });
  try {
    const ctx = ctxIn ?? new BigUint64Array(CTX_SLOTS);
    const attr = new Uint8Array(TEST_RUN_ATTR_SIZE);
    const v = new DataView(attr.buffer);
    const n = native();
    v.setUint32(0, fd, true); // prog_fd
    v.setUint32(40, ctx.byteLength, true); // ctx_size_in (a syscall program's ctx is copied back into ctx_in)
    v.setBigUint64(48, n.address(ctx), true); // ctx_in
    n.bpf(BpfCmd.PROG_TEST_RUN, attr, ctx);
    expect(v.getUint32(4, true), 'retval').to.equal(0);
    return [...ctx];
  } finally {
    native().close(fd);
  }
}

function only(rel: string, kernel: Btf): RelocateCoreOutput {
  const [prog] = relocateObject(loadCoreObject(rel), [kernel]);
  if (prog === undefined) throw new Error(`${rel}: no program`);
  return prog.output;
}

/**
 * Bit offset, width (the bitfield size, or the type's size in bits) and type of a named field,
 * searching anonymous members as C name lookup does.
 */
function field(btf: Btf, struct: string, name: string): { bitOffset: number; bits: number; type: number } {
  const find = (id: number, base: number): { bitOffset: number; bits: number; type: number } | undefined => {
    const t = btf.typeById(btf.resolveType(id));
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return undefined;
    for (const m of t.members) {
      if (m.name === name) return { bitOffset: base + m.bitOffset, bits: m.bitfieldSize === 0 ? btf.sizeOf(m.type) * 8 : m.bitfieldSize, type: m.type };
      if (m.name === '') {
        const inner = find(m.type, base + m.bitOffset);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  const [id] = btf.findByName(struct, 'STRUCT');
  const found = id === undefined ? undefined : find(id, 0);
  if (found === undefined) throw new Error(`no ${struct}.${name} in vmlinux`);
  return found;
}

/** Byte offset and size of a named (non-bitfield) field. */
function member(btf: Btf, struct: string, name: string): { byteOffset: number; size: number } {
  const f = field(btf, struct, name);
  return { byteOffset: f.bitOffset / 8, size: btf.sizeOf(f.type) };
}

/** The unsigned value of `bits` bits at `bitOffset` of a little-endian buffer. */
function readBits(bytes: Uint8Array, bitOffset: number, bits: number): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i++) {
    const b = bitOffset + i;
    if (((bytes[b >> 3] ?? 0) >> (b & 7)) & 1) v |= 1n << BigInt(i);
  }
  return v;
}

function enumValue(btf: Btf, name: string, value: string): bigint {
  for (const kind of ['ENUM', 'ENUM64'] as const) {
    for (const id of btf.findByName(name, kind)) {
      const t = btf.typeById(id);
      if (t.kind !== 'ENUM' && t.kind !== 'ENUM64') continue;
      const e = t.values.find((x) => x.name === value);
      if (e !== undefined) return BigInt.asUintN(64, BigInt(e.value));
    }
  }
  throw new Error(`no ${name}::${value} in vmlinux`);
}

describe('btf/core relocated programs run in the kernel (BPF_PROG_TEST_RUN, root)', function () {
  this.timeout(30000);
  let kernel: Btf;
  before(function () {
    requirePrivileges(this);
    kernel = loadKernelBtf();
  });

  it('fields.bpf.o writes vmlinux offsets/sizes, and this process pid/ppid through relocated loads', () => {
    const ctx = run(only('core/fields.bpf.o', kernel));
    const pid = member(kernel, 'task_struct', 'pid');
    const comm = member(kernel, 'task_struct', 'comm');
    const flags = member(kernel, 'task_struct', 'flags');
    expect(ctx.slice(0, 14)).to.deep.equal([
      BigInt(pid.byteOffset),
      BigInt(comm.size),
      1n,
      0n,
      1n,
      0n,
      BigInt(process.pid),
      ctx[7], // current->flags: whatever the kernel has, read with the shrunk 4-byte load
      BigInt(process.ppid),
      BigInt(comm.byteOffset + 3),
      BigInt(member(kernel, 'sk_buff', 'next').byteOffset),
      BigInt(member(kernel, 'sk_buff', 'dev').byteOffset),
      12345n,
      BigInt(flags.size),
    ]);
    expect((ctx[7] ?? 0n) < 1n << 32n, 'flags read with a 4-byte load').to.equal(true);
  });

  it('bitfields.bpf.o extracts kernel bitfields (byte offset, size, lshift, rshift) from bytes laid out like sk_buff/tcp_sock', () => {
    const size = Math.max(kernel.sizeOf(kernel.findByName('sk_buff', 'STRUCT')[0] ?? 0), kernel.sizeOf(kernel.findByName('tcp_sock', 'STRUCT')[0] ?? 0));
    const ctx = new BigUint64Array(Math.ceil(size / 8));
    const bytes = new Uint8Array(ctx.buffer);
    // A fixed pseudo-random pattern: neighbouring bits differ, so a wrong shift or mask shows.
    let x = 0x9e3779b9;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    const fields = [
      field(kernel, 'sk_buff', 'pkt_type'),
      field(kernel, 'sk_buff', 'cloned'),
      field(kernel, 'tcp_sock', 'repair'),
      field(kernel, 'tcp_sock', 'frto'), // read through tcp_sock___mine: other order and width locally
      field(kernel, 'tcp_sock', 'repair'),
    ];
    // The program writes its five results into the first 40 bytes; the fields must lie beyond.
    for (const f of fields) expect(f.bitOffset).to.be.at.least(40 * 8);
    const expected = fields.map((f) => readBits(bytes, f.bitOffset, f.bits));
    const out = run(only('core/bitfields.bpf.o', kernel), ctx);
    expect(expected.some((v) => v !== 0n) && expected.some((v, i) => v !== (1n << BigInt(fields[i]?.bits ?? 0)) - 1n), "the pattern sets and clears bits").to.equal(true);
    expect(out.slice(0, 5)).to.deep.equal(expected);
  });

  it('types.bpf.o writes vmlinux type ids and sizes (0 for missing types)', () => {
    const ctx = run(only('core/types.bpf.o', kernel));
    const [task] = kernel.findByName('task_struct', 'STRUCT');
    const [attr] = kernel.findByName('bpf_attr', 'UNION');
    expect(ctx[1]).to.equal(BigInt(task ?? -1));
    expect(ctx.slice(2, 13)).to.deep.equal([1n, 1n, 0n, BigInt(kernel.sizeOf(task ?? 0)), BigInt(kernel.sizeOf(task ?? 0)), 0n, 8n, 0n, 0n, BigInt(attr ?? -1), BigInt(kernel.sizeOf(attr ?? 0))]);
  });

  it('enums.bpf.o writes vmlinux enum values, 64-bit ones included, and skips the poisoned dead code', () => {
    const ctx = run(only('core/enums.bpf.o', kernel));
    const ringbuf = enumValue(kernel, 'bpf_map_type', 'BPF_MAP_TYPE_RINGBUF');
    expect(ctx.slice(0, 7)).to.deep.equal([ringbuf, 1n, ringbuf, 0n, enumValue(kernel, 'perf_callchain_context', 'PERF_CONTEXT_MAX'), enumValue(kernel, 'perf_callchain_context', 'PERF_CONTEXT_USER'), 777n]);
  });

  it('matches.bpf.o writes the type_matches decisions libbpf makes', function () {
    requireTool(this, CC);
    requireTool(this, LIBBPF_HEADER);
    const output = only('core/matches.bpf.o', kernel);
    const ctx = run(output);
    const theirs = libbpfCore(objectPath('core/matches.bpf.o')).relos.sort((a, b) => a.relo - b.relo).map((r) => BigInt(/-> (\d+)$/.exec(r.patches[0] ?? '')?.[1] ?? -1));
    expect(ctx.slice(0, 9)).to.deep.equal(theirs);
  });

  it('a reachable poisoned load fails in the verifier; the log is rewritten exactly as libbpf rewrites it', function () {
    requireTool(this, CC);
    requireTool(this, LIBBPF_HEADER);
    const output = only('core/bad_size.bpf.o', kernel);
    expect(coreFailures(output.results)).to.deep.equal([{ insnIndex: 2, description: 'struct task_struct___wide.pid' }]);
    expect(describeCoreFailure(output.results[0] ?? { description: '' })).to.equal('struct task_struct___wide.pid');
    expect(output.results[0]?.poisonReason).to.equal('unsafe-resize');
    let log = '';
    try {
      const { fd } = progLoad({ progType: ProgType.SYSCALL, insns: output.instructions, license: 'GPL', flags: ProgLoadFlag.SLEEPABLE, logLevel: VerifierLogLevel.BASIC });
      native().close(fd);
    } catch (e) {
      if (!(e instanceof ProgLoadError)) throw e;
      log = e.log;
    }
    expect(log).to.contain('invalid func unknown#195896080');
    const ours = fixupCoreFailureLog(log, output.results).split('\n').filter((l) => /CO-RE/.test(l));
    const theirs = libbpfCore(objectPath('core/bad_size.bpf.o'), undefined, true).log.split('\n').filter((l) => /CO-RE relocation/.test(l) && !l.startsWith('libbpf:'));
    expect(ours).to.deep.equal(['2: <invalid CO-RE relocation>', 'failed to resolve CO-RE relocation <byte_off> [7] struct task_struct___wide.pid (0:0 @ offset 0)']);
    expect(ours).to.deep.equal(theirs);

    // The explainer, given our failure list, names the field and the instruction.
    const explained = explainVerifierLog(parseVerifierLog(log), { coreFailures: coreFailures(output.results) });
    expect([explained.kind, explained.summary, explained.insnIndex]).to.deep.equal([
      'poisoned-core-relocation',
      'CO-RE relocation failed: struct task_struct___wide.pid does not exist in this kernel\'s BTF',
      2,
    ]);
  });
});
