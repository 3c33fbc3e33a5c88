import { HELPER_NAMES } from './helper-names.js';
import type { Instruction } from './instruction.js';
import {
  AluOp,
  AtomicOp,
  BPF_ADDR_PERCPU,
  BPF_ADDR_SPACE_CAST,
  BPF_NOSPEC_MODE,
  CondPseudoJmp,
  InsnClass,
  InsnMode,
  InsnSize,
  InsnSource,
  JmpOp,
  PseudoCall,
  PseudoLdImm64,
  insnClass,
  insnMode,
  insnOp,
  insnSize,
  insnSource,
} from './opcodes.js';

/**
 * Hooks of the kernel disassembler (`struct bpf_insn_cbs` in `kernel/bpf/disasm.h`) that let a
 * caller name what the instruction alone cannot: bpftool resolves call targets through kallsyms
 * and prints map ids for ldimm64.
 */
export interface DisasmCallbacks {
  /**
   * `cb_call`: the name of a call target the helper table does not cover (bpf-to-bpf calls,
   * kfuncs, unknown helper ids). `undefined` falls back to the kernel's default text.
   */
  readonly call?: (insn: Instruction) => string | undefined;
  /** `cb_imm`: the operand text of an ldimm64 (`map[id:3]`, `0x1234`). */
  readonly imm?: (insn: Instruction, fullImm: bigint) => string;
}

/** Options of {@link formatInstruction}. */
export interface FormatOptions {
  readonly callbacks?: DisasmCallbacks;
  /**
   * `allow_ptr_leaks`: print the immediates of map and BTF-id ldimm64s. When false they print as
   * 0, like the verifier log of an unprivileged load. Default true (bpftool's choice).
   */
  readonly allowPtrLeaks?: boolean;
}

// glibc prints a NULL `%s` as "(null)"; the kernel's tables have holes that reach it.
const NULL_STRING = '(null)';

const CLASS_NAMES = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'] as const;

const ALU_OPS: Readonly<Record<number, string>> = {
  [AluOp.ADD]: '+=', [AluOp.SUB]: '-=', [AluOp.MUL]: '*=', [AluOp.DIV]: '/=', [AluOp.OR]: '|=', [AluOp.AND]: '&=',
  [AluOp.LSH]: '<<=', [AluOp.RSH]: '>>=', [AluOp.NEG]: 'neg', [AluOp.MOD]: '%=', [AluOp.XOR]: '^=', [AluOp.MOV]: '=',
  [AluOp.ARSH]: 's>>=', [AluOp.END]: 'endian',
};
const ALU_SIGNED_OPS: Readonly<Record<number, string>> = { [AluOp.DIV]: 's/=', [AluOp.MOD]: 's%=' };
const MOVSX_CASTS: Readonly<Record<number, string>> = { 8: '(s8)', 16: '(s16)', 32: '(s32)' };
const ATOMIC_ALU_NAMES: Readonly<Record<number, string>> = { [AluOp.ADD]: 'add', [AluOp.AND]: 'and', [AluOp.OR]: 'or', [AluOp.XOR]: 'xor' };
const LDST_TYPES: Readonly<Record<number, string>> = { [InsnSize.W]: 'u32', [InsnSize.H]: 'u16', [InsnSize.B]: 'u8', [InsnSize.DW]: 'u64' };
const LDSX_TYPES: Readonly<Record<number, string>> = { [InsnSize.W]: 's32', [InsnSize.H]: 's16', [InsnSize.B]: 's8' };
const JMP_OPS: Readonly<Record<number, string>> = {
  [JmpOp.JA]: 'jmp', [JmpOp.JEQ]: '==', [JmpOp.JGT]: '>', [JmpOp.JLT]: '<', [JmpOp.JGE]: '>=', [JmpOp.JLE]: '<=',
  [JmpOp.JSET]: '&', [JmpOp.JNE]: '!=', [JmpOp.JSGT]: 's>', [JmpOp.JSLT]: 's<', [JmpOp.JSGE]: 's>=', [JmpOp.JSLE]: 's<=',
  [JmpOp.CALL]: 'call', [JmpOp.EXIT]: 'exit',
};

/** printf `%+d`. */
function signed(n: number): string {
  return n >= 0 ? `+${n}` : String(n);
}
/** printf `%02x` of the opcode. */
function hex2(code: number): string {
  return code.toString(16).padStart(2, '0');
}
function lookup(table: Readonly<Record<number, string>>, key: number): string {
  return table[key] ?? NULL_STRING;
}

/**
 * The name of helper `id` as the kernel prints it (`bpf_map_lookup_elem`), or `'unknown'`
 * (`func_id_name()` in `kernel/bpf/disasm.c`).
 */
export function helperName(id: number): string {
  return (id >= 0 ? HELPER_NAMES[id] : undefined) ?? 'unknown';
}

