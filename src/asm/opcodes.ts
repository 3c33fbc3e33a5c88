/**
 * BPF instruction encoding constants from `include/uapi/linux/bpf.h` and `bpf_common.h`, as
 * described in `Documentation/bpf/standardization/instruction-set.rst`.
 *
 * An opcode byte is `class | ...`: for ALU/JMP classes `op | source | class`, for load/store
 * classes `mode | size | class`.
 */

/** `BPF_CLASS(code)`: the low 3 bits. */
export const InsnClass = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07 } as const;
export type InsnClass = (typeof InsnClass)[keyof typeof InsnClass];

/** `BPF_SIZE(code)` of load/store classes. */
export const InsnSize = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export type InsnSize = (typeof InsnSize)[keyof typeof InsnSize];

/** `BPF_MODE(code)` of load/store classes. */
export const InsnMode = {
  IMM: 0x00,
  /** Legacy packet access (`LD` class only). */
  ABS: 0x20,
  /** Legacy packet access (`LD` class only). */
  IND: 0x40,
  MEM: 0x60,
  /** Sign-extending load (`LDX` only, ISA v4, Linux 6.6). */
  MEMSX: 0x80,
  /** Atomic operations (`STX` only); the operation is in `imm`. */
  ATOMIC: 0xc0,
} as const;
export type InsnMode = (typeof InsnMode)[keyof typeof InsnMode];

/** `BPF_SRC(code)` of ALU/JMP classes: immediate (K) or register (X). For `BPF_END`, the byte order. */
export const InsnSource = { K: 0x00, X: 0x08, TO_LE: 0x00, TO_BE: 0x08 } as const;
export type InsnSource = (typeof InsnSource)[keyof typeof InsnSource];

/** `BPF_OP(code)` of ALU/ALU64. */
export const AluOp = {
  ADD: 0x00,
  SUB: 0x10,
  MUL: 0x20,
  /** `off` = 1 makes it signed division (`SDIV`, ISA v4). */
  DIV: 0x30,
  OR: 0x40,
  AND: 0x50,
  LSH: 0x60,
  RSH: 0x70,
  NEG: 0x80,
  /** `off` = 1 makes it signed modulo (`SMOD`, ISA v4). */
  MOD: 0x90,
  XOR: 0xa0,
  /** `off` = 8/16/32 with `X` makes it a sign-extending move (`MOVSX`, ISA v4). */
  MOV: 0xb0,
  ARSH: 0xc0,
  /** Byte swap: `ALU` with `TO_LE`/`TO_BE`, or unconditional `bswap` with `ALU64` (ISA v4). */
  END: 0xd0,
} as const;
export type AluOp = (typeof AluOp)[keyof typeof AluOp];

/** `BPF_OP(code)` of JMP/JMP32. */
export const JmpOp = {
  /** `goto`; in `JMP32` it is `gotol`, whose target is in `imm` (ISA v4). */
  JA: 0x00,
  JEQ: 0x10,
  JGT: 0x20,
  JGE: 0x30,
  JSET: 0x40,
  JNE: 0x50,
  JSGT: 0x60,
  JSGE: 0x70,
  CALL: 0x80,
  EXIT: 0x90,
  JLT: 0xa0,
  JLE: 0xb0,
  JSLT: 0xc0,
  JSLE: 0xd0,
  /** Conditional pseudo jump; `src` = `BPF_MAY_GOTO` (0) is `may_goto` (Linux 6.9). */
  JCOND: 0xe0,
} as const;
export type JmpOp = (typeof JmpOp)[keyof typeof JmpOp];

