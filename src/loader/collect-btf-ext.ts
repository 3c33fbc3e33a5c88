/**
 * `.BTF.ext` per program: libbpf's `bpf_program_reloc_btf_ext()` split of func_info and
 * line_info by function, and `bpf_object__collect_core_relos()` (CO-RE records become `core`
 * relocations on the program holding the instruction).
 */
import { parseBtfExt, type BtfExtSection } from '../btf/ext.js';
import type { ObjectContext } from './collect-elf.js';
import { ObjectSpecError } from './errors.js';
import { BPF_INSN_SIZE, coversSectionOffset, LINE_INFO_SOURCE, LINE_INFO_STRINGS, sortByInsnIndex, type ProgramSpec } from './program-spec.js';
import { CoreRelocationKind } from './relocations.js';

const coreKindNames = new Map<number, CoreRelocationKind>(
  (Object.entries(CoreRelocationKind) as [CoreRelocationKind, number][]).map(([name, value]) => [value, name]),
);

/** Adds func_info, line_info and CO-RE relocations from `.BTF.ext` to the programs. */
export function collectBtfExt(ctx: ObjectContext, programs: readonly ProgramSpec[]): void {
  if (ctx.btfExt === undefined || ctx.btf === undefined) return;
  const btf = ctx.btf;
  let ext;
  try {
    ext = parseBtfExt(ctx.btfExt, btf);
  } catch (e) {
    throw new ObjectSpecError(`malformed .BTF.ext: ${(e as Error).message}`, { fileName: ctx.fileName, section: '.BTF.ext' }, { cause: e });
  }
  const contains = (p: ProgramSpec, section: string, insnOff: number): boolean =>
    p.sectionName === section && coversSectionOffset(p, insnOff);
  const each = <R extends { insnOff: number }>(sections: readonly BtfExtSection<R>[], fn: (prog: ProgramSpec, insnIndex: number, r: R) => void): void => {
    for (const s of sections) {
      // Records of a section mostly run through one function after another: try the last owner
      // before searching every program (line_info has thousands of records).
      let last: ProgramSpec | undefined;
      const records = s.records;
      // Indexed: a cold for-of allocates an iterator result per record, on every load.
      for (let i = 0; i < records.length; i++) {
        const r = records[i] as R;
        const prog = last !== undefined && contains(last, s.section, r.insnOff) ? last : programs.find((p) => contains(p, s.section, r.insnOff));
        if (prog === undefined) continue;
        last = prog;
        fn(prog, (r.insnOff - prog.sectionOffset) / BPF_INSN_SIZE, r);
      }
    }
  };
  each(ext.funcInfo, (prog, insnIndex, r) => prog.funcInfo.push({ insnIndex, typeId: r.typeId }));
  each(ext.lineInfo, (prog, insnIndex, r) =>
    prog.lineInfo.push({ insnIndex, fileName: r.fileName, line: r.line, lineNumber: r.lineNum, column: r.column, [LINE_INFO_STRINGS]: btf.strings, [LINE_INFO_SOURCE]: r }),
  );
  each(ext.coreRelos, (prog, insnIndex, r) => {
    // parseBtfExt rejects kinds beyond BPF_CORE_TYPE_MATCHES, so every kind has a name.
    const coreKind = coreKindNames.get(r.kind) as CoreRelocationKind;
    prog.relocations.push({ kind: 'core', insnIndex, symbol: '', coreKind, typeId: r.typeId, typeName: btf.typeName(r.typeId), accessor: r.accessStr });
  });
  for (const p of programs) sortByInsnIndex(p.relocations);
}
