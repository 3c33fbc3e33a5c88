/**
 * libbpf's `bpf_object__collect_relos()` / `bpf_program__record_reloc()`: every `SHT_REL` entry
 * of a program section becomes a symbolic {@link Relocation} on the program that contains the
 * patched instruction.
 */
import { SectionIndex, SymbolBinding, SymbolType } from '../elf/constants.js';
import type { ElfSymbol } from '../elf/model.js';
import type { ObjectContext } from './collect-elf.js';
import type { DataSection } from './data-section.js';
import { ObjectSpecError, type ObjectSpecErrorContext } from './errors.js';
import type { ExternSpec } from './collect-externs.js';
import type { MapSpec } from './map-spec.js';
import { BPF_INSN_SIZE, coversSectionOffset, sortByInsnIndex, type ProgramSpec } from './program-spec.js';
import type { Relocation } from './relocations.js';

/** `BPF_JMP | BPF_CALL` and `BPF_LD | BPF_IMM | BPF_DW` opcodes. */
const OP_CALL = 0x85;
const OP_LDIMM64 = 0x18;
/** `src_reg` of a bpf-to-bpf call. */
const BPF_PSEUDO_CALL = 1;

/** What relocations resolve against: everything collected by the earlier phases. */
export interface RelocationTargets {
  readonly programs: readonly ProgramSpec[];
  readonly subprograms: readonly ProgramSpec[];
  readonly maps: readonly MapSpec[];
  readonly dataSections: readonly DataSection[];
  readonly externs: readonly ExternSpec[];
}

/** Fills `relocations` of every program and subprogram, sorted by instruction index. */
export function collectRelocations(ctx: ObjectContext, targets: RelocationTargets): void {
  const all = [...targets.programs, ...targets.subprograms];
  for (const section of ctx.programSections) {
    const rel = ctx.relocationSections.get(section.index);
    if (rel === undefined) continue;
    const sectionIndex = section.index;
    const inSection = all.filter((p) => p.sectionIndex === sectionIndex);
    let prog: ProgramSpec | undefined;
    for (const r of ctx.elf.relocations(rel)) {
      const offset = Number(r.offset);
      if (offset % BPF_INSN_SIZE !== 0) throw new ObjectSpecError('relocation is not at an instruction boundary', { fileName: ctx.fileName, section: section.name, offset });
      // Like libbpf, relocations outside every function (e.g. an overridden weak one) are
      // skipped. Relocations run through one function after another: try the last one first.
      if (prog === undefined || !coversSectionOffset(prog, offset)) prog = inSection.find((p) => coversSectionOffset(p, offset));
      if (prog === undefined) continue;
      // parseElf has checked every relocation's symbol index against the symbol table.
      const sym = ctx.elf.symbols[r.symbol] as ElfSymbol;
      prog.relocations.push(recordRelocation(ctx, targets, prog, (offset - prog.sectionOffset) / BPF_INSN_SIZE, sym, section.name, offset));
    }
  }
  for (const p of all) sortByInsnIndex(p.relocations);
}

/** The name libbpf prints for a symbol: section symbols are named after their section. */
function symbolName(ctx: ObjectContext, sym: ElfSymbol): string {
  if (sym.name !== '' || sym.type !== SymbolType.SECTION) return sym.name;
  return ctx.elf.sections[sym.shndx]?.name ?? '';
}

