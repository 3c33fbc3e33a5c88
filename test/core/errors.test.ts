/**
 * Every CoreRelocationError path (and the failures libbpf turns into poisoning instead), on
 * synthetic local/target BTFs built with the project's encoder. Messages follow libbpf's
 * wording where libbpf has one (`unexpected insn #N (ALU/ALU64) value: got ...`).
 */
import { expect } from 'chai';
import { BpfCoreReloKind, type Btf } from '../../src/btf/index.js';
import { CORE_POISON_HELPER_ID, CoreRelocationError, relocateCore, type CoreRelocationRecord, type RelocateCoreOutput } from '../../src/btf/core/index.js';
import { OP, array, buildBtf, enumOf, insns, int, m, struct } from './synthetic.js';

const K = BpfCoreReloKind;

/* Local: struct s { int a; unsigned bf:3; long long wide; u64 u64f; int arr[4]; int far; unsigned big; } */
const local = buildBtf([
  int('int', 4, true), // 1
  int('unsigned int', 4, false), // 2
  int('long long', 8, true), // 3
  int('unsigned long long', 8, false), // 4
  array(1, 4, 2), // 5
  struct('s', 48, [m('a', 1, 0), m('bf', 2, 32, 3), m('wide', 3, 64), m('u64f', 4, 128), m('arr', 5, 192), m('far', 1, 320), m('big', 2, 352)]), // 6
  struct('', 4, [m('a', 1, 0)]), // 7
  enumOf('e', { X: 1 }), // 8
  struct('huge_bf', 16, [m('x', 4, 10, 60)]), // 9
]);

/* Target: same names, other layout; `far` beyond what a 16-bit offset holds, `big` 128 bits wide. */
const target = buildBtf([
  int('int', 4, true), // 1
  int('unsigned int', 4, false), // 2
  int('unsigned __int128', 16, false), // 3
  int('char', 1, true), // 4
  array(4, 40000, 2), // 5
  array(1, 4, 2), // 6
  struct('s', 40056, [m('a', 1, 0), m('bf', 2, 40, 3), m('wide', 1, 64), m('u64f', 2, 96), m('arr', 6, 128), m('big', 3, 256), m('pad', 5, 384), m('far', 1, 320384)]), // 7
  enumOf('e', { X: 7 }), // 8
]);

function relocate(record: Omit<CoreRelocationRecord, 'insnIndex'> & { insnIndex?: number }, code: Uint8Array, targets: readonly Btf[] = [target]): RelocateCoreOutput {
  return relocateCore({ localBtf: local, targets, instructions: code, coreRelos: [{ insnIndex: 0, ...record }], program: 'p' });
}

function failure(record: Omit<CoreRelocationRecord, 'insnIndex'> & { insnIndex?: number }, code: Uint8Array, targets?: readonly Btf[]): CoreRelocationError {
  try {
    relocate(record, code, targets);
  } catch (e) {
    expect(e).to.be.instanceOf(CoreRelocationError);
    return e as CoreRelocationError;
  }
  throw new Error('relocateCore did not throw');
}

const exit = insns([OP.EXIT, 0, 0, 0, 0]);
const movImm = (imm: number): Uint8Array => insns([OP.MOV64_K, 1, 0, 0, imm], [OP.EXIT, 0, 0, 0, 0]);
const ldx = (code: number, off: number): Uint8Array => insns([code, 0, 1, off, 0], [OP.EXIT, 0, 0, 0, 0]);