/** Atomic operations in the `imm` of `STX | ATOMIC` instructions. */
export const AtomicOp = {
  ADD: 0x00,
  OR: 0x40,
  AND: 0x50,
  XOR: 0xa0,
  /** Or-ed into ADD/OR/AND/XOR: the old value is returned in `src`. */
  FETCH: 0x01,
  XCHG: 0xe1,
  CMPXCHG: 0xf1,
  /** `BPF_LOAD_ACQ` = `BPF_ATOMIC_LOAD | BPF_ACQUIRE` (Linux 6.15). */
  LOAD_ACQ: 0x100,
  /** `BPF_STORE_REL` = `BPF_ATOMIC_STORE | BPF_RELEASE` (Linux 6.15). */
  STORE_REL: 0x110,
} as const;
export type AtomicOp = (typeof AtomicOp)[keyof typeof AtomicOp];

/** `src_reg` values of the `LD | IMM | DW` (ldimm64) instruction (`BPF_PSEUDO_*`). */
export const PseudoLdImm64 = {
  /** A plain 64-bit constant. */
  NONE: 0,
  /** `imm` is a map fd (in xlated dumps: a map id). */
  MAP_FD: 1,
  /** `imm` is a map fd, the second `imm` an offset into its value. */
  MAP_VALUE: 2,
  /** `imm` is a BTF id of a kernel variable (typed ksym). */
  BTF_ID: 3,
  /** `imm` is the relative offset of a subprogram (callbacks). */
  FUNC: 4,
  /** `imm` is an index into `fd_array` (Linux 5.14). */
  MAP_IDX: 5,
  /** `imm` is an index into `fd_array`, the second `imm` an offset into the value. */
  MAP_IDX_VALUE: 6,
} as const;
export type PseudoLdImm64 = (typeof PseudoLdImm64)[keyof typeof PseudoLdImm64];

/** `src_reg` values of `JMP | CALL`. */
export const PseudoCall = {
  /** `imm` is a `bpf_func_id` helper number. */
  HELPER: 0,
  /** `BPF_PSEUDO_CALL`: `imm` is the relative offset of a bpf-to-bpf call. */
  CALL: 1,
  /** `BPF_PSEUDO_KFUNC_CALL`: `imm` is the BTF id of a kernel function. */
  KFUNC_CALL: 2,
} as const;
export type PseudoCall = (typeof PseudoCall)[keyof typeof PseudoCall];

/** `src_reg` of `JMP | JCOND` (`enum bpf_cond_pseudo_jmp`). */
export const CondPseudoJmp = { MAY_GOTO: 0 } as const;
export type CondPseudoJmp = (typeof CondPseudoJmp)[keyof typeof CondPseudoJmp];

/** `off` of `ALU64 | MOV | X` meaning `addr_space_cast` (`BPF_ADDR_SPACE_CAST`, Linux 6.9). */
export const BPF_ADDR_SPACE_CAST = 1;
/** `off` of `ALU64 | MOV | X` the kernel uses internally for per-CPU address moves (`BPF_ADDR_PERCPU`). */
export const BPF_ADDR_PERCPU = -1;
/** The `BPF_NOSPEC` mode of the `ST` class, internal to the kernel (no UAPI). */
export const BPF_NOSPEC_MODE = 0xc0;

/** Bytes per instruction slot (`sizeof(struct bpf_insn)`). */
export const INSN_SIZE = 8;
/** `MAX_BPF_REG`: r0..r10 are the valid registers. */
export const MAX_BPF_REG = 11;

/** The ldimm64 opcode `LD | IMM | DW` (0x18), the only two-slot instruction. */
export const LD_IMM64 = InsnClass.LD | InsnMode.IMM | InsnSize.DW;

/** `BPF_CLASS(code)`. */
export function insnClass(code: number): InsnClass {
  return (code & 0x07) as InsnClass;
}
/** `BPF_SIZE(code)`. */
export function insnSize(code: number): InsnSize {
  return (code & 0x18) as InsnSize;
}
/** `BPF_MODE(code)`. */
export function insnMode(code: number): number {
  return code & 0xe0;
}
/** `BPF_OP(code)`. */
export function insnOp(code: number): number {
  return code & 0xf0;
}
/** `BPF_SRC(code)`. */
export function insnSource(code: number): InsnSource {
  return (code & 0x08) as InsnSource;
}
