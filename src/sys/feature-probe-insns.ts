/**
 * The few hand-encoded `struct bpf_insn`s that feature probes load. `src/sys` sits below
 * `src/asm`, so probes spell their 8-byte instructions out here (little-endian hosts: `dst_reg`
 * in the low nibble of byte 1).
 */

/** One probe instruction: opcode, registers, offset, immediate (`struct bpf_insn`). */
interface ProbeInsn {
  readonly code: number;
  readonly dst?: number;
  readonly src?: number;
  readonly off?: number;
  readonly imm?: number;
}

/** Opcodes used by probes (`BPF_CLASS | BPF_OP | BPF_SRC` from `include/uapi/linux/bpf.h`). */
const Op = {
  /** `BPF_ALU64 | BPF_MOV | BPF_K` */
  MOV64_IMM: 0xb7,
  /** `BPF_ALU64 | BPF_SUB | BPF_K` */
  SUB64_IMM: 0x17,
  /** `BPF_JMP | BPF_JNE | BPF_K` */
  JNE_IMM: 0x55,
  /** `BPF_JMP | BPF_JLT | BPF_K` (v2 ISA) */
  JLT_IMM: 0xa5,
  /** `BPF_JMP32 | BPF_JLT | BPF_K` (v3 ISA) */
  JLT32_IMM: 0xa6,
  /** `BPF_JMP32 | BPF_JEQ | BPF_K` (v3 ISA) */
  JEQ32_IMM: 0x16,
  /** `BPF_JMP32 | BPF_JA`: `gotol` with a 32-bit offset in `imm` (v4 ISA) */
  JA32: 0x06,
  /** `BPF_JMP | BPF_CALL` */
  CALL: 0x85,
  /** `BPF_JMP | BPF_EXIT` */
  EXIT: 0x95,
} as const;

function encode(insns: readonly ProbeInsn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * 8);
  const v = new DataView(bytes.buffer);
  insns.forEach((insn, i) => {
    v.setUint8(i * 8, insn.code);
    v.setUint8(i * 8 + 1, ((insn.src ?? 0) << 4) | (insn.dst ?? 0));
    v.setInt16(i * 8 + 2, insn.off ?? 0, true);
    v.setInt32(i * 8 + 4, insn.imm ?? 0, true);
  });
  return bytes;
}

const EXIT: ProbeInsn = { code: Op.EXIT };
const mov0 = (imm: number): ProbeInsn => ({ code: Op.MOV64_IMM, dst: 0, imm });

/** `r0 = 0; exit`: the smallest valid program, for program type probes. */
export const RETURN_ZERO = encode([mov0(0), EXIT]);

/** `call <id>; exit`: a helper probe (the verifier judges the call before the missing arguments). */
export function callHelper(id: number): Uint8Array {
  return encode([{ code: Op.CALL, imm: id }, EXIT]);
}

/** `BPF_MAXINSNS` (4096) moves plus exit: loads only with the 1M instruction limit (5.3). */
export function largeProgram(): Uint8Array {
  const insns: ProbeInsn[] = new Array<ProbeInsn>(4096).fill(mov0(1));
  insns.push(EXIT);
  return encode(insns);
}

/** A loop counting r0 from 10 down to 0: loads only with bounded loop support (5.3). */
export const BOUNDED_LOOP = encode([mov0(10), { code: Op.SUB64_IMM, dst: 0, imm: 1 }, { code: Op.JNE_IMM, dst: 0, off: -2 }, EXIT]);

/** Uses `BPF_JLT` (v2 ISA, 4.14). */
export const V2_ISA = encode([mov0(0), { code: Op.JLT_IMM, dst: 0, off: 1 }, mov0(1), EXIT]);

/** Uses a `BPF_JMP32` jump (v3 ISA, 5.1). */
export const V3_ISA = encode([mov0(0), { code: Op.JLT32_IMM, dst: 0, off: 1 }, mov0(1), EXIT]);

/** Uses `gotol` (`BPF_JMP32 | BPF_JA`, v4 ISA, 6.6). */
export const V4_ISA = encode([mov0(0), { code: Op.JEQ32_IMM, dst: 0, imm: 1, off: 1 }, { code: Op.JA32, imm: 1 }, mov0(1), EXIT]);
