import { expect } from 'chai';
import { AsmError, decodeInstructions, encodeInstructions, instructionProblem, type Instruction } from '../../src/asm/index.js';
import { BpfTsError } from '../../src/errors/index.js';

function bytes(...slots: number[][]): Uint8Array {
  return Uint8Array.from(slots.flat());
}
const EXIT = [0x95, 0, 0, 0, 0, 0, 0, 0];
const MOV_R0_1 = [0xb7, 0, 0, 0, 1, 0, 0, 0];

function expectAsmError(run: () => unknown, reason: RegExp, slot: number, offset: number): void {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).to.be.instanceOf(AsmError);
  expect(caught).to.be.instanceOf(BpfTsError);
  const err = caught as AsmError;
  expect(err.reason).to.match(reason);
  expect(err.slot).to.equal(slot);
  expect(err.offset).to.equal(offset);
  expect(err.message).to.equal(`instruction ${slot}: ${err.reason} (at offset 0x${offset.toString(16)})`);
}

const insn = (opcode: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ opcode, dst, src, off, imm });

describe('asm: every malformed input throws AsmError with slot and offset', function () {
  describe('decodeInstructions', function () {
    it('length not a multiple of 8', () => expectAsmError(() => decodeInstructions(bytes(MOV_R0_1, [0x95, 0, 0]), 'little'), /length 11 is not a multiple of 8 bytes/, 1, 8));
    it('truncated ldimm64 (first slot is the last)', () =>
      expectAsmError(() => decodeInstructions(bytes(MOV_R0_1, [0x18, 1, 0, 0, 0, 0, 0, 0]), 'little'), /ldimm64 is missing its second slot/, 1, 8));
    it('ldimm64 second slot with a non-zero code', () =>
      expectAsmError(() => decodeInstructions(bytes([0x18, 1, 0, 0, 0, 0, 0, 0], [0x95, 0, 0, 0, 0, 0, 0, 0]), 'little'), /second slot must have zero code, registers and offset/, 1, 8));
    it('ldimm64 second slot with a non-zero offset', () =>
      expectAsmError(() => decodeInstructions(bytes(EXIT, [0x18, 1, 0, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 0, 0]), 'big'), /second slot/, 2, 16));
    it('invalid opcode in strict mode', () => expectAsmError(() => decodeInstructions(bytes(MOV_R0_1, [0xff, 0, 0, 0, 0, 0, 0, 0]), 'little'), /invalid opcode 0xff/, 1, 8));
    it('invalid register', () => expectAsmError(() => decodeInstructions(bytes([0xb7, 0x0c, 0, 0, 0, 0, 0, 0]), 'little'), /invalid dst register r12/, 0, 0));
    it('invalid register nibble order follows the byte order (big-endian src in the low nibble)', () =>
      expectAsmError(() => decodeInstructions(bytes([0xbf, 0x1b, 0, 0, 0, 0, 0, 0]), 'big'), /invalid src register r11/, 0, 0));
    it('non-strict mode accepts invalid opcodes but not broken structure', () => {
      expect(decodeInstructions(bytes([0xff, 0xff, 0, 0, 0, 0, 0, 0]), 'little', { strict: false })).to.deep.equal([{ opcode: 0xff, dst: 15, src: 15, off: 0, imm: 0, slot: 0 }]);
      expectAsmError(() => decodeInstructions(bytes([0x18, 0, 0, 0, 0, 0, 0, 0]), 'little', { strict: false }), /missing its second slot/, 0, 0);
    });
  });

  describe('instructionProblem (ISA validity)', function () {
    const invalid: Array<[string, Instruction, RegExp]> = [
      ['LD DW ABS (no such legacy size)', insn(0x38), /invalid opcode 0x38 \(LD class\)/],
      ['LD MEM mode', insn(0x60), /LD class/],
      ['LDX ABS mode', insn(0x21), /LDX class/],
      ['LDX MEMSX with DW', insn(0x99), /LDX class/],
      ['ST ATOMIC', insn(0xc2), /ST class/],
      ['STX ABS', insn(0x23), /STX class/],
      ['atomic fetch-add on a byte', insn(0xd3, 1, 2, 0, 0x01), /invalid atomic operation 0x1 for opcode 0xd3/],
      ['atomic unknown op', insn(0xdb, 1, 2, 0, 0x02), /invalid atomic operation 0x2/],
      ['ALU op 0xe0', insn(0xe7), /invalid opcode 0xe7 \(ALU64 class\)/],
      ['NEG with X', insn(0x8f, 1, 2), /NEG takes no source register/],
      ['ALU64 END with TO_BE bit', insn(0xdf, 1), /ALU64 END is bswap/],
      ['JMP32 CALL', insn(0x86), /invalid opcode 0x86 \(JMP32 class\)/],
      ['JMP32 EXIT', insn(0x96), /JMP32 class/],
      ['JA with X', insn(0x0d), /JA with source register/],
      ['JMP op 0xf0', insn(0xf5), /JMP class/],
      ['call with src 3', insn(0x85, 0, 3), /invalid call src_reg 3/],
      ['ldimm64 with src 7', { opcode: 0x18, dst: 1, src: 7, off: 0, imm: 0, imm64: 0n }, /invalid ldimm64 src_reg 7/],
      ['JCOND with src 1', insn(0xe5, 0, 1), /invalid JCOND src_reg 1/],
      ['src register r11 in a register ALU op', insn(0x0f, 1, 11), /invalid src register r11/],
    ];
    for (const [what, i, reason] of invalid) it(what, () => expect(instructionProblem(i)).to.match(reason));
    it('valid v4 forms pass: sdiv, movsx, bswap, ldsx, gotol, may_goto, load-acquire, store-release', () => {
      for (const i of [insn(0x3f, 0, 2, 1), insn(0xbf, 1, 2, 8), insn(0xd7, 1, 0, 0, 64), insn(0x91, 1, 2), insn(0x06, 0, 0, 0, 5), insn(0xe5, 0, 0, 1), insn(0xd3, 1, 2, 0, 0x100), insn(0xcb, 1, 2, 0, 0x110)]) {
        expect(instructionProblem(i), JSON.stringify(i)).to.equal(undefined);
      }
    });
  });

  describe('encodeInstructions', function () {
    it('opcode out of range', () => expectAsmError(() => encodeInstructions([insn(0x95), insn(256)], 'little'), /opcode 256 is out of range \[0, 255\]/, 1, 8));
    it('register out of range', () => expectAsmError(() => encodeInstructions([insn(0xb7, 16)], 'little'), /dst_reg 16 is out of range/, 0, 0));
    it('src out of range', () => expectAsmError(() => encodeInstructions([insn(0xbf, 1, -1)], 'little'), /src_reg -1 is out of range/, 0, 0));
    it('off out of range', () => expectAsmError(() => encodeInstructions([insn(0x05, 0, 0, 40000)], 'little'), /off 40000 is out of range \[-32768, 32767\]/, 0, 0));
    it('imm not an integer', () => expectAsmError(() => encodeInstructions([insn(0xb7, 0, 0, 0, 1.5)], 'little'), /imm 1.5 is out of range/, 0, 0));
    it('ldimm64 without imm64 (slot counts the pair)', () =>
      expectAsmError(() => encodeInstructions([{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 1, imm64: 1n }, insn(0x18, 1)], 'little'), /ldimm64 without imm64/, 2, 16));
    it('imm that disagrees with imm64', () =>
      expectAsmError(() => encodeInstructions([{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 5, imm64: 6n }], 'little'), /imm 5 does not match the low half of imm64 0x6/, 0, 0));
    it('imm64 out of range', () => expectAsmError(() => encodeInstructions([{ opcode: 0x18, dst: 1, src: 0, off: 0, imm: 0, imm64: 1n << 64n }], 'little'), /imm64 .* is out of range/, 0, 0));
    it('imm64 on a one-slot instruction', () =>
      expectAsmError(() => encodeInstructions([{ opcode: 0xb7, dst: 1, src: 0, off: 0, imm: 0, imm64: 0n }], 'little'), /imm64 given for opcode 0xb7/, 0, 0));
    it('unsigned imm patterns and negative imm64 encode like their signed forms', () => {
      const a = encodeInstructions([insn(0xb7, 0, 0, 0, 0xffffffff), { opcode: 0x18, dst: 1, src: 0, off: 0, imm: -1, imm64: -1n }], 'little');
      const b = encodeInstructions([insn(0xb7, 0, 0, 0, -1), { opcode: 0x18, dst: 1, src: 0, off: 0, imm: -1, imm64: 0xffffffffffffffffn }], 'little');
      expect(a).to.deep.equal(b);
      expect(decodeInstructions(a, 'little')[1]?.imm64).to.equal(0xffffffffffffffffn);
    });
  });
});
