/**
 * Seeded mutation fuzzing of parseObjectSpec: corrupting bytes of the sections the spec reads
 * must end in a value or a BpfTsError (ElfError, BtfError, ObjectSpecError), never in a
 * TypeError/RangeError or a hang. `BPF_TS_FUZZ_ITERATIONS` raises the count for long runs.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseElf } from '../../src/elf/index.js';
import { BpfTsError } from '../../src/errors/index.js';
import { parseObjectSpec } from '../../src/loader/object-spec.js';
import { BPF_DIR } from '../helpers/paths.js';

/** xorshift32: deterministic, so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

const TARGETS = ['minimal.bpf.o', 'subprogs.bpf.o', 'globals.bpf.o', 'legacy_maps.bpf.o', 'maps.bpf.o', 'struct_ops.bpf.o', 'externs.bpf.o'];
const READ_SECTIONS = /^(\.symtab|\.rel.*|\.BTF|\.BTF\.ext|\.maps|maps|license|version|\.data.*|\.rodata.*|\.struct_ops.*|\?\.struct_ops.*|socket|xdp|kprobe\/.*|tp\/.*|tp_btf\/.*|struct_ops\/.*|\.text)$/;

describe('loader/fuzz: corrupted objects fail with BpfTsError or parse', function () {
  this.timeout(120000);
  const iterations = Number(process.env['BPF_TS_FUZZ_ITERATIONS'] ?? 300);

  for (const target of TARGETS) {
    it(`${target}: ${iterations} seeded mutations of the sections the spec reads`, () => {
      const original = readFileSync(join(BPF_DIR, target));
      const sections = parseElf(original).sections.filter((s) => READ_SECTIONS.test(s.name) && s.type !== 8 && s.size > 0);
      let parsed = 0;
      let refused = 0;
      for (let i = 0; i < iterations; i++) {
        const seed = (i + 1) * 2654435761;
        const next = rng(seed);
        const bytes = Buffer.from(original);
        const section = sections[Math.floor(next() * sections.length)];
        if (section === undefined) continue;
        const flips = 1 + Math.floor(next() * 4);
        for (let f = 0; f < flips; f++) {
          const at = section.offset + Math.floor(next() * section.size);
          bytes[at] = next() < 0.5 ? Math.floor(next() * 256) : (bytes[at] as number) ^ (1 << Math.floor(next() * 8));
        }
        try {
          const spec = parseObjectSpec(bytes, { fileName: target });
          // A spec that parses must be usable: cloning and reading every variable touch it all.
          const copy = spec.clone();
          for (const v of copy.variables.values()) v.bytes();
          parsed++;
        } catch (e) {
          if (!(e instanceof BpfTsError)) {
            throw new Error(`seed ${seed} (${target}, section ${section.name}): ${(e as Error).stack ?? String(e)}`);
          }
          refused++;
        }
      }
      expect(parsed + refused).to.equal(iterations);
    });
  }
});