/** `__func_get_name()`: the helper table first, then the callback, then the kernel's default. */
function callTargetName(insn: Instruction, callbacks: DisasmCallbacks | undefined): string {
  if (insn.src === 0 && insn.imm >= 0) {
    const name = HELPER_NAMES[insn.imm];
    if (name !== undefined) return name;
  }
  const named = callbacks?.call?.(insn);
  if (named !== undefined) return named;
  if (insn.src === PseudoCall.CALL) return signed(insn.imm);
  if (insn.src === PseudoCall.KFUNC_CALL) return 'kernel-function';
  return 'unknown';
}

function formatAlu(insn: Instruction, cls: number): string {
  const code = insn.opcode;
  const op = insnOp(code);
  const r = cls === InsnClass.ALU ? 'w' : 'r';
  const prefix = `(${hex2(code)}) `;
  if (op === AluOp.END) {
    if (cls === InsnClass.ALU64) return `${prefix}r${insn.dst} = bswap${insn.imm} r${insn.dst}`;
    return `${prefix}r${insn.dst} = ${insnSource(code) === InsnSource.TO_BE ? 'be' : 'le'}${insn.imm} r${insn.dst}`;
  }
  if (op === AluOp.NEG) return `${prefix}${r}${insn.dst} = -${r}${insn.dst}`;
  const movX = code === (InsnClass.ALU64 | AluOp.MOV | InsnSource.X);
  if (movX && insn.off === BPF_ADDR_SPACE_CAST) {
    const imm = insn.imm >>> 0;
    return `${prefix}r${insn.dst} = addr_space_cast(r${insn.src}, ${imm >>> 16}, ${imm & 0xffff})`;
  }
  if (movX && insn.off === BPF_ADDR_PERCPU) return `${prefix}r${insn.dst} = &(void __percpu *)(r${insn.src})`;
  const signedDivMod = (op === AluOp.DIV || op === AluOp.MOD) && insn.off === 1;
  const opText = signedDivMod ? lookup(ALU_SIGNED_OPS, op) : lookup(ALU_OPS, op);
  if (insnSource(code) === InsnSource.X) {
    const cast = op === AluOp.MOV && (insn.off === 8 || insn.off === 16 || insn.off === 32) ? lookup(MOVSX_CASTS, insn.off) : '';
    return `${prefix}${r}${insn.dst} ${opText} ${cast}${r}${insn.src}`;
  }
  return `${prefix}${r}${insn.dst} ${opText} ${insn.imm}`;
}

function formatStx(insn: Instruction): string {
  const code = insn.opcode;
  const prefix = `(${hex2(code)}) `;
  const type = lookup(LDST_TYPES, insnSize(code));
  const mode = insnMode(code);
  const mem = `(${type} *)(r${insn.dst} ${signed(insn.off)})`;
  if (mode === InsnMode.MEM) return `${prefix}*${mem} = r${insn.src}`;
  if (mode === InsnMode.ATOMIC) {
    const imm = insn.imm;
    const bits = insnSize(code) === InsnSize.DW ? '64' : '';
    if (imm === AtomicOp.ADD || imm === AtomicOp.AND || imm === AtomicOp.OR || imm === AtomicOp.XOR) {
      return `${prefix}lock *${mem} ${lookup(ALU_OPS, imm & 0xf0)} r${insn.src}`;
    }
    if (imm === (AtomicOp.ADD | AtomicOp.FETCH) || imm === (AtomicOp.AND | AtomicOp.FETCH) || imm === (AtomicOp.OR | AtomicOp.FETCH) || imm === (AtomicOp.XOR | AtomicOp.FETCH)) {
      return `${prefix}r${insn.src} = atomic${bits}_fetch_${lookup(ATOMIC_ALU_NAMES, imm & 0xf0)}(${mem}, r${insn.src})`;
    }
    if (imm === AtomicOp.CMPXCHG) return `${prefix}r0 = atomic${bits}_cmpxchg(${mem}, r0, r${insn.src})`;
    if (imm === AtomicOp.XCHG) return `${prefix}r${insn.src} = atomic${bits}_xchg(${mem}, r${insn.src})`;
    if (imm === AtomicOp.LOAD_ACQ) return `${prefix}r${insn.dst} = load_acquire((${type} *)(r${insn.src} ${signed(insn.off)}))`;
    if (imm === AtomicOp.STORE_REL) return `${prefix}store_release(${mem}, r${insn.src})`;
  }
  return `BUG_${hex2(code)}`;
}

