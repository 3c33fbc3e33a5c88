/**
 * Seeded fuzz: corpus CO-RE records mutated (root type, access string, kind, instruction bytes)
 * and relocated against vmlinux and the custom target. Every outcome must be a result or a
 * CoreRelocationError -- never a TypeError, RangeError or a hang -- and a result must leave the
 * program the same length with only the relocated instruction(s) changed.
 * Replay a failure with BPF_TS_FUZZ_SEED=<seed>.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { BpfCoreReloKind, loadKernelBtf, parseBtf, type Btf } from '../../src/btf/index.js';
import { CoreRelocationError, relocateCore, type CoreRelocationRecord } from '../../src/btf/core/index.js';
import { Prng, fuzzSeed } from '../helpers/prng.js';
import { CORE_OBJECTS, TARGET_BTF, loadCoreObject } from './objects.js';

const ITERATIONS = 3000;

function mutate(rng: Prng, r: CoreRelocationRecord, typeCount: number, slots: number): CoreRelocationRecord {
  switch (rng.below(6)) {
    case 0:
      return { ...r, typeId: rng.below(typeCount + 2) };
    case 1: {
      const parts = r.accessString.split(':');
      parts[rng.below(parts.length)] = String(rng.pick([0, 1, 2, 3, 7, 63, 64, 1000, rng.below(200)]));
      if (rng.below(3) === 0) parts.push(String(rng.below(8)));
      if (rng.below(4) === 0) parts.splice(1);
      return { ...r, accessString: parts.join(':') };
    }
    case 2:
      return { ...r, kind: rng.below(14) as BpfCoreReloKind };
    case 3:
      return { ...r, insnIndex: rng.below(slots + 2) };
    case 4:
      return { ...r, accessString: rng.pick(['', '0', ':', '0:', '1', 'x', '0::1', '-0', '+1', '0:99999999999']) };
    default:
      return { ...r, typeId: rng.below(typeCount), kind: rng.below(13) as BpfCoreReloKind, accessString: '0' };
  }
}

describe('btf/core fuzz (seeded)', function () {
  this.timeout(120000);

  it(`${ITERATIONS} mutated relocations give a result or a CoreRelocationError`, function () {
    let kernel: Btf;
    try {
      kernel = loadKernelBtf();
    } catch {
      this.skip();
    }
    const custom = parseBtf(readFileSync(TARGET_BTF));
    const seed = fuzzSeed(0xc07e);
    const rng = new Prng(seed);
    const objects = CORE_OBJECTS.map((rel) => loadCoreObject(rel));
    let errors = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const obj = rng.pick(objects);
      const prog = rng.pick(obj.programs);
      const record = mutate(rng, rng.pick(prog.coreRelos), obj.btf.typeCount, prog.instructions.length / 8);
      const code = new Uint8Array(prog.instructions);
      if (rng.below(4) === 0) code[record.insnIndex * 8 + rng.below(8)] = rng.below(256);
      const targets = [rng.below(2) === 0 ? kernel : custom];
      try {
        const out = relocateCore({ localBtf: obj.btf, targets, instructions: code, coreRelos: [record] });
        expect(out.instructions.length, `seed ${seed} iteration ${i}`).to.equal(code.length);
        for (let slot = 0; slot < code.length / 8; slot++) {
          if (slot === record.insnIndex || slot === record.insnIndex + 1) continue;
          expect(out.instructions.subarray(slot * 8, slot * 8 + 8), `seed ${seed} iteration ${i} slot ${slot}`).to.deep.equal(code.subarray(slot * 8, slot * 8 + 8));
        }
      } catch (e) {
        if (!(e instanceof CoreRelocationError)) throw new Error(`seed ${seed} iteration ${i}: ${JSON.stringify(record)} threw ${String(e)}`, { cause: e });
        errors++;
      }
    }
    // Both outcomes must actually occur, or the mutations are not reaching the interesting code.
    expect(errors).to.be.within(ITERATIONS / 20, ITERATIONS - ITERATIONS / 20);
  });
});
