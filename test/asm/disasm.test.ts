import { expect } from 'chai';
import { formatInstruction, helperName, type Instruction } from '../../src/asm/index.js';
import { HELPER_NAMES } from '../../src/asm/helper-names.js';

// One case per branch of print_bpf_insn() in kernel/bpf/disasm.c; each title names the rule
// (the branch and its printf format) it checks.

const insn = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm64?: bigint): Instruction =>
  imm64 === undefined ? { opcode, dst, src, off, imm } : { opcode, dst, src, off, imm, imm64 };

const cases: Array<[string, Instruction, string]> = [
  // ALU / ALU64
  ['ALU64 K: "(%02x) %c%d %s %d" with r and a signed decimal imm', insn(0x07, 2, 0, 0, -4), '(07) r2 += -4'],
  ['ALU K: the w register prefix for 32-bit ALU', insn(0x04, 1, 0, 0, 7), '(04) w1 += 7'],
  ['ALU64 X: "(%02x) %c%d %s %s%c%d"', insn(0x0f, 3, 5), '(0f) r3 += r5'],
  ['ALU X: w registers on both sides', insn(0x0c, 3, 5), '(0c) w3 += w5'],
  ['bpf_alu_string: every operator (ALU64 X)', insn(0xcf, 1, 2), '(cf) r1 s>>= r2'],
  ['bpf_alu_string: mov', insn(0xbf, 6, 1), '(bf) r6 = r1'],
  ['bpf_alu_string: lsh/rsh/and/or/xor/mod/mul/sub/div', insn(0x6f, 1, 2), '(6f) r1 <<= r2'],
  ['is_sdiv_smod: DIV with off=1 prints s/= (X)', insn(0x3f, 0, 2, 1), '(3f) r0 s/= r2'],
  ['is_sdiv_smod: MOD with off=1 prints s%= (ALU K)', insn(0x94, 4, 0, 1, 3), '(94) w4 s%= 3'],
  ['is_sdiv_smod: DIV with off=0 stays unsigned', insn(0x37, 4, 0, 0, 3), '(37) r4 /= 3'],
  ['is_movsx: MOV X with off=8 prints the (s8) cast', insn(0xbf, 6, 6, 8), '(bf) r6 = (s8)r6'],
  ['is_movsx: off=16 -> (s16)', insn(0xbc, 1, 2, 16), '(bc) w1 = (s16)w2'],
  ['is_movsx: off=32 -> (s32) (bpf_movsx_string[3])', insn(0xbf, 7, 2, 32), '(bf) r7 = (s32)r2'],
  ['BPF_NEG: "%c%d = -%c%d" (ALU64)', insn(0x87, 3), '(87) r3 = -r3'],
  ['BPF_NEG: 32-bit', insn(0x84, 3), '(84) w3 = -w3'],
  ['BPF_END in ALU: "r%d = %s%d r%d" with be (TO_BE)', insn(0xdc, 2, 0, 0, 16), '(dc) r2 = be16 r2'],
  ['BPF_END in ALU: le (TO_LE)', insn(0xd4, 2, 0, 0, 64), '(d4) r2 = le64 r2'],
  ['BPF_END in ALU64: print_bpf_bswap_insn "r%d = bswap%d r%d"', insn(0xd7, 3, 0, 0, 32), '(d7) r3 = bswap32 r3'],
  ['is_addr_space_cast: "r%d = addr_space_cast(r%d, %u, %u)" from imm >> 16 and (u16)imm', insn(0xbf, 1, 2, 1, (1 << 16) | 0), '(bf) r1 = addr_space_cast(r2, 1, 0)'],
  ['is_mov_percpu_addr: off=-1 "r%d = &(void __percpu *)(r%d)"', insn(0xbf, 0, 0, -1), '(bf) r0 = &(void __percpu *)(r0)'],
  ['holes in bpf_alu_string print as glibc\'s (null)', insn(0xe7, 1, 0, 0, 1), '(e7) r1 (null) 1'],
  // STX
  ['STX MEM: "*(%s *)(r%d %+d) = r%d" with %+d offsets', insn(0x7b, 10, 1, -8), '(7b) *(u64 *)(r10 -8) = r1'],
  ['STX MEM: +0 and u8', insn(0x73, 1, 2, 0), '(73) *(u8 *)(r1 +0) = r2'],
  ['STX ATOMIC add: "lock *(%s *)(r%d %+d) %s r%d"', insn(0xdb, 6, 2, 24, 0x00), '(db) lock *(u64 *)(r6 +24) += r2'],
  ['STX ATOMIC or/and/xor use bpf_alu_string of the op', insn(0xc3, 6, 2, 4, 0xa0), '(c3) lock *(u32 *)(r6 +4) ^= r2'],
  ['STX ATOMIC FETCH: "r%d = atomic%s_fetch_%s((%s *)(r%d %+d), r%d)" with 64 for DW', insn(0xdb, 6, 3, 24, 0x41), '(db) r3 = atomic64_fetch_or((u64 *)(r6 +24), r3)'],
  ['STX ATOMIC FETCH: no 64 suffix for W', insn(0xc3, 6, 3, 24, 0x51), '(c3) r3 = atomic_fetch_and((u32 *)(r6 +24), r3)'],
  ['STX ATOMIC CMPXCHG: "r0 = atomic%s_cmpxchg((%s *)(r%d %+d), r0, r%d)"', insn(0xdb, 6, 7, 24, 0xf1), '(db) r0 = atomic64_cmpxchg((u64 *)(r6 +24), r0, r7)'],
  ['STX ATOMIC XCHG: "r%d = atomic%s_xchg((%s *)(r%d %+d), r%d)"', insn(0xc3, 6, 8, -4, 0xe1), '(c3) r8 = atomic_xchg((u32 *)(r6 -4), r8)'],
  ['STX ATOMIC LOAD_ACQ: "r%d = load_acquire((%s *)(r%d %+d))" reads from src', insn(0xd3, 1, 2, 8, 0x100), '(d3) r1 = load_acquire((u8 *)(r2 +8))'],
  ['STX ATOMIC STORE_REL: "store_release((%s *)(r%d %+d), r%d)"', insn(0xcb, 1, 2, -2, 0x110), '(cb) store_release((u16 *)(r1 -2), r2)'],
  ['STX ATOMIC with an unknown op: "BUG_%02x"', insn(0xdb, 1, 2, 0, 0x02), 'BUG_db'],
  ['STX with another mode: "BUG_%02x"', insn(0x23, 1, 2), 'BUG_23'],
  // ST
  ['ST MEM: "*(%s *)(r%d %+d) = %d"', insn(0x62, 10, 0, -4, -1), '(62) *(u32 *)(r10 -4) = -1'],
  ['ST with mode 0xc0: the kernel-internal "nospec"', insn(0xc2), '(c2) nospec'],
  ['ST with another mode: "BUG_st_%02x"', insn(0x22), 'BUG_st_22'],
  // LDX
  ['LDX MEM: "r%d = *(%s *)(r%d %+d)"', insn(0x61, 1, 6, 16), '(61) r1 = *(u32 *)(r6 +16)'],
  ['LDX MEMSX: bpf_ldsx_string s8/s16/s32', insn(0x89, 4, 0, 18), '(89) r4 = *(s16 *)(r0 +18)'],
  ['LDX MEMSX DW: the hole in bpf_ldsx_string prints (null)', insn(0x99, 4, 0, 0), '(99) r4 = *((null) *)(r0 +0)'],
  ['LDX with another mode: "BUG_ldx_%02x"', insn(0x21), 'BUG_ldx_21'],
  // LD
  ['LD ABS: "r0 = *(%s *)skb[%d]"', insn(0x30, 0, 0, 0, 12), '(30) r0 = *(u8 *)skb[12]'],
  ['LD IND: "r0 = *(%s *)skb[r%d + %d]"', insn(0x40, 0, 7, 0, 2), '(40) r0 = *(u32 *)skb[r7 + 2]'],
  ['LD IMM DW without callbacks: "r%d = 0x%llx" of the full 64-bit immediate', insn(0x18, 1, 0, 0, -1, 0xffffffffffffffffn), '(18) r1 = 0xffffffffffffffff'],
  ['LD IMM DW: high half only', insn(0x18, 2, 0, 0, 0, 0x1_0000_0000n), '(18) r2 = 0x100000000'],
  ['LD with another mode: "BUG_ld_%02x"', insn(0x08), 'BUG_ld_08'],
  // JMP / JMP32
  ['JMP CALL helper: "call %s#%d" from func_id_str', insn(0x85, 0, 0, 0, 1), '(85) call bpf_map_lookup_elem#1'],
  ['JMP CALL unknown helper id: strcpy(tmp, "unknown")', insn(0x85, 0, 0, 0, 5000), '(85) call unknown#5000'],
  ['JMP CALL pseudo call: "call pc%s" with "%+d" of imm', insn(0x85, 0, 1, 0, 5), '(85) call pc+5'],
  ['JMP CALL pseudo call backwards', insn(0x85, 0, 1, 0, -12), '(85) call pc-12'],
  ['JMP CALL kfunc: "kernel-function" when no callback names it', insn(0x85, 0, 2, 0, 1234), '(85) call kernel-function#1234'],
  ['JMP CALL: a kfunc with a small imm is not a helper (only src_reg 0 reads func_id_str)', insn(0x85, 0, 2, 0, 1), '(85) call kernel-function#1'],
  ['JMP JA: "goto pc%+d" from off', insn(0x05, 0, 0, 3), '(05) goto pc+3'],
  ['JMP32 JA: "gotol pc%+d" from imm', insn(0x06, 0, 0, 0, -70000), '(06) gotol pc-70000'],
  ['JMP JCOND with src BPF_MAY_GOTO: "may_goto pc%+d"', insn(0xe5, 0, 0, 1), '(e5) may_goto pc+1'],
  ['JMP JA|X: "gotox r%d"', insn(0x0d, 3), '(0d) gotox r3'],
  ['JMP EXIT: "exit"', insn(0x95), '(95) exit'],
  ['JMP K: "if %c%d %s 0x%x goto pc%+d" with (u32)imm in hex', insn(0x55, 1, 0, 3, 0), '(55) if r1 != 0x0 goto pc+3'],
  ['JMP K: negative imm prints as its u32 pattern', insn(0x15, 0, 0, -2, -1), '(15) if r0 == 0xffffffff goto pc-2'],
  ['JMP32 K: w registers', insn(0xa6, 2, 0, 7, 10), '(a6) if w2 < 0xa goto pc+7'],
  ['JMP X: "if %c%d %s %c%d goto pc%+d"', insn(0x6d, 2, 1, 1), '(6d) if r2 s> r1 goto pc+1'],
  ['JMP32 X: signed compare in bpf_jmp_string', insn(0x6e, 1, 5, 1), '(6e) if w1 s> w5 goto pc+1'],
  ['bpf_jmp_string: & for JSET, <= / s<= / s< / >= / s>=', insn(0x45, 1, 0, 2, 0x10), '(45) if r1 & 0x10 goto pc+2'],
  ['JMP32 EXIT is not special-cased: the generic K form with bpf_jmp_string "exit"', insn(0x96, 1, 0, 0, 0), '(96) if w1 exit 0x0 goto pc+0'],
  ['JCOND with a non-may_goto src falls to the generic form with a (null) operator', insn(0xe5, 0, 1, 1), '(e5) if r0 (null) 0x0 goto pc+1'],
];

