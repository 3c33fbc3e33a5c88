/**
 * The libbpf comparison: every CO-RE relocation of the corpus objects, relocated by bpf-ts and
 * by the system libbpf (its debug log), against the running kernel's BTF and against a custom
 * target BTF. Local spec text, first matching candidate, candidate counts (after libbpf's
 * pruning), patched values, load-size changes and poisoning must all agree.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CORE_POISON_HELPER_ID, CorePatchKind, CoreRelocationError, type CoreTarget } from '../../src/btf/core/index.js';
import { loadKernelBtf, parseBtf, type Btf } from '../../src/btf/index.js';
import { requirePrivileges, requireTool } from '../helpers/privileges.js';
import { CC, LIBBPF_HEADER, libbpfCore, type LibbpfRelo } from './libbpf-log.js';
import { CORE_OBJECTS, TARGET_BTF, loadCoreObject, objectPath, objectsWithCoreRelos, relocateObject, type RelocatedProgram } from './objects.js';

interface Decision {
  readonly key: string;
  readonly local: string;
  readonly target: string | null;
  readonly candidates: number;
  readonly matched: number;
  readonly patches: readonly string[];
  readonly poisoned: boolean;
}

const SIZE_BYTES: Record<number, number> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };

/** Our decisions, printed the way libbpf prints them (original values from the instruction). */
function ourDecisions(progs: readonly RelocatedProgram[]): Decision[] {
  return progs.flatMap(({ program, output }) => {
    const orig = new DataView(program.instructions.buffer, program.instructions.byteOffset, program.instructions.byteLength);
    const patched = new DataView(output.instructions.buffer, output.instructions.byteOffset, output.instructions.byteLength);
    return output.results.map((r): Decision => {
      const at = r.insnIndex * 8;
      const patches: string[] = [];
      const u64 = (v: number): bigint => BigInt.asUintN(64, BigInt(v));
      switch (r.patch.kind) {
        case CorePatchKind.alu:
          patches.push(`(ALU/ALU64) imm ${u64(orig.getInt32(at + 4, true))} -> ${r.newValue}`);
          break;
        case CorePatchKind.mem:
          patches.push(`(LDX/ST/STX) off ${u64(orig.getInt16(at + 2, true))} -> ${r.newValue}`);
          if (r.patch.memSize !== undefined) patches.push(`(LDX/ST/STX) mem_sz ${SIZE_BYTES[orig.getUint8(at) & 0x18]} -> ${r.patch.memSize}`);
          break;
        case CorePatchKind.ldimm64: {
          const imm = (BigInt(orig.getUint32(at + 12, true)) << 32n) | BigInt(orig.getUint32(at + 4, true));
          patches.push(`(LDIMM64) imm64 ${imm} -> ${r.newValue}`);
          break;
        }
        case CorePatchKind.poison: {
          // The poison call itself: code 0x85, no registers/offset, imm 0xbad2310 (both ldimm64 slots).
          const slots = orig.getUint8(at) === 0x18 ? [at, at + 8] : [at];
          for (const s of slots) expect([patched.getUint8(s), patched.getUint8(s + 1), patched.getInt16(s + 2, true), patched.getInt32(s + 4, true)]).to.deep.equal([0x85, 0, 0, CORE_POISON_HELPER_ID]);
          break;
        }
      }
      return {
        key: `${program.name} relo #${program.reloBase + r.index} insn #${r.insnIndex}`,
        local: r.localSpec.text,
        target: r.targetSpec?.text ?? null,
        candidates: r.candidates,
        matched: r.matched,
        patches,
        poisoned: r.poisoned,
      };
    });
  });
}

function libbpfDecisions(relos: readonly LibbpfRelo[]): Decision[] {
  return relos.map((r) => ({
    key: `${r.program} relo #${r.relo} insn #${r.insn ?? '?'}`,
    local: r.local,
    target: r.candidates.find((c) => c.matching)?.spec ?? null,
    candidates: r.candidates.length,
    matched: r.candidates.filter((c) => c.matching).length,
    patches: r.patches,
    poisoned: r.poisoned,
  }));
}

const byKey = (a: Decision, b: Decision): number => a.key.localeCompare(b.key);

