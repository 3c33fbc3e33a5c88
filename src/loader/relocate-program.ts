/**
 * libbpf's `bpf_object__relocate()` for one entry program, in two pure steps:
 * `appendSubprograms` (libbpf's `bpf_object__reloc_code`: every `.text` function the program
 * calls or takes the address of, recursively, gets its own copy appended after it; func/line
 * info follows the copies) and `relocateInstructions` (libbpf's `bpf_object__relocate_data` and
 * extern relocation: map fds, global data offsets, call offsets, kfunc and ksym BTF ids).
 * Kernel objects come in as already-resolved numbers, so both steps are tested without a kernel.
 */
import { PseudoCall, PseudoLdImm64 } from '../asm/opcodes.js';
import { LoadError } from './load-errors.js';
import { BPF_INSN_SIZE, sortByInsnIndex, type FuncInfoRecord, type LineInfoRecord, type ProgramSpec } from './program-spec.js';
import type { CoreRelocation, Relocation } from './relocations.js';

/** One function inside a linked program: where its copy starts. */
export interface LinkedFunction {
  readonly spec: ProgramSpec;
  /** First instruction of the copy, in the linked program. */
  readonly start: number;
}

/** An entry program with its callees appended: instructions still unrelocated. */
export interface LinkedProgram {
  readonly main: ProgramSpec;
  /** Instructions of the main program followed by every appended subprogram (a copy). */
  readonly instructions: Uint8Array;
  /** Every relocation of every copy, with instruction indexes into `instructions`. */
  readonly relocations: readonly Relocation[];
  /** func_info of every copy, rebased, in instruction order. */
  readonly funcInfo: readonly FuncInfoRecord[];
  /** line_info of every copy, rebased, in instruction order. */
  readonly lineInfo: readonly LineInfoRecord[];
  /** The main program first, then the copies in the order they were appended. */
  readonly functions: readonly LinkedFunction[];
}

/** Call targets inside `.text`: the callee and the instruction index inside it. */
function findSubprogram(subprograms: readonly ProgramSpec[], textInsn: number): { spec: ProgramSpec; offset: number } | undefined {
  const byteOff = textInsn * BPF_INSN_SIZE;
  for (const s of subprograms) {
    if (byteOff >= s.sectionOffset && byteOff < s.sectionOffset + s.instructions.length) {
      return { spec: s, offset: (byteOff - s.sectionOffset) / BPF_INSN_SIZE };
    }
  }
  return undefined;
}

/**
 * Calls between functions of `.text` that clang resolved itself: no ELF relocation, just a
 * `BPF_PSEUDO_CALL` (or `BPF_PSEUDO_FUNC` ld_imm64) whose `imm` is relative to the section.
 * libbpf's `bpf_object__reloc_code` follows them too; they become call relocations here.
 */
function implicitCalls(spec: ProgramSpec): Relocation[] {
  if (!spec.isSubprogram) return [];
  const insns = spec.instructions;
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const has = new Set(spec.relocations.map((r) => r.insnIndex));
  const base = spec.sectionOffset / BPF_INSN_SIZE;
  const out: Relocation[] = [];
  const count = Math.floor(insns.length / BPF_INSN_SIZE);
  for (let i = 0; i < count; i++) {
    const op = insns[i * BPF_INSN_SIZE] as number;
    const src = (insns[i * BPF_INSN_SIZE + 1] as number) >> 4;
    const isCall = op === 0x85 && src === PseudoCall.CALL;
    const isFunc = op === 0x18 && src === PseudoLdImm64.FUNC;
    if ((isCall || isFunc) && !has.has(i)) {
      const targetInsn = base + i + view.getInt32(i * BPF_INSN_SIZE + 4, true) + 1;
      out.push({ kind: isCall ? 'call' : 'funcAddr', insnIndex: i, symbol: '.text', target: '', targetInsn });
    }
    if (op === 0x18) i++;
  }
  return out;
}

/**
 * Appends, after `main`, a copy of every subprogram it reaches through calls or function
 * addresses, depth first in the order the references appear (as libbpf's
 * `bpf_object__reloc_code` does), and rebases relocations, func_info and line_info of each copy.
 * Throws {@link LoadError} when a call names an instruction no subprogram holds.
 *
 * @example
 * ```ts
 * const linked = appendSubprograms(spec.program('prog_a')!, spec.subprograms);
 * linked.functions.map((f) => `${f.spec.name}@${f.start}`); // ['prog_a@0', 'add_one@7']
 * ```
 */