describe('asm: formatInstruction follows print_bpf_insn() in kernel/bpf/disasm.c', function () {
  for (const [rule, i, text] of cases) it(rule, () => expect(formatInstruction(i)).to.equal(text));

  describe('callbacks (struct bpf_insn_cbs) and allow_ptr_leaks', function () {
    it('cb_imm names an ldimm64 operand: bpftool prints map[id:%u]', () => {
      const text = formatInstruction(insn(0x18, 1, 1, 0, 12, 12n), { callbacks: { imm: (x) => `map[id:${x.imm >>> 0}]` } });
      expect(text).to.equal('(18) r1 = map[id:12]');
    });
    it('!allow_ptr_leaks zeroes MAP_FD/MAP_VALUE/MAP_IDX/MAP_IDX_VALUE/BTF_ID immediates, not plain constants', () => {
      for (const src of [1, 2, 3, 5, 6]) expect(formatInstruction(insn(0x18, 1, src, 0, 5, 0x500000005n), { allowPtrLeaks: false })).to.equal('(18) r1 = 0x0');
      expect(formatInstruction(insn(0x18, 1, 0, 0, 5, 0x500000005n), { allowPtrLeaks: false })).to.equal('(18) r1 = 0x500000005');
      expect(formatInstruction(insn(0x18, 1, 4, 0, 5, 5n), { allowPtrLeaks: false })).to.equal('(18) r1 = 0x5');
    });
    it('cb_call is asked only when the helper table does not name the call', () => {
      const asked: number[] = [];
      const call = (x: Instruction): string => {
        asked.push(x.src);
        return `sym${x.imm}`;
      };
      expect(formatInstruction(insn(0x85, 0, 0, 0, 1), { callbacks: { call } })).to.equal('(85) call bpf_map_lookup_elem#1');
      expect(formatInstruction(insn(0x85, 0, 0, 0, 99999), { callbacks: { call } })).to.equal('(85) call sym99999#99999');
      expect(formatInstruction(insn(0x85, 0, 1, 0, 4), { callbacks: { call } })).to.equal('(85) call pcsym4');
      expect(formatInstruction(insn(0x85, 0, 2, 0, 77), { callbacks: { call } })).to.equal('(85) call sym77#77');
      expect(asked).to.deep.equal([0, 1, 2]);
    });
    it('a cb_call returning undefined falls back to the kernel default', () => {
      expect(formatInstruction(insn(0x85, 0, 1, 0, -3), { callbacks: { call: () => undefined } })).to.equal('(85) call pc-3');
    });
  });

  describe('helper names (func_id_str)', function () {
    it('func_id_name(): bpf_ prefix, unspec at 0, unknown outside the table', () => {
      expect(helperName(0)).to.equal('bpf_unspec');
      expect(helperName(12)).to.equal('bpf_tail_call');
      expect(helperName(-1)).to.equal('unknown');
      expect(helperName(HELPER_NAMES.length)).to.equal('unknown');
    });
  });
});
