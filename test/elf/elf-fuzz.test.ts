import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ElfError, parseElf, SectionType } from '../../src/elf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { sampleElf } from './elf-builder.js';
import { fuzzSeed, Prng } from '../helpers/prng.js';

/** Parses and walks everything a consumer would touch; only ElfError may escape. */
function exercise(bytes: Uint8Array): void {
  const elf = parseElf(bytes, { fileName: 'fuzz.o' });
  for (const s of elf.sections) {
    s.data();
    if (s.type === SectionType.REL || s.type === SectionType.RELA) elf.relocations(s);
  }
  for (const sym of elf.symbols) elf.sections[sym.shndx];
}

/** Positions that matter for structure: the header, the section header table, symbols, relocations. */
function interestingOffsets(bytes: Uint8Array): number[] {
  const elf = parseElf(bytes);
  const out: number[] = [];
  for (let i = 0; i < 64; i++) out.push(i);
  const shoff = elf.header.sectionHeaderOffset;
  for (let i = shoff; i < shoff + elf.sections.length * 64; i++) out.push(i);
  for (const s of elf.sections) {
    if (s.type === SectionType.SYMTAB || s.type === SectionType.REL || s.type === SectionType.STRTAB) {
      for (let i = s.offset; i < s.offset + Math.min(s.size, 512); i++) out.push(i);
      if (s.size > 0) out.push(s.offset + s.size - 1);
    }
  }
  return out;
}

const EXTREMES = [0n, 1n, 0x40n, 0xffn, 0xff00n, 0xfff1n, 0xffffn, 0xffffffffn, 0x7fffffffffffffffn, 0xffffffffffffffffn] as const;

function mutate(base: Uint8Array, offsets: readonly number[], rng: Prng): Uint8Array {
  const choice = rng.below(10);
  if (choice === 0) return base.subarray(0, rng.below(base.length)); // truncation
  const bytes = base.slice();
  const view = new DataView(bytes.buffer);
  const rounds = 1 + rng.below(4);
  for (let k = 0; k < rounds; k++) {
    const at = rng.pick(offsets);
    if (choice < 5) {
      bytes[at] = rng.below(256);
    } else if (choice < 8) {
      bytes[at] = (bytes[at] as number) ^ (1 << rng.below(8));
    } else {
      // A whole field set to an extreme or near-boundary value.
      const width = rng.pick([2, 4, 8] as const);
      const value = rng.below(2) === 0 ? rng.pick(EXTREMES) : BigInt(bytes.length + rng.below(64) - 32);
      if (at + width > bytes.length || value < 0n) continue;
      const little = bytes[5] !== 2;
      if (width === 2) view.setUint16(at, Number(value & 0xffffn), little);
      else if (width === 4) view.setUint32(at, Number(value & 0xffffffffn), little);
      else view.setBigUint64(at, value, little);
    }
  }
  return bytes;
}

describe('elf: fuzz', function () {
  const seed = fuzzSeed(0x5eed_e1f);
  const inputs: Array<[string, Uint8Array, number]> = [
    ['synthetic little-endian sample', sampleElf('little'), 3000],
    ['synthetic big-endian sample', sampleElf('big'), 3000],
    ['bpf/elf-asm/programs-nodebug.bpf.o', readFileSync(join(REPO_ROOT, 'bpf/elf-asm/programs-nodebug.bpf.o')), 1500],
    ['bpf/elf-asm/isa-v4.bpf.o', readFileSync(join(REPO_ROOT, 'bpf/elf-asm/isa-v4.bpf.o')), 800],
  ];
  for (const [name, base, iterations] of inputs) {
    it(`${name}: ${iterations} mutations (seed ${seed}) throw only ElfError`, function () {
      const rng = new Prng(seed ^ base.length);
      const offsets = interestingOffsets(base);
      let rejected = 0;
      for (let i = 0; i < iterations; i++) {
        const input = mutate(base, offsets, rng);
        try {
          exercise(input);
        } catch (e) {
          if (!(e instanceof ElfError)) {
            throw new Error(`iteration ${i} (seed ${seed}) threw ${String(e)}`, { cause: e });
          }
          rejected++;
        }
      }
      // The mutations must actually reach the validation paths, not just pass through.
      expect(rejected).to.be.greaterThan(iterations / 10);
    });
  }
});