export function appendSubprograms(main: ProgramSpec, subprograms: readonly ProgramSpec[]): LinkedProgram {
  const functions: LinkedFunction[] = [];
  const placed = new Map<ProgramSpec, number>();
  const chunks: Uint8Array[] = [];
  const relocations: Relocation[] = [];
  const funcInfo: FuncInfoRecord[] = [];
  const lineInfo: LineInfoRecord[] = [];
  let length = 0;

  const place = (spec: ProgramSpec): number => {
    const start = length;
    placed.set(spec, start);
    functions.push({ spec, start });
    chunks.push(spec.instructions);
    length += spec.insnCount;
    // The main program sits at 0: its records need no rebasing, and are shared, not copied
    // (they are read-only here; copies per record were a visible share of every load).
    // Indexed loops: this runs per program per load, mostly before V8 optimizes it, and a cold
    // for-of allocates an iterator result per element.
    const fi = spec.funcInfo;
    const li = spec.lineInfo;
    if (start === 0) {
      for (let k = 0; k < fi.length; k++) funcInfo.push(fi[k] as FuncInfoRecord);
      for (let k = 0; k < li.length; k++) lineInfo.push(li[k] as LineInfoRecord);
    } else {
      for (let k = 0; k < fi.length; k++) funcInfo.push({ ...(fi[k] as FuncInfoRecord), insnIndex: (fi[k] as FuncInfoRecord).insnIndex + start });
      for (let k = 0; k < li.length; k++) lineInfo.push({ ...(li[k] as LineInfoRecord), insnIndex: (li[k] as LineInfoRecord).insnIndex + start });
    }
    const implicit = implicitCalls(spec);
    const relocs = implicit.length === 0 ? spec.relocations : [...spec.relocations, ...implicit];
    for (let k = 0; k < relocs.length; k++) {
      const r = relocs[k] as Relocation;
      if (r.kind === 'call' || r.kind === 'funcAddr') {
        const target = findSubprogram(subprograms, r.targetInsn);
        if (target === undefined) {
          throw new LoadError(`relocation at instruction ${r.insnIndex} targets .text instruction ${r.targetInsn}, which no function holds`, {
            program: main.name,
            insnIndex: r.insnIndex,
          });
        }
        const targetStart = placed.get(target.spec) ?? place(target.spec);
        relocations.push({ ...r, insnIndex: r.insnIndex + start, targetInsn: targetStart + target.offset });
      } else {
        relocations.push(start === 0 ? r : { ...r, insnIndex: r.insnIndex + start });
      }
    }
    return start;
  };
  place(main);

  const instructions = new Uint8Array(length * BPF_INSN_SIZE);
  let off = 0;
  for (const c of chunks) {
    instructions.set(c.subarray(0, Math.floor(c.length / BPF_INSN_SIZE) * BPF_INSN_SIZE), off);
    off += Math.floor(c.length / BPF_INSN_SIZE) * BPF_INSN_SIZE;
  }
  sortByInsnIndex(relocations);
  sortByInsnIndex(funcInfo);
  sortByInsnIndex(lineInfo);
  return { main, instructions, relocations, funcInfo, lineInfo, functions };
}

/** How a kfunc call resolved: BTF id, and the `fd_array` slot of its module BTF (0: vmlinux). */
export interface ResolvedKfunc {
  readonly btfId: number;
  readonly fdIndex: number;
}

/** How a `__ksym` variable resolved. */
export type ResolvedKsym =
  | { readonly kind: 'btf'; readonly btfId: number; readonly btfObjFd: number }
  | { readonly kind: 'address'; readonly address: bigint };

/** The kernel objects relocations point at, already created or resolved. */
export interface RelocationTargets {
  /** The fd of the map a `map` relocation names. */
  mapFd(name: string): number | undefined;
  /** The fd of the internal map of data section `section`. */
  dataMapFd(section: string): number | undefined;
  /** The `.kconfig` map's fd and the extern's offset in it. */
  kconfig(extern: string): { readonly fd: number; readonly offset: number } | undefined;
  /** A kfunc, or `undefined` for a weak one the kernel lacks. */
  kfunc(extern: string): ResolvedKfunc | undefined;
  /** A ksym, or `undefined` for a weak one the kernel lacks. */
  ksym(extern: string): ResolvedKsym | undefined;
  /** Index of an extern in the object's extern list (for libbpf's poison call numbers). */
  externIndex(extern: string): number;
}

/** libbpf's `POISON_CALL_KFUNC_BASE`: a call the verifier rejects as `unknown#2002000000+N` if reached. */
export const POISON_CALL_KFUNC_BASE = 2002000000;

/**
 * Patches the relocations of a linked program (a copy is returned; `linked` is untouched).
 * CO-RE relocations are left for the CO-RE step. Throws {@link LoadError} naming the program
 * and instruction when a target is missing or an instruction is not the kind its relocation
 * needs.
 *
 * @example
 * ```ts
 * const insns = relocateInstructions(linked, targets);
 * ```
 */
