/**
 * What the fuzzer feeds and how far it goes with a value that parses: every parser, and after a
 * parse everything a consumer would touch (sections, symbols and relocations; every BTF type,
 * sizes, names, the C and raw dumps; every instruction formatted; the spec cloned, its globals
 * read, each program linked with its subprograms). A throw that is not a {@link BpfTsError} is a
 * finding; so is any throw from the verifier-log parser, which promises never to throw.
 */
import { decodeInstructions, formatInstruction, type Endianness } from '../../src/asm/index.js';
import { dumpBtfAsC, dumpBtfRaw, parseBtf, parseBtfExt, type Btf } from '../../src/btf/index.js';
import { parseElf, SectionType } from '../../src/elf/index.js';
import { appendSubprograms, parseObjectSpec } from '../../src/loader/index.js';
import { coreRelocations } from '../../src/loader/relocate-program.js';
import { explainVerifierLog, parseVerifierLog, VerifierError } from '../../src/verifier-log/index.js';
import { BpfTsError } from '../../src/errors/index.js';

/** The parsers under test; a case names one. */
export const TARGETS = ['spec', 'elf', 'btf', 'btf-ext', 'insns', 'verifier-log'] as const;
export type Target = (typeof TARGETS)[number];

/** One input for one target. `btf` is the parsed `.BTF` that `.BTF.ext` names resolve against. */
export type TargetInput =
  | { readonly target: 'spec' | 'elf' | 'btf'; readonly bytes: Uint8Array }
  | { readonly target: 'btf-ext'; readonly bytes: Uint8Array; readonly btf: Btf }
  | { readonly target: 'insns'; readonly bytes: Uint8Array; readonly endianness: Endianness }
  | { readonly target: 'verifier-log'; readonly text: string };

/**
 * Calls `fn`, letting BpfTsErrors through as "refused" (an answer, not a finding). Used inside
 * the exercise of a parsed value, where one accessor refusing must not stop the others.
 */
function tolerate(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof BpfTsError)) throw e;
  }
}

function exerciseElf(bytes: Uint8Array): void {
  const elf = parseElf(bytes, { fileName: 'fuzz.o' });
  for (const s of elf.sections) {
    tolerate(() => s.data());
    if (s.type === SectionType.REL || s.type === SectionType.RELA) tolerate(() => elf.relocations(s));
  }
  tolerate(() => {
    for (const sym of elf.symbols) elf.sections[sym.shndx]?.name;
  });
  tolerate(() => elf.sectionByName('.BTF'));
}

export function exerciseBtf(btf: Btf): void {
  for (let id = 0; id < btf.typeCount; id++) {
    tolerate(() => btf.typeById(id));
    tolerate(() => btf.kindOf(id));
    tolerate(() => btf.typeName(id));
    tolerate(() => btf.resolveType(id));
    tolerate(() => btf.sizeOf(id));
    tolerate(() => btf.alignOf(id));
  }
  tolerate(() => btf.findByName('int'));
  tolerate(() => btf.findByName('task_struct', 'STRUCT'));
  tolerate(() => [...btf.types()]);
  tolerate(() => dumpBtfRaw(btf));
}

/**
 * The C header of a parsed BTF. Its size follows the sizes the BTF declares, not the input's
 * (a struct declaring a 600 KiB hole gets 75,000 `long: 64;` lines, as bpftool writes), so it
 * runs after the memory measurement; its time still counts.
 */
function dumpC(btf: Btf): void {
  tolerate(() => dumpBtfAsC(btf));
}

function exerciseInsns(bytes: Uint8Array, endianness: Endianness): void {
  for (const strict of [true, false]) {
    tolerate(() => {
      for (const insn of decodeInstructions(bytes, endianness, { strict })) formatInstruction(insn);
    });
  }
}

function exerciseSpec(bytes: Uint8Array): void {
  const spec = parseObjectSpec(bytes, { fileName: 'fuzz.o' });
  const copy = spec.clone();
  for (const v of copy.variables.values()) {
    v.bytes();
    tolerate(() => v.get());
  }
  for (const m of copy.maps) m.initialValue();
  for (const p of copy.programs) {
    exerciseInsns(p.instructions, copy.endianness);
    tolerate(() => coreRelocations(appendSubprograms(p, copy.subprograms)));
  }
  if (copy.btf !== undefined) {
    const btf = copy.btf;
    for (let id = 1; id < Math.min(btf.typeCount, 64); id++) tolerate(() => btf.sizeOf(id));
  }
}

function exerciseVerifierLog(text: string): void {
  const log = parseVerifierLog(text);
  for (const rec of log.records) if (rec.kind === 'instruction' && rec.state) void rec.state.registers.length;
  explainVerifierLog(log, { coreFailures: [{ insnIndex: 4, description: 'struct x.y' }], mapNames: ['m'], externNames: ['e'] });
  void new VerifierError({ program: 'fuzzed', rawLog: text }).message;
}

/**
 * Runs one input through its target. Returns 'parsed' or 'refused' (a BpfTsError), and for BTF
 * the output generators to run after the memory measurement; any other exception propagates
 * (a finding).
 */
export function runTarget(input: TargetInput): { outcome: 'parsed' | 'refused'; outputs?: () => void } {
  try {
    switch (input.target) {
      case 'spec': exerciseSpec(input.bytes); break;
      case 'elf': exerciseElf(input.bytes); break;
      case 'btf': {
        const btf = parseBtf(input.bytes);
        exerciseBtf(btf);
        return { outcome: 'parsed', outputs: () => dumpC(btf) };
      }
      case 'btf-ext': parseBtfExt(input.bytes, input.btf); break;
      case 'insns': exerciseInsns(input.bytes, input.endianness); break;
      case 'verifier-log': exerciseVerifierLog(input.text); break;
    }
    return { outcome: 'parsed' };
  } catch (e) {
    if (e instanceof BpfTsError && input.target !== 'verifier-log') return { outcome: 'refused' };
    throw e;
  }
}

/**
 * The input's size in memory, which the 10x bound is taken against: bytes, or for a log the
 * string as V8 holds it (one byte per character, two once any character is beyond Latin-1).
 */
export function inputSize(input: TargetInput): number {
  if (input.target !== 'verifier-log') return input.bytes.length;
  return input.text.length * (/[^\u0000-\u00ff]/.test(input.text) ? 2 : 1);
}
