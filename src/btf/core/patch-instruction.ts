import type { CoreReloOutcome } from './calc-relocation.js';
import { CoreFault } from './errors.js';

/** `call 0xbad2310`: the helper id libbpf gives a poisoned instruction ("bad relo"). */
export const CORE_POISON_HELPER_ID = 195896080;

const INSN = 8;
const CLASS = { LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, ALU64: 0x07 } as const;
const LD_IMM64 = 0x18;
const CALL = 0x85;
/** `BPF_SIZE` bits to bytes (W, H, B, DW) and back. */
const SIZE_BYTES: Readonly<Record<number, number>> = { 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 };
const BYTES_SIZE: Readonly<Record<number, number>> = { 4: 0x00, 2: 0x08, 1: 0x10, 8: 0x18 };

/** How an instruction was changed, for reports and the tests' comparison with libbpf's log. */
export const CorePatchKind = {
  /** `rX op= imm` / `rX = imm`: the immediate was replaced. */
  alu: 'ALU/ALU64',
  /** A load or store: the offset (and maybe the access size) was replaced. */
  mem: 'LDX/ST/STX',
  /** `rX = imm64 ll`. */
  ldimm64: 'LDIMM64',
  /** Replaced by `call 0xbad2310` (both slots of an ldimm64). */
  poison: 'poison',
} as const;
export type CorePatchKind = (typeof CorePatchKind)[keyof typeof CorePatchKind];

/** What `patchInstruction` did. */
export interface CorePatch {
  readonly kind: CorePatchKind;
  /** The memory access size in bytes after patching, when a load/store was resized. */
  readonly memSize?: number;
}

function poisonSlot(view: DataView, slot: number, little: boolean): void {
  const at = slot * INSN;
  view.setUint8(at, CALL);
  view.setUint8(at + 1, 0);
  view.setInt16(at + 2, 0, little);
  view.setInt32(at + 4, CORE_POISON_HELPER_ID, little);
}

/**
 * `bpf_core_patch_insn`: applies a relocation outcome to instruction `index` of `insns` (raw
 * `struct bpf_insn` bytes, patched in place). Poisoning replaces the instruction (both slots of
 * an ldimm64) with `call 0xbad2310`, which the verifier rejects only if it is reachable. ALU
 * immediates, load/store offsets and ldimm64 immediates are checked against the value the
 * compiler used before patching; a load/store whose field changed size gets the new size.
 * Throws `CoreFault` for an instruction that cannot carry this relocation.
 */
export function patchInstruction(insns: Uint8Array, index: number, outcome: CoreReloOutcome, byteOrder: 'little' | 'big'): CorePatch {
  const little = byteOrder === 'little';
  const slots = Math.floor(insns.length / INSN);
  if (!Number.isInteger(index) || index < 0 || index >= slots) throw new CoreFault(`instruction #${index} is outside the program (${slots} instructions)`);
  const view = new DataView(insns.buffer, insns.byteOffset, insns.byteLength);
  const at = index * INSN;
  const code = view.getUint8(at);
  const isLdImm64 = code === LD_IMM64;
  const poison = (): CorePatch => {
    if (isLdImm64 && index + 1 < slots) poisonSlot(view, index + 1, little);
    poisonSlot(view, index, little);
    return { kind: CorePatchKind.poison };
  };
  if (outcome.poison) return poison();

  const { origValue, newValue } = outcome;
  const expect = (what: string, got: bigint, shown: number | bigint): void => {
    if (outcome.validate && got !== origValue) {
      throw new CoreFault(`unexpected insn #${index} (${what}) value: got ${shown}, exp ${origValue} -> ${newValue}`);
    }
  };
  switch (code & 0x07) {
    case CLASS.ALU:
    case CLASS.ALU64: {
      if ((code & 0x08) !== 0) throw new CoreFault(`insn #${index} (ALU/ALU64) uses a register operand, not an immediate`);
      const imm = view.getInt32(at + 4, little);
      expect(CorePatchKind.alu, BigInt.asUintN(64, BigInt(imm)), imm);
      view.setInt32(at + 4, Number(BigInt.asIntN(32, newValue)), little);
      return { kind: CorePatchKind.alu };
    }
    case CLASS.LDX:
    case CLASS.ST:
    case CLASS.STX: {
      const off = view.getInt16(at + 2, little);
      expect(CorePatchKind.mem, BigInt.asUintN(64, BigInt(off)), off);
      if (newValue > 0x7fffn) throw new CoreFault(`insn #${index} (LDX/ST/STX) value too big: ${newValue}`);
      if (outcome.failMemSizeAdjust) return poison();
      view.setInt16(at + 2, Number(newValue), little);
      if (outcome.newSize === outcome.origSize) return { kind: CorePatchKind.mem };
      const bytes = SIZE_BYTES[code & 0x18] as number;
      if (bytes !== outcome.origSize) throw new CoreFault(`insn #${index} (LDX/ST/STX) unexpected mem size: got ${bytes}, exp ${outcome.origSize}`);
      const size = BYTES_SIZE[outcome.newSize];
      if (size === undefined) throw new CoreFault(`insn #${index} (LDX/ST/STX) invalid new mem size: ${outcome.newSize}`);
      view.setUint8(at, (code & 0xe0) | size | (code & 0x07));
      return { kind: CorePatchKind.mem, memSize: outcome.newSize };
    }
    case CLASS.LD: {
      const srcReg = little ? view.getUint8(at + 1) >> 4 : view.getUint8(at + 1) & 0xf;
      const next = at + INSN;
      if (!isLdImm64 || index + 1 >= slots || srcReg !== 0 || view.getInt16(at + 2, little) !== 0 || view.getUint8(next) !== 0 || view.getUint8(next + 1) !== 0 || view.getInt16(next + 2, little) !== 0) {
        throw new CoreFault(`insn #${index} (LDIMM64) has unexpected form`);
      }
      const imm = (BigInt(view.getUint32(next + 4, little)) << 32n) | BigInt(view.getUint32(at + 4, little));
      expect(CorePatchKind.ldimm64, imm, imm);
      const bits = BigInt.asUintN(64, newValue);
      view.setUint32(at + 4, Number(bits & 0xffffffffn), little);
      view.setUint32(next + 4, Number(bits >> 32n), little);
      return { kind: CorePatchKind.ldimm64 };
    }
    default: {
      const regs = view.getUint8(at + 1);
      throw new CoreFault(`trying to relocate unrecognized insn #${index}, code:0x${code.toString(16)}, regs:0x${regs.toString(16)}, off:${view.getInt16(at + 2, little)}, imm:${view.getInt32(at + 4, little)}`);
    }
  }
}
