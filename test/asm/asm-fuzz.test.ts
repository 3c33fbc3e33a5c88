import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { AsmError, decodeInstructions, encodeInstructions, formatInstruction } from '../../src/asm/index.js';
import { parseElf, SectionFlags } from '../../src/elf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { fuzzSeed, Prng } from '../helpers/prng.js';

/** Program bytes of the committed test objects, as mutation seeds. */
function programSections(): Array<{ bytes: Uint8Array; endianness: 'little' | 'big' }> {
  const out: Array<{ bytes: Uint8Array; endianness: 'little' | 'big' }> = [];
  for (const f of ['bpf/elf-asm/programs.bpf.o', 'bpf/elf-asm/programs-bpfeb.bpf.o', 'bpf/elf-asm/isa-v4.bpf.o']) {
    const elf = parseElf(readFileSync(join(REPO_ROOT, f)));
    for (const s of elf.sections) if ((s.flags & SectionFlags.EXECINSTR) !== 0n && s.size > 0) out.push({ bytes: s.data(), endianness: elf.endianness });
  }
  return out;
}

describe('asm: fuzz', function () {
  const seed = fuzzSeed(0xa5a5_0042);
  const seeds = programSections();
  const iterations = 4000;

  it(`${iterations} mutated/truncated programs (seed ${seed}): only AsmError, decode->encode is byte-identical, every decoded instruction formats`, function () {
    const rng = new Prng(seed);
    let rejectedStrict = 0;
    let decoded = 0;
    for (let i = 0; i < iterations; i++) {
      const base = rng.pick(seeds);
      let input = base.bytes.slice();
      const kind = rng.below(4);
      if (kind === 0) input = input.subarray(0, rng.below(input.length + 1));
      const flips = 1 + rng.below(6);
      for (let k = 0; k < flips && input.length > 0; k++) {
        const at = rng.below(input.length);
        // Bias towards opcode and register bytes, where structure lives.
        const pos = rng.below(3) === 0 ? at - (at % 8) + rng.below(2) : at;
        input[Math.min(pos, input.length - 1)] = rng.below(256);
      }
      for (const strict of [true, false]) {
        try {
          const insns = decodeInstructions(input, base.endianness, { strict });
          decoded++;
          const again = encodeInstructions(insns, base.endianness);
          if (Buffer.compare(Buffer.from(again), Buffer.from(input)) !== 0) throw new Error(`iteration ${i} (seed ${seed}): round trip differs`);
          for (const insn of insns) formatInstruction(insn);
        } catch (e) {
          if (!(e instanceof AsmError)) throw new Error(`iteration ${i} (seed ${seed}, strict ${strict}) threw ${String(e)}`, { cause: e });
          if (strict) rejectedStrict++;
        }
      }
    }
    expect(rejectedStrict).to.be.greaterThan(iterations / 10);
    expect(decoded).to.be.greaterThan(iterations / 3);
  });

  it(`random slots (seed ${seed}): every 8-byte pattern either decodes non-strictly or is a structural AsmError`, function () {
    const rng = new Prng(seed ^ 0x1234);
    for (let i = 0; i < 10000; i++) {
      const slot = new Uint8Array(16);
      for (let k = 0; k < 16; k++) slot[k] = rng.below(256);
      if (rng.below(2) === 0) slot[0] = 0x18;
      try {
        const insns = decodeInstructions(slot, rng.below(2) === 0 ? 'little' : 'big', { strict: false });
        for (const insn of insns) if (typeof formatInstruction(insn) !== 'string') throw new Error('not a string');
      } catch (e) {
        if (!(e instanceof AsmError)) throw e;
        // Only ldimm64 structure can fail: a broken second slot, or an ldimm64 in the last slot.
        expect(slot[0] === 0x18 || slot[8] === 0x18, e.message).to.equal(true);
      }
    }
  });
});
