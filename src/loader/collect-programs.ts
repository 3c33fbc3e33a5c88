/**
 * libbpf's `bpf_object__add_programs()` + `bpf_object_init_progs()`: one program per FUNC symbol
 * of each executable section, typed from the section name by libbpf's SEC() table.
 */
import { SymbolBinding, SymbolType, SymbolVisibility } from '../elf/constants.js';
import type { ElfSymbol } from '../elf/model.js';
import type { ObjectContext } from './collect-elf.js';
import { ObjectSpecError } from './errors.js';
import { BPF_INSN_SIZE, ProgramSpec } from './program-spec.js';
import { matchSection } from './section-defs.js';

/** Entry programs and `.text` subprograms, each in (section index, offset) order. */
export interface CollectedPrograms {
  readonly programs: ProgramSpec[];
  readonly subprograms: ProgramSpec[];
}

/**
 * Splits every executable section into functions by their FUNC symbols. Throws
 * `ObjectSpecError` for a static function outside `.text` (libbpf: "program is static and not
 * supported"), a function crossing its section's end, or one whose size is not whole
 * instructions.
 */
export function collectPrograms(ctx: ObjectContext): CollectedPrograms {
  const programs: ProgramSpec[] = [];
  const subprograms: ProgramSpec[] = [];
  // FUNC symbols by section, in symbol-table order: one pass instead of one per section.
  const funcsBySection = new Map<number, ElfSymbol[]>();
  const symbols = ctx.elf.symbols;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i] as ElfSymbol;
    if (s.type !== SymbolType.FUNC) continue;
    const list = funcsBySection.get(s.shndx);
    if (list === undefined) funcsBySection.set(s.shndx, [s]);
    else list.push(s);
  }
  for (const section of ctx.programSections) {
    const isText = section.index === ctx.textIndex;
    const data = section.data();
    const funcs = (funcsBySection.get(section.index) ?? []).sort((a, b) => (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
    const match = matchSection(section.name);
    for (const sym of funcs) {
      const where = { fileName: ctx.fileName, section: section.name, symbol: sym.name, offset: Number(sym.value) };
      const start = Number(sym.value);
      const size = Number(sym.size);
      if (start + size > data.length) {
        throw new ObjectSpecError(`program '${sym.name}' (${size} bytes at ${start}) crosses the section's end (${data.length} bytes)`, where);
      }
      if (start % BPF_INSN_SIZE !== 0 || size % BPF_INSN_SIZE !== 0) {
        throw new ObjectSpecError(`program '${sym.name}' is not made of whole 8-byte instructions (${size} bytes at ${start})`, where);
      }
      const global = sym.bind !== SymbolBinding.LOCAL;
      if (!isText && !global) {
        throw new ObjectSpecError(`program '${sym.name}' is static and not supported: make it global or move it to .text`, where);
      }
      const btfFuncId = ctx.btf?.findByName(sym.name, 'FUNC')[0] ?? 0;
      const spec = new ProgramSpec({
        name: sym.name,
        sectionName: section.name,
        section: isText ? section.name : match.name,
        sectionIndex: section.index,
        sectionOffset: start,
        isSubprogram: isText,
        global,
        // libbpf's test in bpf_object__add_programs(): only a non-local symbol can be "hidden".
        hidden: global && (sym.visibility === SymbolVisibility.HIDDEN || sym.visibility === SymbolVisibility.INTERNAL),
        type: isText ? 0 : match.progType,
        expectedAttachType: isText ? 0 : match.expectedAttachType,
        attachTo: isText ? undefined : match.attachTo,
        sleepable: isText ? false : match.sleepable,
        autoload: isText ? false : match.autoload,
        xdpFrags: isText ? false : match.xdpFrags,
        autoAttach: isText ? 'none' : match.autoAttach,
        // A copy, not data.slice(): on a Node Buffer slice() is a view, and the spec is editable.
        instructions: new Uint8Array(data.subarray(start, start + size)),
        relocations: [],
        btfFuncId,
        funcInfo: [],
        lineInfo: [],
      });
      (isText ? subprograms : programs).push(spec);
    }
  }
  return { programs, subprograms };
}