function formatLd(insn: Instruction, options: FormatOptions): string {
  const code = insn.opcode;
  const prefix = `(${hex2(code)}) `;
  const type = lookup(LDST_TYPES, insnSize(code));
  const mode = insnMode(code);
  if (mode === InsnMode.ABS) return `${prefix}r0 = *(${type} *)skb[${insn.imm}]`;
  if (mode === InsnMode.IND) return `${prefix}r0 = *(${type} *)skb[r${insn.src} + ${insn.imm}]`;
  if (mode === InsnMode.IMM && insnSize(code) === InsnSize.DW) {
    let full = insn.imm64 ?? BigInt(insn.imm >>> 0);
    const pointer =
      insn.src === PseudoLdImm64.MAP_FD || insn.src === PseudoLdImm64.MAP_VALUE || insn.src === PseudoLdImm64.MAP_IDX ||
      insn.src === PseudoLdImm64.MAP_IDX_VALUE || insn.src === PseudoLdImm64.BTF_ID;
    if (pointer && options.allowPtrLeaks === false) full = 0n;
    const text = options.callbacks?.imm?.(insn, full) ?? `0x${full.toString(16)}`;
    return `${prefix}r${insn.dst} = ${text}`;
  }
  return `BUG_ld_${hex2(code)}`;
}

function formatJmp(insn: Instruction, cls: number, options: FormatOptions): string {
  const code = insn.opcode;
  const prefix = `(${hex2(code)}) `;
  const op = insnOp(code);
  if (op === JmpOp.CALL) {
    const target = callTargetName(insn, options.callbacks);
    if (insn.src === PseudoCall.CALL) return `${prefix}call pc${target}`;
    return `${prefix}call ${target}#${insn.imm}`;
  }
  if (code === (InsnClass.JMP | JmpOp.JA)) return `${prefix}goto pc${signed(insn.off)}`;
  if (code === (InsnClass.JMP | JmpOp.JA | InsnSource.X)) return `${prefix}gotox r${insn.dst}`;
  if (code === (InsnClass.JMP | JmpOp.JCOND) && insn.src === CondPseudoJmp.MAY_GOTO) return `${prefix}may_goto pc${signed(insn.off)}`;
  if (code === (InsnClass.JMP32 | JmpOp.JA)) return `${prefix}gotol pc${signed(insn.imm)}`;
  if (code === (InsnClass.JMP | JmpOp.EXIT)) return `${prefix}exit`;
  const r = cls === InsnClass.JMP32 ? 'w' : 'r';
  const opText = lookup(JMP_OPS, op);
  if (insnSource(code) === InsnSource.X) return `${prefix}if ${r}${insn.dst} ${opText} ${r}${insn.src} goto pc${signed(insn.off)}`;
  return `${prefix}if ${r}${insn.dst} ${opText} 0x${(insn.imm >>> 0).toString(16)} goto pc${signed(insn.off)}`;
}

/**
 * One instruction in the kernel's disassembly syntax, exactly as `print_bpf_insn()` in
 * `kernel/bpf/disasm.c` prints it (and so as bpftool's `prog dump xlated` and the verifier log
 * do), without the trailing newline: `(61) r1 = *(u32 *)(r6 +0)`, `(55) if r1 != 0x0 goto pc+3`,
 * `(85) call bpf_map_lookup_elem#1`. Instructions the kernel does not know print as its
 * `BUG_...` lines.
 *
 * @example
 * ```ts
 * formatInstruction({ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 2 }) // '(b7) r0 = 2'
 * ```
 */
export function formatInstruction(insn: Instruction, options: FormatOptions = {}): string {
  const code = insn.opcode;
  const cls = insnClass(code);
  switch (cls) {
    case InsnClass.ALU:
    case InsnClass.ALU64:
      return formatAlu(insn, cls);
    case InsnClass.STX:
      return formatStx(insn);
    case InsnClass.ST: {
      const mode = insnMode(code);
      if (mode === InsnMode.MEM) return `(${hex2(code)}) *(${lookup(LDST_TYPES, insnSize(code))} *)(r${insn.dst} ${signed(insn.off)}) = ${insn.imm}`;
      if (mode === BPF_NOSPEC_MODE) return `(${hex2(code)}) nospec`;
      return `BUG_st_${hex2(code)}`;
    }
    case InsnClass.LDX: {
      const mode = insnMode(code);
      if (mode !== InsnMode.MEM && mode !== InsnMode.MEMSX) return `BUG_ldx_${hex2(code)}`;
      const type = mode === InsnMode.MEM ? lookup(LDST_TYPES, insnSize(code)) : lookup(LDSX_TYPES, insnSize(code));
      return `(${hex2(code)}) r${insn.dst} = *(${type} *)(r${insn.src} ${signed(insn.off)})`;
    }
    case InsnClass.LD:
      return formatLd(insn, options);
    case InsnClass.JMP:
    case InsnClass.JMP32:
      return formatJmp(insn, cls, options);
    default:
      return `(${hex2(code)}) ${CLASS_NAMES[cls] ?? NULL_STRING}`;
  }
}