describe('btf/core against libbpf (system libbpf debug log, root)', function () {
  this.timeout(60000);
  let vmlinux: Btf;
  let customTarget: CoreTarget;
  before(function () {
    requirePrivileges(this);
    requireTool(this, CC);
    requireTool(this, LIBBPF_HEADER);
    vmlinux = loadKernelBtf();
    customTarget = { name: 'target-kernel.btf', btf: parseBtf(readFileSync(TARGET_BTF)) };
  });

  for (const rel of CORE_OBJECTS) {
    it(`${rel}: every relocation against vmlinux as libbpf does it`, () => {
      const ours = ourDecisions(relocateObject(loadCoreObject(rel), [vmlinux])).sort(byKey);
      const theirs = libbpfDecisions(libbpfCore(objectPath(rel)).relos).sort(byKey);
      expect(ours.length).to.be.greaterThan(0);
      expect(ours).to.deep.equal(theirs);
    });

    it(`${rel}: every relocation against the custom target BTF as libbpf (btf_custom_path) does it`, () => {
      const ours = ourDecisions(relocateObject(loadCoreObject(rel), [customTarget])).sort(byKey);
      const theirs = libbpfDecisions(libbpfCore(objectPath(rel), TARGET_BTF).relos).sort(byKey);
      expect(ours.length).to.be.greaterThan(0);
      expect(ours).to.deep.equal(theirs);
    });
  }

  for (const [what, custom] of [['vmlinux', false], ['the custom target BTF', true]] as const) {
    it(`every other corpus object with CO-RE records (bpf/**) is relocated against ${what} as libbpf does`, () => {
      const skip = new Set<string>([...CORE_OBJECTS, 'core/ambiguous.bpf.o', 'core/ambiguous_custom.bpf.o']);
      const checked: string[] = [];
      for (const rel of objectsWithCoreRelos()) {
        if (skip.has(rel) || rel.includes('bpfeb')) continue; // libbpf loads only native byte order
        const run = libbpfCore(objectPath(rel), custom ? TARGET_BTF : undefined);
        // libbpf gives up before CO-RE when an extern does not resolve (externs.bpf.o): no reference.
        if (run.loadResult < 0 && !/found \d+ CO-RE relocations/.test(run.log)) continue;
        const ours = ourDecisions(relocateObject(loadCoreObject(rel), [custom ? customTarget : vmlinux])).sort(byKey);
        expect([rel, ours]).to.deep.equal([rel, libbpfDecisions(run.relos).sort(byKey)]);
        checked.push(rel);
      }
      expect(checked.length).to.be.greaterThan(10);
    });
  }

  it('the corpus exercises all 13 relocation kinds, flavors, bitfields, poisoning and size changes', () => {
    const all = CORE_OBJECTS.flatMap((rel) => relocateObject(loadCoreObject(rel), [vmlinux])).flatMap((p) => p.output.results);
    expect(new Set(all.map((r) => r.kindName))).to.have.lengthOf(13);
    expect(all.some((r) => r.localSpec.typeName.includes('___') && r.targetSpec !== undefined && !r.targetSpec.typeName.includes('___'))).to.equal(true);
    expect(all.some((r) => r.localSpec.text.includes(' @ offset ') && /offset \d+\.\d\)/.test(r.localSpec.text))).to.equal(true);
    expect(all.some((r) => r.poisoned && r.poisonReason === 'not-found')).to.equal(true);
    expect(all.some((r) => r.poisoned && r.poisonReason === 'unsafe-resize')).to.equal(true);
    expect(all.some((r) => r.patch.memSize !== undefined)).to.equal(true);
  });

  it('ambiguous.bpf.o: nf_conn vs nf_conn___init in vmlinux, the same relocation libbpf refuses', () => {
    const run = libbpfCore(objectPath('core/ambiguous.bpf.o'));
    const failed = run.relos.find((r) => r.warnings.some((w) => w.includes('ambiguity')));
    expect(failed, run.log).to.not.equal(undefined);
    expect(run.loadResult).to.be.lessThan(0);
    let error: unknown;
    try {
      relocateObject(loadCoreObject('core/ambiguous.bpf.o'), [vmlinux]);
    } catch (e) {
      error = e;
    }
    expect(error).to.be.instanceOf(CoreRelocationError);
    const e = error as CoreRelocationError;
    expect(e.message).to.match(/^relo #(\d+): relocation ambiguous: 2 candidates give different results: \[\d+\] struct nf_conn in vmlinux -> \d+, \[\d+\] struct nf_conn___init in vmlinux -> \d+ /);
    expect([e.program, e.kind, e.localType, Number(/^relo #(\d+)/.exec(e.message)?.[1])]).to.deep.equal([failed?.program, 'target_type_id', 'struct nf_conn', failed?.relo]);
  });

  it('ambiguous_custom.bpf.o: foo___a/foo___b of the custom BTF disagree on the offset, as libbpf says', () => {
    const run = libbpfCore(objectPath('core/ambiguous_custom.bpf.o'), TARGET_BTF);
    const warning = run.relos.flatMap((r) => r.warnings).find((w) => w.startsWith('field offset ambiguity'));
    expect(warning, run.log).to.equal('field offset ambiguity: 32 != 0');
    expect(() => relocateObject(loadCoreObject('core/ambiguous_custom.bpf.o'), [customTarget])).to.throw(
      CoreRelocationError,
      "relo #0: relocation ambiguous: 2 candidates give different field offsets: [27] struct foo___a in target-kernel.btf at bit 0, [29] struct foo___b in target-kernel.btf at bit 32 (prog 'core_ambiguous_custom', insn #0, <byte_off>, struct foo, access 0:0)",
    );
  });
});