describe('btf/core errors', () => {
  describe('instruction checks (bpf_core_patch_insn)', () => {
    it('an ALU immediate that is not the local value', () => {
      const e = failure({ typeId: 6, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }, movImm(5));
      expect(e.message).to.equal("relo #0: unexpected insn #0 (ALU/ALU64) value: got 5, exp 0 -> 0 (prog 'p', insn #0, <byte_off>, struct s, access 0:0)");
      expect([e.program, e.insnIndex, e.kind, e.localType, e.accessString]).to.deep.equal(['p', 0, 'byte_off', 'struct s', '0:0']);
    });

    it('an ALU instruction with a register operand', () => {
      const e = failure({ typeId: 6, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }, insns([OP.MOV64_X, 1, 2, 0, 0]));
      expect(e.message).to.equal("relo #0: insn #0 (ALU/ALU64) uses a register operand, not an immediate (prog 'p', insn #0, <byte_off>, struct s, access 0:0)");
    });

    it('a load offset that is not the local value', () => {
      const e = failure({ typeId: 6, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }, ldx(OP.LDX_W, 8));
      expect(e.message).to.equal("relo #0: unexpected insn #0 (LDX/ST/STX) value: got 8, exp 0 -> 0 (prog 'p', insn #0, <byte_off>, struct s, access 0:0)");
    });

    it('a target offset that does not fit the 16-bit load offset', () => {
      const e = failure({ typeId: 6, accessString: '0:5', kind: K.FIELD_BYTE_OFFSET }, ldx(OP.LDX_W, 40));
      expect(e.message).to.equal("relo #0: insn #0 (LDX/ST/STX) value too big: 40048 (prog 'p', insn #0, <byte_off>, struct s, access 0:5)");
    });

    it('a load whose size is not the local field size when the size must change', () => {
      const e = failure({ typeId: 6, accessString: '0:3', kind: K.FIELD_BYTE_OFFSET }, ldx(OP.LDX_W, 16));
      expect(e.message).to.equal("relo #0: insn #0 (LDX/ST/STX) unexpected mem size: got 4, exp 8 (prog 'p', insn #0, <byte_off>, struct s, access 0:3)");
    });

    it('a target field size no load can have (16 bytes)', () => {
      const e = failure({ typeId: 6, accessString: '0:6', kind: K.FIELD_BYTE_OFFSET }, ldx(OP.LDX_W, 44));
      expect(e.message).to.equal("relo #0: insn #0 (LDX/ST/STX) invalid new mem size: 16 (prog 'p', insn #0, <byte_off>, struct s, access 0:6)");
    });

    it('an ldimm64 that is not a plain constant (src_reg set)', () => {
      const code = insns([OP.LD_IMM64, 1, 1, 0, 48], [0, 0, 0, 0, 0], [OP.EXIT, 0, 0, 0, 0]);
      const e = failure({ typeId: 6, accessString: '0', kind: K.TYPE_SIZE }, code);
      expect(e.message).to.equal("relo #0: insn #0 (LDIMM64) has unexpected form (prog 'p', insn #0, <type_size>, struct s, access 0)");
    });

    it('an instruction class CO-RE cannot patch (exit)', () => {
      const e = failure({ typeId: 6, accessString: '0', kind: K.TYPE_EXISTS }, exit);
      expect(e.message).to.equal("relo #0: trying to relocate unrecognized insn #0, code:0x95, regs:0x0, off:0, imm:0 (prog 'p', insn #0, <type_exists>, struct s, access 0)");
    });

    it('an instruction index outside the program', () => {
      const e = failure({ insnIndex: 5, typeId: 6, accessString: '0', kind: K.TYPE_EXISTS }, exit);
      expect(e.message).to.equal("relo #0: instruction #5 is outside the program (1 instructions) (prog 'p', insn #5, <type_exists>, struct s, access 0)");
    });
  });

  describe('relocation calculation', () => {
    it('no target BTF at all', () => {
      const e = failure({ typeId: 6, accessString: '0', kind: K.TYPE_EXISTS }, exit, []);
      expect(e.message).to.equal("no target BTF to relocate against (prog 'p')");
    });

    it('a signedness relocation on an array element', () => {
      const e = failure({ typeId: 6, accessString: '0:4:1', kind: K.FIELD_SIGNED }, movImm(1));
      expect(e.message).to.equal("relo #0: relocation kind 3 can't be applied to an array access (prog 'p', insn #0, <signed>, struct s, access 0:4:1)");
    });

    it('a bitfield no 64-bit load covers', () => {
      const e = failure({ typeId: 9, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }, movImm(0));
      expect(e.message).to.equal("relo #0: bitfield 'x' can't be read with a 64-bit load (prog 'p', insn #0, <byte_off>, struct huge_bf, access 0:0)");
    });

    it('a relocation of an anonymous type', () => {
      const e = failure({ typeId: 7, accessString: '0:0', kind: K.FIELD_BYTE_OFFSET }, movImm(0));
      expect(e.message).to.equal("relo #0: relocation of anonymous struct <anon> is not supported (no name to search candidates by) (prog 'p', insn #0, <byte_off>, struct <anon>, access 0:0)");
    });

    it('a root type id outside the local BTF', () => {
      const e = failure({ typeId: 999, accessString: '0', kind: K.TYPE_EXISTS }, movImm(1));
      expect(e.message).to.match(/^relo #0: type id not in \[1, 10\) \(type id 999\) \(prog 'p', insn #0, <type_exists>, \[999\], access 0\)$/);
    });
  });

  describe('access strings (bpf_core_parse_spec)', () => {
    const cases: [string, number, string, string][] = [
      ['empty', K.FIELD_BYTE_OFFSET, '', "invalid access string ''"],
      ['leading colon', K.FIELD_BYTE_OFFSET, ':0', "invalid access string ':0'"],
      ['not a number', K.FIELD_BYTE_OFFSET, '0:x', "invalid access string '0:x'"],
      ['negative index', K.FIELD_BYTE_OFFSET, '0:-1', "invalid access index -1 in '0:-1'"],
      ['deeper than 64', K.FIELD_BYTE_OFFSET, Array(65).fill('0').join(':'), `access string '${Array(65).fill('0').join(':')}' is deeper than 64`],
      ['member index past the last member', K.FIELD_BYTE_OFFSET, '0:99', 'member index 99 out of range for struct [6] with 7 members'],
      ['array index past the end', K.FIELD_BYTE_OFFSET, '0:4:4', 'array index 4 out of bounds for array [5] of 4 elements'],
      ['walking into an int', K.FIELD_BYTE_OFFSET, '0:0:0', "access '0:0:0' at level 2 walks into int [1], which is neither a struct/union nor an array"],
      ['type relocation with a field path', K.TYPE_SIZE, '1', "type relocation with access string '1' (must be '0')"],
      ['unknown relocation kind', 13, '0:0', 'unknown relocation kind 13 (unknown)'],
    ];
    for (const [what, kind, access, message] of cases) {
      it(what, () => {
        const e = failure({ typeId: 6, accessString: access, kind: kind as BpfCoreReloKind }, movImm(0));
        expect(e.message).to.equal(`relo #0: ${message} (prog 'p', insn #0, <${kind === 13 ? 'unknown' : kind === K.TYPE_SIZE ? 'type_size' : 'byte_off'}>, struct s, access ${access})`);
      });
    }

    it('an enum relocation on a struct, and past the last enumerator', () => {
      const a = failure({ typeId: 6, accessString: '0', kind: K.ENUMVAL_VALUE }, movImm(0));
      expect(a.message).to.equal("relo #0: enum relocation '0' does not name an enumerator of struct [6] (prog 'p', insn #0, <enumval_value>, struct s, access 0)");
      const b = failure({ typeId: 8, accessString: '3', kind: K.ENUMVAL_VALUE }, movImm(0));
      expect(b.message).to.equal("relo #0: enum relocation '3' does not name an enumerator of enum [8] (prog 'p', insn #0, <enumval_value>, enum e, access 3)");
    });
  });

  describe('what is not an error', () => {
    it('a load whose signed field shrinks is poisoned, not patched (fail_memsz_adjust)', () => {
      const out = relocate({ typeId: 6, accessString: '0:2', kind: K.FIELD_BYTE_OFFSET }, ldx(OP.LDX_DW, 8));
      expect([out.results[0]?.poisoned, out.results[0]?.poisonReason]).to.deep.equal([true, 'unsafe-resize']);
      const v = new DataView(out.instructions.buffer);
      expect([v.getUint8(0), v.getInt32(4, true)]).to.deep.equal([OP.CALL, CORE_POISON_HELPER_ID]);
    });

    it('an unsigned field that shrinks gets a smaller load at the target offset', () => {
      const out = relocate({ typeId: 6, accessString: '0:3', kind: K.FIELD_BYTE_OFFSET }, ldx(OP.LDX_DW, 16));
      const v = new DataView(out.instructions.buffer);
      const field = target.typeById(7);
      const u64f = field.kind === 'STRUCT' ? field.members.find((x) => x.name === 'u64f') : undefined;
      expect([v.getUint8(0), v.getInt16(2, true)]).to.deep.equal([OP.LDX_W, (u64f?.bitOffset ?? -1) / 8]);
      expect(out.results[0]?.patch).to.deep.equal({ kind: 'LDX/ST/STX', memSize: 4 });
    });

    it('an ALU immediate takes offsets a load offset cannot, and the input is left untouched', () => {
      const code = movImm(40);
      const copy = new Uint8Array(code);
      const out = relocate({ typeId: 6, accessString: '0:5', kind: K.FIELD_BYTE_OFFSET }, code);
      const s = target.typeById(7);
      const far = s.kind === 'STRUCT' ? s.members.find((x) => x.name === 'far') : undefined;
      expect(new DataView(out.instructions.buffer).getInt32(4, true)).to.equal((far?.bitOffset ?? -1) / 8);
      expect(code).to.deep.equal(copy);
    });
  });
});
