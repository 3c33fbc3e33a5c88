import { AsmError } from './errors.js';
import { instructionProblem, isLdImm64, type DecodedInstruction, type Instruction } from './instruction.js';
import { INSN_SIZE } from './opcodes.js';
import type { Endianness } from '../elf/constants.js';

// One byte-order type for the pure format layers: instructions share their object's `EI_DATA`.
export type { Endianness } from '../elf/index.js';

/** Options of {@link decodeInstructions}. */
export interface DecodeOptions {
  /**
   * Reject opcodes, registers and atomic operations outside the ISA (default `true`). Turn it off
   * to disassemble whatever is there, as bpftool does (`BUG_...` lines); the structure (whole
   * slots, complete ldimm64 pairs) is always checked.
   */
  readonly strict?: boolean;
}

/*
 * Layout of one slot: code (u8), regs (u8), off (s16), imm (s32). The two 4-bit register fields
 * are C bitfields `dst_reg:4, src_reg:4`, so their nibble order follows the byte order:
 * little-endian puts dst in the low nibble, big-endian in the high nibble.
 */
function registers(byte: number, little: boolean): { dst: number; src: number } {
  return little ? { dst: byte & 0xf, src: byte >> 4 } : { dst: byte >> 4, src: byte & 0xf };
}

/**
 * Decodes instruction bytes (`struct bpf_insn[]`) into instructions; an ldimm64 pair becomes one
 * instruction with `imm64`. Throws {@link AsmError} for an odd length, a truncated ldimm64, a
 * malformed ldimm64 second slot, and (when `strict`) instructions outside the ISA.
 *
 * @example
 * ```ts
 * const insns = decodeInstructions(elf.sectionByName('xdp')!.data(), elf.endianness);
 * console.log(insns.map((i) => formatInstruction(i)).join('\n'));
 * ```
 */
export function decodeInstructions(bytes: Uint8Array, endianness: Endianness, options: DecodeOptions = {}): DecodedInstruction[] {
  const strict = options.strict ?? true;
  if (bytes.length % INSN_SIZE !== 0) {
    const slot = Math.floor(bytes.length / INSN_SIZE);
    throw new AsmError(`length ${bytes.length} is not a multiple of ${INSN_SIZE} bytes`, slot, slot * INSN_SIZE);
  }
  const little = endianness === 'little';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slots = bytes.length / INSN_SIZE;
  const out: DecodedInstruction[] = [];
  for (let slot = 0; slot < slots; slot++) {
    const at = slot * INSN_SIZE;
    const opcode = view.getUint8(at);
    const { dst, src } = registers(view.getUint8(at + 1), little);
    const off = view.getInt16(at + 2, little);
    const imm = view.getInt32(at + 4, little);
    let insn: DecodedInstruction;
    if (isLdImm64({ opcode })) {
      if (slot + 1 >= slots) throw new AsmError('ldimm64 is missing its second slot', slot, at);
      const next = at + INSN_SIZE;
      if (view.getUint8(next) !== 0 || view.getUint8(next + 1) !== 0 || view.getInt16(next + 2, little) !== 0) {
        throw new AsmError('ldimm64 second slot must have zero code, registers and offset', slot + 1, next);
      }
      const high = view.getUint32(next + 4, little);
      const imm64 = (BigInt(high) << 32n) | BigInt(imm >>> 0);
      insn = { opcode, dst, src, off, imm, imm64, slot };
    } else {
      insn = { opcode, dst, src, off, imm, slot };
    }
    if (strict) {
      const problem = instructionProblem(insn);
      if (problem !== undefined) throw new AsmError(problem, slot, at);
    }
    out.push(insn);
    if (insn.imm64 !== undefined) slot++;
  }
  return out;
}

function checkField(value: number, min: number, max: number, what: string, index: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new AsmError(`${what} ${value} is out of range [${min}, ${max}]`, index, index * INSN_SIZE);
}

/**
 * Encodes instructions into `struct bpf_insn[]` bytes; the inverse of {@link decodeInstructions}
 * (decode then encode is byte-identical). `imm` may be given signed or as its unsigned 32-bit
 * pattern. An ldimm64 must carry `imm64`, whose low half must match `imm`.
 *
 * @example
 * ```ts
 * const bytes = encodeInstructions([{ opcode: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { opcode: 0x95, dst: 0, src: 0, off: 0, imm: 0 }], 'little');
 * ```
 */
export function encodeInstructions(insns: readonly Instruction[], endianness: Endianness): Uint8Array {
  const little = endianness === 'little';
  let slots = 0;
  for (const insn of insns) slots += isLdImm64(insn) ? 2 : 1;
  const out = new Uint8Array(slots * INSN_SIZE);
  const view = new DataView(out.buffer);
  let slot = 0;
  for (const insn of insns) {
    checkField(insn.opcode, 0, 0xff, 'opcode', slot);
    checkField(insn.dst, 0, 0xf, 'dst_reg', slot);
    checkField(insn.src, 0, 0xf, 'src_reg', slot);
    checkField(insn.off, -0x8000, 0x7fff, 'off', slot);
    checkField(insn.imm, -0x8000_0000, 0xffff_ffff, 'imm', slot);
    const at = slot * INSN_SIZE;
    view.setUint8(at, insn.opcode);
    view.setUint8(at + 1, little ? (insn.src << 4) | insn.dst : (insn.dst << 4) | insn.src);
    view.setInt16(at + 2, insn.off, little);
    if (isLdImm64(insn)) {
      const imm64 = insn.imm64;
      if (imm64 === undefined) throw new AsmError('ldimm64 without imm64', slot);
      if (imm64 < -(1n << 63n) || imm64 >= 1n << 64n) throw new AsmError(`imm64 ${imm64} is out of range`, slot);
      const bits = BigInt.asUintN(64, imm64);
      if (Number(bits & 0xffff_ffffn) !== insn.imm >>> 0) throw new AsmError(`imm ${insn.imm} does not match the low half of imm64 0x${bits.toString(16)}`, slot);
      view.setUint32(at + 4, Number(bits & 0xffff_ffffn), little);
      view.setUint32(at + 12, Number(bits >> 32n), little);
      slot += 2;
    } else {
      if (insn.imm64 !== undefined) throw new AsmError(`imm64 given for opcode 0x${insn.opcode.toString(16)}, which is not ldimm64`, slot);
      view.setUint32(at + 4, insn.imm >>> 0, little);
      slot += 1;
    }
  }
  return out;
}
