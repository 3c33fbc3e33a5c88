import type { BtfExtLineInfo } from '../btf/ext.js';
import type { BtfStrings } from '../btf/strings.js';
import type { AutoAttach } from './section-defs.js';
import type { Relocation } from './relocations.js';

/** Size of one BPF instruction slot (`sizeof(struct bpf_insn)`). */
export const BPF_INSN_SIZE = 8;

/**
 * Sorts records by instruction index, stably, in place. They almost always come in order
 * already, and then no sort runs (a sort allocates and calls its comparator per pair).
 */
export function sortByInsnIndex<T extends { readonly insnIndex: number }>(records: T[]): T[] {
  for (let i = 1; i < records.length; i++) {
    if ((records[i - 1] as T).insnIndex > (records[i] as T).insnIndex) return records.sort((a, b) => a.insnIndex - b.insnIndex);
  }
  return records;
}

/** True when byte `offset` of the program's ELF section is one of `p`'s instructions. */
export function coversSectionOffset(p: ProgramSpec, offset: number): boolean {
  return offset >= p.sectionOffset && offset < p.sectionOffset + p.instructions.length;
}

/** One `struct bpf_func_info` record of `.BTF.ext`, relative to its program. */
export interface FuncInfoRecord {
  /** Instruction index inside the program. */
  readonly insnIndex: number;
  /** BTF id of the FUNC in the object's BTF. */
  readonly typeId: number;
}

/**
 * Keys of a line_info record's origin, set by the spec parser: the `.BTF` strings and the
 * `.BTF.ext` record it was read from. The load reuses the record's string offsets while
 * `fileName` and `line` still hold the strings read there, instead of interning both strings
 * per record; spread copies carry the keys along, and an edited record is interned as before.
 */
export const LINE_INFO_STRINGS: unique symbol = Symbol('lineInfoStrings');
export const LINE_INFO_SOURCE: unique symbol = Symbol('lineInfoSource');

/** One `struct bpf_line_info` record of `.BTF.ext`, relative to its program. */
export interface LineInfoRecord {
  readonly insnIndex: number;
  readonly fileName: string;
  readonly line: string;
  readonly lineNumber: number;
  readonly column: number;
  readonly [LINE_INFO_STRINGS]?: BtfStrings;
  readonly [LINE_INFO_SOURCE]?: BtfExtLineInfo;
}

/** The attributes a program is constructed with; see {@link ProgramSpec}. */
export interface ProgramSpecInit {
  readonly name: string;
  readonly sectionName: string;
  readonly section: string;
  readonly sectionIndex: number;
  readonly sectionOffset: number;
  readonly isSubprogram: boolean;
  readonly global: boolean;
  /** Defaults to `false` (specs built by hand before this field existed). */
  readonly hidden?: boolean;
  readonly type: number;
  readonly expectedAttachType: number;
  readonly attachTo: string | undefined;
  readonly sleepable: boolean;
  readonly autoload: boolean;
  readonly xdpFrags: boolean;
  readonly autoAttach: AutoAttach;
  readonly instructions: Uint8Array;
  readonly relocations: readonly Relocation[];
  readonly btfFuncId: number;
  readonly funcInfo: readonly FuncInfoRecord[];
  readonly lineInfo: readonly LineInfoRecord[];
}

/**
 * One BPF function of an object: an entry program (a FUNC symbol in an executable section other
 * than `.text`) or a subprogram (a FUNC in `.text`). Plain and editable: the load step reads
 * whatever the fields say at that time (libbpf's `bpf_program__set_*` before load).
 *
 * Instructions are the function's own bytes only, in the object's byte order; calls to
 * subprograms stay symbolic in `relocations` until load appends the callees.
 */
export class ProgramSpec {
  /** The function's symbol name (`bpf_program__name()`). */
  readonly name: string;
  /** The ELF section as written, including a leading `?`. */
  sectionName: string;
  /** The section name libbpf reports (`bpf_program__section_name()`): without the `?`. */
  section: string;
  /** ELF section index. */
  readonly sectionIndex: number;
  /** Byte offset of the first instruction inside the section. */
  readonly sectionOffset: number;
  /** True for functions in `.text`: called, never loaded on their own. */
  readonly isSubprogram: boolean;
  /** The symbol is global (`STB_GLOBAL`/`STB_WEAK`); static functions are only in `.text`. */
  readonly global: boolean;
  /**
   * A global symbol with hidden or internal visibility (`STV_HIDDEN`/`STV_INTERNAL`), as
   * `__hidden` functions (`bpf_usdt_arg()`) are: libbpf's `mark_btf_static`. Such a subprogram's
   * BTF FUNC is loaded as static, so the verifier checks it with each caller's context instead
   * of alone as a global function.
   */
  readonly hidden: boolean;
  /** `enum bpf_prog_type` (0 when the section is unknown to libbpf's table). */
  type: number;
  /** `enum bpf_attach_type` sent at load as `expected_attach_type`. */
  expectedAttachType: number;
  /** Attach target from the section name (`do_nanosleep` of `kprobe/do_nanosleep`). */
  attachTo: string | undefined;
  /** Load with `BPF_F_SLEEPABLE`. */
  sleepable: boolean;
  /** Load this program with the object (`false` for `SEC("?...")`). */
  autoload: boolean;
  /** Load with `BPF_F_XDP_HAS_FRAGS`. */
  xdpFrags: boolean;
  /** How `attach()` finds its target from the section name. */
  autoAttach: AutoAttach;
  /** Raw instructions (8 bytes each, object byte order). */
  instructions: Uint8Array;
  /** Symbolic relocations, sorted by instruction index. */
  relocations: Relocation[];
  /** BTF id of this function's FUNC in the object BTF, 0 without BTF. */
  readonly btfFuncId: number;
  /** `.BTF.ext` func_info for this function alone (subprograms' records stay with them). */
  funcInfo: FuncInfoRecord[];
  /** `.BTF.ext` line_info for this function alone. */
  lineInfo: LineInfoRecord[];

  constructor(init: ProgramSpecInit) {
    this.name = init.name;
    this.sectionName = init.sectionName;
    this.section = init.section;
    this.sectionIndex = init.sectionIndex;
    this.sectionOffset = init.sectionOffset;
    this.isSubprogram = init.isSubprogram;
    this.global = init.global;
    this.hidden = init.hidden ?? false;
    this.type = init.type;
    this.expectedAttachType = init.expectedAttachType;
    this.attachTo = init.attachTo;
    this.sleepable = init.sleepable;
    this.autoload = init.autoload;
    this.xdpFrags = init.xdpFrags;
    this.autoAttach = init.autoAttach;
    this.instructions = init.instructions;
    this.relocations = [...init.relocations];
    this.btfFuncId = init.btfFuncId;
    this.funcInfo = [...init.funcInfo];
    this.lineInfo = [...init.lineInfo];
  }

  /** Number of 8-byte instruction slots (an `ld_imm64` counts two), as `bpf_program__insn_cnt()`. */
  get insnCount(): number {
    return Math.floor(this.instructions.length / BPF_INSN_SIZE);
  }

  /** A deep copy: instructions and record arrays are new, so editing one does not touch the other. */
  clone(): ProgramSpec {
    return new ProgramSpec({ ...this, instructions: new Uint8Array(this.instructions), autoAttach: this.autoAttach });
  }
}
