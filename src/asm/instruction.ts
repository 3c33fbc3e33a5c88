import {
  AluOp,
  AtomicOp,
  InsnClass,
  InsnMode,
  InsnSize,
  InsnSource,
  JmpOp,
  LD_IMM64,
  MAX_BPF_REG,
  PseudoCall,
  PseudoLdImm64,
  insnClass,
  insnMode,
  insnOp,
  insnSize,
  insnSource,
} from './opcodes.js';

/**
 * One BPF instruction (`struct bpf_insn`): the opcode byte and its operand fields. An ldimm64
 * (`LD | IMM | DW`) occupies two slots; it is one `Instruction` whose `imm64` holds the full
 * 64-bit immediate (first slot's `imm` in the low half, second slot's in the high half).
 */
export interface Instruction {
  /** `code`: class, size/mode or op/source bits. */
  readonly opcode: number;
  /** `dst_reg` (4 bits). */
  readonly dst: number;
  /** `src_reg` (4 bits); for ldimm64 and calls, the pseudo kind (`PseudoLdImm64`, `PseudoCall`). */
  readonly src: number;
  /** `off`: signed 16-bit offset. */
  readonly off: number;
  /** `imm`: signed 32-bit immediate (for ldimm64, the low half as a signed value). */
  readonly imm: number;
  /** ldimm64 only: the full immediate, unsigned. */
  readonly imm64?: bigint;
}

/** An instruction as decoded from bytes, with its position. */
export interface DecodedInstruction extends Instruction {
  /** Index of the instruction's first 8-byte slot (what jumps, line info and func info count in). */
  readonly slot: number;
}

/** True for the two-slot `LD | IMM | DW` instruction. */
export function isLdImm64(insn: Pick<Instruction, 'opcode'>): boolean {
  return insn.opcode === LD_IMM64;
}

/** The number of 8-byte slots the instruction occupies (2 for ldimm64, else 1). */
export function slotCount(insn: Pick<Instruction, 'opcode'>): number {
  return isLdImm64(insn) ? 2 : 1;
}

const ATOMIC_RMW = new Set<number>([
  AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR,
  AtomicOp.ADD | AtomicOp.FETCH, AtomicOp.OR | AtomicOp.FETCH, AtomicOp.AND | AtomicOp.FETCH, AtomicOp.XOR | AtomicOp.FETCH,
  AtomicOp.XCHG, AtomicOp.CMPXCHG,
]);

function checkRegisters(insn: Instruction, checkSrc: boolean): string | undefined {
  if (insn.dst >= MAX_BPF_REG) return `invalid dst register r${insn.dst}`;
  if (checkSrc && insn.src >= MAX_BPF_REG) return `invalid src register r${insn.src}`;
  return undefined;
}

/**
 * Why an instruction is not valid BPF (ISA v1-v4 as accepted by Linux 6.18), or `undefined` when
 * it is. Checks the opcode against the instruction set, the registers, the pseudo `src_reg` kinds
 * of ldimm64 and calls, and the atomic operation in `imm`. Reserved fields that the verifier
 * (not the format) rejects are not checked.
 */
export function instructionProblem(insn: Instruction): string | undefined {
  const code = insn.opcode;
  const cls = insnClass(code);
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  switch (cls) {
    case InsnClass.LD: {
      if (code === LD_IMM64) {
        if (insn.src > PseudoLdImm64.MAP_IDX_VALUE) return `invalid ldimm64 src_reg ${insn.src}`;
        return checkRegisters(insn, false);
      }
      const mode = insnMode(code);
      if ((mode === InsnMode.ABS || mode === InsnMode.IND) && insnSize(code) !== InsnSize.DW) return checkRegisters(insn, true);
      return `invalid opcode ${hex} (LD class)`;
    }
    case InsnClass.LDX: {
      const mode = insnMode(code);
      if (mode === InsnMode.MEM || (mode === InsnMode.MEMSX && insnSize(code) !== InsnSize.DW)) return checkRegisters(insn, true);
      return `invalid opcode ${hex} (LDX class)`;
    }
    case InsnClass.ST:
      if (insnMode(code) === InsnMode.MEM) return checkRegisters(insn, false);
      return `invalid opcode ${hex} (ST class)`;
    case InsnClass.STX: {
      const mode = insnMode(code);
      if (mode === InsnMode.MEM) return checkRegisters(insn, true);
      if (mode !== InsnMode.ATOMIC) return `invalid opcode ${hex} (STX class)`;
      const size = insnSize(code);
      const wide = size === InsnSize.W || size === InsnSize.DW;
      if (insn.imm === AtomicOp.LOAD_ACQ || insn.imm === AtomicOp.STORE_REL || (wide && ATOMIC_RMW.has(insn.imm))) return checkRegisters(insn, true);
      return `invalid atomic operation 0x${(insn.imm >>> 0).toString(16)} for opcode ${hex}`;
    }
    case InsnClass.ALU:
    case InsnClass.ALU64: {
      const op = insnOp(code);
      if (op > AluOp.END) return `invalid opcode ${hex} (${cls === InsnClass.ALU ? 'ALU' : 'ALU64'} class)`;
      if (op === AluOp.NEG && insnSource(code) !== InsnSource.K) return `invalid opcode ${hex} (NEG takes no source register)`;
      if (op === AluOp.END && cls === InsnClass.ALU64 && insnSource(code) !== InsnSource.K) return `invalid opcode ${hex} (ALU64 END is bswap, source bit must be 0)`;
      return checkRegisters(insn, insnSource(code) === InsnSource.X);
    }
    case InsnClass.JMP:
    case InsnClass.JMP32: {
      const op = insnOp(code);
      const jmp32 = cls === InsnClass.JMP32;
      const x = insnSource(code) === InsnSource.X;
      if (op === JmpOp.JA) return x ? `invalid opcode ${hex} (JA with source register)` : checkRegisters(insn, false);
      if (op === JmpOp.CALL || op === JmpOp.EXIT || op === JmpOp.JCOND) {
        if (jmp32 || x) return `invalid opcode ${hex} (${jmp32 ? 'JMP32' : 'JMP'} class)`;
        if (op === JmpOp.CALL && insn.src > PseudoCall.KFUNC_CALL) return `invalid call src_reg ${insn.src}`;
        if (op === JmpOp.JCOND && insn.src !== 0) return `invalid JCOND src_reg ${insn.src}`;
        return checkRegisters(insn, false);
      }
      if (op > JmpOp.JCOND) return `invalid opcode ${hex} (${jmp32 ? 'JMP32' : 'JMP'} class)`;
      return checkRegisters(insn, x);
    }
    default:
      return `invalid opcode ${hex}`;
  }
}
