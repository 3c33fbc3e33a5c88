/**
 * Corpus objects with CO-RE records, relocated by bpf-ts for the tests. Programs are read
 * straight from the ELF sections and `.BTF.ext` (every corpus object here has one program per
 * section), so these tests depend only on the elf and btf layers, not on the loader.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { parseBtf, parseBtfExt, type Btf } from '../../src/btf/index.js';
import { CoreCandidateCache, relocateCore, type CoreRelocationRecord, type CoreTarget, type RelocateCoreOutput } from '../../src/btf/core/index.js';
import { parseElf, SymbolType } from '../../src/elf/index.js';
import { BPF_DIR, REPO_ROOT } from '../helpers/paths.js';

/** Objects whose CO-RE records the libbpf comparisons cover. */
export const CORE_OBJECTS = [
  'core.bpf.o',
  'core/type_matches.bpf.o',
  'core/fields.bpf.o',
  'core/bitfields.bpf.o',
  'core/types.bpf.o',
  'core/enums.bpf.o',
  'core/matches.bpf.o',
  'core/bad_size.bpf.o',
] as const;

/** The custom target BTF ("another kernel") and its source. */
export const TARGET_BTF = join(REPO_ROOT, 'test', 'core', 'fixtures', 'target-kernel.btf');
export const TARGET_C = join(REPO_ROOT, 'test', 'core', 'fixtures', 'target-kernel.c');

/** A corpus object's path (relative to bpf/), or `rel` itself when absolute. */
export function objectPath(rel: string): string {
  return isAbsolute(rel) ? rel : join(BPF_DIR, rel);
}

/** One program (= one ELF section) with its CO-RE records. */
export interface CoreProgram {
  readonly name: string;
  readonly section: string;
  readonly instructions: Uint8Array;
  readonly coreRelos: readonly CoreRelocationRecord[];
}

export interface CoreObject {
  readonly btf: Btf;
  readonly programs: readonly CoreProgram[];
}

/** Reads an object's BTF and, per section with CO-RE records, its program and records. */
export function loadCoreObject(rel: string): CoreObject {
  const elf = parseElf(readFileSync(objectPath(rel)));
  const btfSection = elf.sectionByName('.BTF');
  const extSection = elf.sectionByName('.BTF.ext');
  if (btfSection === undefined || extSection === undefined) throw new Error(`${rel} has no .BTF/.BTF.ext`);
  const btf = parseBtf(btfSection.data());
  const ext = parseBtfExt(extSection.data(), btf);
  const programs = ext.coreRelos.map(({ section, records }): CoreProgram => {
    const s = elf.sectionByName(section);
    if (s === undefined) throw new Error(`${rel}: no section ${section}`);
    const funcs = elf.symbols.filter((sym) => sym.shndx === s.index && sym.type === SymbolType.FUNC);
    if (funcs.length !== 1) throw new Error(`${rel}: section ${section} must hold exactly one program`);
    return {
      name: (funcs[0] as { name: string }).name,
      section,
      instructions: s.data(),
      coreRelos: records.map((r) => ({ insnIndex: r.insnOff / 8, typeId: r.typeId, accessString: r.accessStr, kind: r.kind })),
    };
  });
  return { btf, programs };
}

export interface RelocatedProgram {
  readonly program: CoreProgram;
  readonly output: RelocateCoreOutput;
}

/** Relocates every program of the object, sharing one candidate cache like libbpf. */
export function relocateObject(obj: CoreObject, targets: readonly (Btf | CoreTarget)[]): RelocatedProgram[] {
  const cache = new CoreCandidateCache();
  return obj.programs.map((program) => ({
    program,
    output: relocateCore({ localBtf: obj.btf, targets, instructions: program.instructions, coreRelos: program.coreRelos, candidateCache: cache, program: program.name }),
  }));
}
