import { expect } from 'chai';
import { dumpXlatedJson, dumpXlatedPlain, encodeInstructions, xlatedCallbacks, formatInstruction, type Instruction, type XlatedDumpContext } from '../../src/asm/index.js';

// bpftool's xlated dumper (tools/bpf/bpftool/xlated_dumper.c) on synthetic input; the CLI test
// compares the same code with bpftool itself on loaded programs.

const i = (opcode: number, dst = 0, src = 0, off = 0, imm = 0, imm64?: bigint): Instruction =>
  imm64 === undefined ? { opcode, dst, src, off, imm } : { opcode, dst, src, off, imm, imm64 };

const PROGRAM = [
  i(0xbf, 6, 1), // 0
  i(0x18, 1, 1, 0, 7, 7n), // 1-2: map[id:7]
  i(0x18, 2, 2, 0, 9, (16n << 32n) | 9n), // 3-4: map value + 16
  i(0x85, 0, 0, 0, 0x100), // 5: helper call, imm relative to __bpf_call_base
  i(0x85, 0, 1, 2, 1), // 6: pseudo call, off = relative target, imm = subprog index (after JIT)
  i(0x18, 3, 4, 0, 3, 3n), // 7-8: callback
  i(0x95), // 9
  i(0xb7, 0, 0, 0, 0), // 10: subprog
  i(0x95), // 11
];
const BYTES = encodeInstructions(PROGRAM, 'little');
const STRINGS = new Map<number, string>([[1, 'prog.c'], [10, '  int main(void)'], [30, '\treturn 0;'], [50, '']]);
const CTX: XlatedDumpContext = {
  callBase: 0xffff_0000n,
  kernelSymbol: (a) => new Map([[0xffff_0100n, 'bpf_map_lookup_elem'], [0xa000n, 'bpf_prog_abc_sub']]).get(a),
  jitedKsyms: [0x9000n, 0xa000n],
  funcInfo: [{ insnOff: 0, typeId: 1 }, { insnOff: 10, typeId: 2 }],
  funcSignature: (id) => (id === 1 ? 'int main(void)' : ''),
  lineInfo: [
    { insnOff: 0, fileNameOff: 1, lineOff: 10, line: 3, column: 0 },
    { insnOff: 1, fileNameOff: 1, lineOff: 50, line: 0, column: 0 },
    { insnOff: 3, fileNameOff: 1, lineOff: 30, line: 4, column: 2 },
    { insnOff: 5, fileNameOff: 1, lineOff: 999, line: 5, column: 1 },
    { insnOff: 10, fileNameOff: 77, lineOff: 30, line: 9, column: 3 },
  ],
  btfString: (off) => STRINGS.get(off),
};

