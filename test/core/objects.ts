/**
 * Corpus objects with CO-RE records, relocated by bpf-ts for the tests. Programs are read
 * straight from the ELF sections and `.BTF.ext` (every corpus object here has one program per
 * section), so these tests depend only on the elf and btf layers, not on the loader.
 */
import { readFileSync, readdirSync } from 'node:fs';
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

/** One function of a section (a program or a `.text` subprogram) with its CO-RE records. */
export interface CoreProgram {
  readonly name: string;
  readonly section: string;
  readonly instructions: Uint8Array;
  readonly coreRelos: readonly CoreRelocationRecord[];
  /** Index of this function's first record among its section's records (libbpf's `relo #N`). */
  readonly reloBase: number;
}

export interface CoreObject {
  readonly btf: Btf;
  readonly programs: readonly CoreProgram[];
}

/**
 * Reads an object's BTF and splits each section with CO-RE records into its functions (by FUNC
 * symbol value/size), each with its records counted from the function's first instruction.
 * Sections libbpf does not load by default (`?` prefix) are left out, as libbpf skips them.
 */
export function loadCoreObject(rel: string): CoreObject {
  const elf = parseElf(readFileSync(objectPath(rel)));
  const btfSection = elf.sectionByName('.BTF');
  const extSection = elf.sectionByName('.BTF.ext');
  if (btfSection === undefined || extSection === undefined) throw new Error(`${rel} has no .BTF/.BTF.ext`);
  const btf = parseBtf(btfSection.data());
  const ext = parseBtfExt(extSection.data(), btf);
  const programs = ext.coreRelos.flatMap(({ section, records }): CoreProgram[] => {
    if (section.startsWith('?')) return [];
    const s = elf.sectionByName(section);
    if (s === undefined) throw new Error(`${rel}: no section ${section}`);
    const data = s.data();
    const funcs = elf.symbols.filter((sym) => sym.shndx === s.index && sym.type === SymbolType.FUNC).sort((a, b) => Number(a.value - b.value));
    return funcs.flatMap((f): CoreProgram[] => {
      const start = Number(f.value);
      const end = start + Number(f.size);
      const mine = records.map((r, i) => ({ r, i })).filter(({ r }) => r.insnOff >= start && r.insnOff < end);
      if (mine.length === 0) return [];
      return [{
        name: f.name,
        section,
        instructions: data.subarray(start, end),
        coreRelos: mine.map(({ r }) => ({ insnIndex: (r.insnOff - start) / 8, typeId: r.typeId, accessString: r.accessStr, kind: r.kind })),
        reloBase: (mine[0] as { i: number }).i,
      }];
    });
  });
  return { btf, programs };
}

/** Every committed object under bpf/ (relative paths) whose `.BTF.ext` has CO-RE records. */
export function objectsWithCoreRelos(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(join(BPF_DIR, dir), { withFileTypes: true })) {
      const rel = dir === '' ? e.name : `${dir}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.bpf.o')) {
        try {
          if (loadCoreObject(rel).programs.length > 0) out.push(rel);
        } catch {
          // Objects without BTF, or malformed on purpose (bpf/spec/bad_*): nothing to relocate.
        }
      }
    }
  };
  walk('');
  return out.sort();
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