export function relocateInstructions(linked: LinkedProgram, targets: RelocationTargets): Uint8Array {
  const insns = new Uint8Array(linked.instructions);
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const count = insns.length / BPF_INSN_SIZE;
  const program = linked.main.name;
  const fail = (r: Relocation, reason: string): LoadError =>
    new LoadError(`instruction ${r.insnIndex} (${r.kind} relocation of '${r.symbol || describe(r)}'): ${reason}`, { program, insnIndex: r.insnIndex });

  const setSrc = (i: number, src: number): void => {
    const b = insns[i * BPF_INSN_SIZE + 1] as number;
    insns[i * BPF_INSN_SIZE + 1] = (b & 0x0f) | (src << 4);
  };
  const setImm = (i: number, imm: number): void => view.setInt32(i * BPF_INSN_SIZE + 4, imm | 0, true);
  const setOff = (i: number, off: number): void => view.setInt16(i * BPF_INSN_SIZE + 2, off, true);
  const opcode = (i: number): number => insns[i * BPF_INSN_SIZE] as number;
  const needLdImm64 = (r: Relocation): void => {
    if (r.insnIndex + 1 >= count || opcode(r.insnIndex) !== 0x18) throw fail(r, 'not an ld_imm64 instruction');
  };
  const needCall = (r: Relocation): void => {
    if (r.insnIndex >= count || opcode(r.insnIndex) !== 0x85) throw fail(r, 'not a call instruction');
  };

  const relocations = linked.relocations;
  for (let k = 0; k < relocations.length; k++) {
    const r = relocations[k] as Relocation;
    const i = r.insnIndex;
    switch (r.kind) {
      case 'map': {
        needLdImm64(r);
        const fd = targets.mapFd(r.map);
        if (fd === undefined) throw fail(r, `map '${r.map}' was not created`);
        setSrc(i, PseudoLdImm64.MAP_FD);
        setImm(i, fd);
        setImm(i + 1, 0);
        break;
      }
      case 'data': {
        needLdImm64(r);
        const fd = targets.dataMapFd(r.section);
        if (fd === undefined) throw fail(r, `no map for data section '${r.section}'`);
        setSrc(i, PseudoLdImm64.MAP_VALUE);
        setImm(i, fd);
        setImm(i + 1, r.offset);
        break;
      }
      case 'kconfig': {
        needLdImm64(r);
        const k = targets.kconfig(r.extern);
        if (k === undefined) throw fail(r, `extern '${r.extern}' has no .kconfig slot`);
        setSrc(i, PseudoLdImm64.MAP_VALUE);
        setImm(i, k.fd);
        setImm(i + 1, k.offset);
        break;
      }
      case 'call':
      case 'funcAddr': {
        if (r.kind === 'call') needCall(r);
        else needLdImm64(r);
        setSrc(i, r.kind === 'call' ? PseudoCall.CALL : PseudoLdImm64.FUNC);
        setImm(i, r.targetInsn - (i + 1));
        break;
      }
      case 'kfunc': {
        needCall(r);
        const k = targets.kfunc(r.extern);
        if (k === undefined) {
          // A missing weak kfunc must sit in dead code: make any path that reaches it fail
          // verification with a number explainVerifierLog maps back to the extern.
          setSrc(i, PseudoCall.HELPER);
          setImm(i, POISON_CALL_KFUNC_BASE + targets.externIndex(r.extern));
          setOff(i, 0);
        } else {
          setSrc(i, PseudoCall.KFUNC_CALL);
          setImm(i, k.btfId);
          setOff(i, k.fdIndex);
        }
        break;
      }
      case 'ksym': {
        needLdImm64(r);
        const k = targets.ksym(r.extern);
        if (k === undefined) {
          setSrc(i, PseudoLdImm64.NONE);
          setImm(i, 0);
          setImm(i + 1, 0);
        } else if (k.kind === 'btf') {
          setSrc(i, PseudoLdImm64.BTF_ID);
          setImm(i, k.btfId);
          setImm(i + 1, k.btfObjFd);
        } else {
          setSrc(i, PseudoLdImm64.NONE);
          setImm(i, Number(BigInt.asIntN(32, k.address)));
          setImm(i + 1, Number(BigInt.asIntN(32, k.address >> 32n)));
        }
        break;
      }
      case 'core':
        break;
    }
  }
  return insns;
}

function describe(r: Relocation): string {
  switch (r.kind) {
    case 'map':
    case 'data':
      return r.map;
    case 'call':
    case 'funcAddr':
      return r.target;
    case 'kfunc':
    case 'ksym':
    case 'kconfig':
      return r.extern;
    case 'core':
      return `${r.typeName}:${r.accessor}`;
  }
}

/** The CO-RE relocations of a linked program (absolute instruction indexes). */
export function coreRelocations(linked: LinkedProgram): CoreRelocation[] {
  return linked.relocations.filter((r): r is CoreRelocation => r.kind === 'core');
}