describe('asm: bpftool xlated dumper', function () {
  it('plain: "%s:" signatures, "; " lines ltrimmed, "% 4d: " slots, print_call/print_imm names; empty signatures print nothing', function () {
    expect(dumpXlatedPlain(BYTES, 'little', CTX)).to.equal(
      [
        'int main(void):',
        '; int main(void)',
        '   0: (bf) r6 = r1',
        '; ',
        '   1: (18) r1 = map[id:7]',
        '; return 0;',
        '   3: (18) r2 = map[id:9][0]+16',
        '   5: (85) call bpf_map_lookup_elem#256',
        '   6: (85) call pc+2#bpf_prog_abc_sub',
        '   7: (18) r3 = subprog[+3]',
        '   9: (95) exit',
        '; return 0;',
        '  10: (b7) r0 = 0',
        '  11: (95) exit',
        '',
      ].join('\n'),
    );
  });

  it('linum: "[file:%s line_num:%u line_col:%u]", an unknown file prints empty', function () {
    const text = dumpXlatedPlain(BYTES, 'little', CTX, { linum: true });
    expect(text).to.contain('; int main(void) [file:prog.c line_num:3 line_col:0]\n   0:');
    expect(text).to.contain(';  [file:prog.c line_num:0 line_col:0]\n   1:');
    expect(text).to.contain('; return 0; [file: line_num:9 line_col:3]\n  10:');
  });

  it('opcodes: 7 spaces and the 8 bytes, ldimm64 with both slots', function () {
    const text = dumpXlatedPlain(BYTES, 'little', CTX, { opcodes: true });
    expect(text).to.contain('   1: (18) r1 = map[id:7]\n       18 11 00 00 07 00 00 00 00 00 00 00 00 00 00 00\n');
    expect(text).to.contain('   9: (95) exit\n       95 00 00 00 00 00 00 00\n');
  });

  it('bpf_prog_linfo__lfind with nr_skip: a record is printed late and nr_skip advances by one per printed record', function () {
    // Records at 0, 0, 2: at insn 0 the last matching one (the second) prints and nr_skip becomes 1;
    // at insn 1 the record at nr_skip (insn_off 0 <= 1) prints the last match again.
    const ctx: XlatedDumpContext = {
      lineInfo: [
        { insnOff: 0, fileNameOff: 0, lineOff: 1, line: 1, column: 0 },
        { insnOff: 0, fileNameOff: 0, lineOff: 2, line: 2, column: 0 },
        { insnOff: 2, fileNameOff: 0, lineOff: 3, line: 3, column: 0 },
      ],
      btfString: (off) => `line${off}`,
    };
    const bytes = encodeInstructions([i(0xb7), i(0xb7), i(0xb7), i(0x95)], 'little');
    expect(dumpXlatedPlain(bytes, 'little', ctx)).to.equal('; line2\n   0: (b7) r0 = 0\n; line2\n   1: (b7) r0 = 0\n; line3\n   2: (b7) r0 = 0\n   3: (95) exit\n');
  });

  it('without BTF: no signatures or lines; interpreted programs print bare pc offsets; unknown addresses print in hex', function () {
    const ctx: XlatedDumpContext = { callBase: 0n };
    const text = dumpXlatedPlain(BYTES, 'little', ctx);
    expect(text).to.not.contain(';');
    expect(text).to.contain('   5: (85) call 0x100#256\n');
    expect(text).to.contain('   6: (85) call pc+2\n');
    const jited = dumpXlatedPlain(BYTES, 'little', { jitedKsyms: [0x9000n, 0xb000n] });
    expect(jited).to.contain('   6: (85) call pc+2#0xb000\n');
  });

  it('slot numbers keep "% 4d" alignment past 999', function () {
    const many = encodeInstructions(Array.from({ length: 1001 }, () => i(0x95)), 'little');
    const lines = dumpXlatedPlain(many, 'little', {}).split('\n');
    expect(lines[0]).to.equal('   0: (95) exit');
    expect(lines[999]).to.equal(' 999: (95) exit');
    expect(lines[1000]).to.equal(' 1000: (95) exit');
  });

  it('JSON: proto/src/file/line_num/line_col/disasm/opcodes in bpftool\'s order; zero line numbers omitted', function () {
    const json = dumpXlatedJson(BYTES, 'little', CTX, { linum: true, opcodes: true });
    expect(json[0]).to.deep.equal({
      proto: 'int main(void)',
      src: 'int main(void)',
      file: 'prog.c',
      line_num: 3,
      disasm: '(bf) r6 = r1',
      opcodes: { code: '0xbf', src_reg: '0x1', dst_reg: '0x6', off: ['0x00', '0x00'], imm: ['0x00', '0x00', '0x00', '0x00'] },
    });
    expect(Object.keys(json[0] ?? {})).to.deep.equal(['proto', 'src', 'file', 'line_num', 'disasm', 'opcodes']);
    expect(json[1]).to.deep.include({ src: '', file: 'prog.c', disasm: '(18) r1 = map[id:7]' });
    expect(json[1]?.opcodes?.imm).to.have.length(12);
    expect(json[3]).to.not.have.property('src'); // slot 5: line_off 999 is outside the strings
    expect(json[3]).to.include({ line_num: 5, line_col: 1 });
    expect(json.map((x) => x.disasm)).to.deep.equal(
      [0, 1, 3, 5, 6, 7, 9, 10, 11].map((slot) => {
        const k = [0, 1, 3, 5, 6, 7, 9, 10, 11].indexOf(slot);
        return formatInstruction(PROGRAM[k] as Instruction, { callbacks: xlatedCallbacks(CTX) });
      }),
    );
  });
});