function recordRelocation(ctx: ObjectContext, targets: RelocationTargets, prog: ProgramSpec, insnIndex: number, sym: ElfSymbol, section: string, offset: number): Relocation {
  const name = symbolName(ctx, sym);
  // Built only when an error is thrown: most objects have no bad relocation.
  const at = (): ObjectSpecErrorContext => ({ fileName: ctx.fileName, section, offset, program: prog.name, symbol: name });
  const insns = prog.instructions;
  const p = insnIndex * BPF_INSN_SIZE;
  const little = ctx.elf.endianness === 'little';
  const code = insns[p] ?? 0;
  const regs = insns[p + 1] ?? 0;
  const srcReg = little ? regs >> 4 : regs & 0xf;
  const b4 = insns[p + 4] ?? 0, b5 = insns[p + 5] ?? 0, b6 = insns[p + 6] ?? 0, b7 = insns[p + 7] ?? 0;
  const imm = little ? b4 | (b5 << 8) | (b6 << 16) | (b7 << 24) : (b4 << 24) | (b5 << 16) | (b6 << 8) | b7;
  const isCall = code === OP_CALL;
  if (!isCall && code !== OP_LDIMM64) {
    throw new ObjectSpecError(`invalid relocation against '${name}' for insns[${insnIndex}].code 0x${code.toString(16)}: not a call or ld_imm64`, at());
  }

  if (sym.shndx === SectionIndex.UNDEF && (sym.bind === SymbolBinding.GLOBAL || sym.bind === SymbolBinding.WEAK) && sym.type === SymbolType.NOTYPE) {
    // collectExterns skips unnamed symbols, like libbpf: a relocation against one is an error.
    const ext = targets.externs.find((e) => e.symbolIndex === sym.index);
    if (ext === undefined) throw new ObjectSpecError(`extern relocation against symbol #${sym.index} '${name}', which is not a named extern`, at());
    if (isCall) return { insnIndex, symbol: name, kind: 'kfunc', extern: ext.name, weak: ext.weak };
    return { insnIndex, symbol: name, kind: ext.kind === 'kconfig' ? 'kconfig' : 'ksym', extern: ext.name, weak: ext.weak };
  }

  if (isCall) {
    if (srcReg !== BPF_PSEUDO_CALL) throw new ObjectSpecError(`call relocation against '${name}' has src_reg ${srcReg}, not BPF_PSEUDO_CALL`, at());
    if (ctx.textIndex === 0 || sym.shndx !== ctx.textIndex) {
      throw new ObjectSpecError(`bad call relocation against '${name}' in section '${ctx.elf.sections[sym.shndx]?.name ?? sym.shndx}'`, at());
    }
    // A misaligned target gives a fractional index, which no subprogram starts at.
    const targetInsn = Number(sym.value) / BPF_INSN_SIZE + imm + 1;
    return { insnIndex, symbol: name, kind: 'call', target: subprogramAt(targets, targetInsn, at), targetInsn };
  }

  if (sym.shndx === SectionIndex.UNDEF || sym.shndx >= SectionIndex.LORESERVE) {
    throw new ObjectSpecError(`invalid relocation against '${name}' in special section 0x${sym.shndx.toString(16)}; forgot to initialize a global variable?`, at());
  }
  const isSubprogSym = sym.shndx === ctx.textIndex && ((sym.bind === SymbolBinding.LOCAL && sym.type === SymbolType.SECTION) || (sym.bind === SymbolBinding.GLOBAL && sym.type === SymbolType.FUNC));
  if (isSubprogSym) {
    // global function: value = offset, imm = 0; static function: section symbol, imm = offset.
    const targetInsn = (Number(sym.value) + imm) / BPF_INSN_SIZE;
    return { insnIndex, symbol: name, kind: 'funcAddr', target: subprogramAt(targets, targetInsn, at), targetInsn };
  }

  if (sym.shndx === ctx.mapsIndex || sym.shndx === ctx.legacyMapsIndex) {
    const map = targets.maps.find((m) => m.sectionIndex === sym.shndx && m.sectionOffset === Number(sym.value) && !m.internal);
    if (map === undefined) throw new ObjectSpecError(`map relocation against '${name}' finds no map at offset ${sym.value}`, at());
    return { insnIndex, symbol: name, kind: 'map', map: map.name };
  }

  const data = targets.dataSections.find((d) => d.sectionIndex === sym.shndx);
  if (data === undefined) {
    throw new ObjectSpecError(`bad data relocation against section '${ctx.elf.sections[sym.shndx]?.name ?? sym.shndx}'`, at());
  }
  const dataOffset = imm + Number(sym.value);
  return { insnIndex, symbol: name, kind: 'data', map: data.mapName, section: data.name, offset: dataOffset, variable: data.variableAt(dataOffset)?.name };
}

function subprogramAt(targets: RelocationTargets, insn: number, at: () => ObjectSpecErrorContext): string {
  const sub = targets.subprograms.find((s) => s.sectionOffset === insn * BPF_INSN_SIZE);
  if (sub === undefined) throw new ObjectSpecError(`no .text function starts at instruction ${insn}`, at());
  return sub.name;
}
