import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { decodeInstructions, encodeInstructions, isLdImm64, JmpOp, insnOp, insnClass, InsnClass } from '../../src/asm/index.js';
import { parseElf, SectionFlags } from '../../src/elf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { requireTool } from '../helpers/privileges.js';
import { committedObjects } from '../elf/objects.js';

// llvm-objdump-19 knows ISA v4 (sdiv, movsx, bswap, ldsx, gotol, may_goto); version 14 prints
// `<unknown>` for those, which still leaves its slot numbers and byte columns to compare.
const OBJDUMP = process.env['BPF_TS_OBJDUMP'] ?? (existsSync('/usr/bin/llvm-objdump-19') ? '/usr/bin/llvm-objdump-19' : '/usr/bin/llvm-objdump');

interface ObjdumpInsn { slot: number; bytes: number[]; text: string }

/** Parses `llvm-objdump -d` into instructions per section (slot, raw bytes, LLVM's syntax). */
function objdump(path: string): Map<string, ObjdumpInsn[]> {
  const text = execFileSync(OBJDUMP, ['-d', path], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const sections = new Map<string, ObjdumpInsn[]>();
  let current: ObjdumpInsn[] | undefined;
  for (const line of text.split('\n')) {
    let m: RegExpMatchArray | null;
    if ((m = /^Disassembly of section (.*):$/.exec(line))) {
      current = [];
      sections.set(m[1] as string, current);
    } else if (current && (m = /^\s*(\d+):\t((?:[0-9a-f]{2} ?)+)\t?(.*)$/.exec(line))) {
      current.push({ slot: Number(m[1]), bytes: (m[2] as string).trim().split(' ').map((b) => parseInt(b, 16)), text: (m[3] ?? '').trim() });
    }
  }
  return sections;
}

/** Parses an LLVM immediate as printed by objdump 19 (`0x1f`, `-0x4`, `12`). */
function llvmNumber(s: string): bigint {
  const neg = s.startsWith('-');
  const v = BigInt(neg ? s.slice(1) : s);
  return neg ? -v : v;
}

describe('asm: decodeInstructions agrees with llvm-objdump -d', function () {
  before(function () {
    requireTool(this, OBJDUMP);
  });

  for (const rel of committedObjects()) {
    it(`${rel}: every executable section decodes (strict) to objdump's slots, bytes and operands, and re-encodes byte-identically`, function () {
      const path = join(REPO_ROOT, rel);
      const elf = parseElf(readFileSync(path), { fileName: rel });
      const ref = objdump(path);
      const exec = elf.sections.filter((s) => (s.flags & SectionFlags.EXECINSTR) !== 0n && s.size > 0);
      // Some spec objects hold only data (maps, struct_ops layouts): then objdump has no code either.
      if (exec.length === 0) expect([...ref.values()].flat(), 'objdump instructions').to.deep.equal([]);
      for (const section of exec) {
        const data = section.data();
        const insns = decodeInstructions(data, elf.endianness);
        const expected = ref.get(section.name);
        expect(expected, `objdump section ${section.name}`).to.not.equal(undefined);
        if (!expected) continue;
        expect(insns.map((i) => i.slot), `${section.name} slots`).to.deep.equal(expected.map((e) => e.slot));
        insns.forEach((insn, k) => {
          const e = expected[k] as ObjdumpInsn;
          const where = `${section.name} slot ${insn.slot}: ${e.text}`;
          // Slot width and raw bytes come from objdump, not from our decoder.
          expect(e.bytes.length, where).to.equal(isLdImm64(insn) ? 16 : 8);
          expect(Array.from(data.subarray(insn.slot * 8, insn.slot * 8 + e.bytes.length)), where).to.deep.equal(e.bytes);
          expect(insn.opcode, where).to.equal(e.bytes[0]);
          // Every register LLVM prints must be one of the decoded dst/src.
          // (cmpxchg names its implicit r0 operand.)
          const implicit = insn.opcode === 0xdb || insn.opcode === 0xc3 ? [0] : [];
          for (const r of e.text.matchAll(/\b[rw](\d+)\b/g)) expect([insn.dst, insn.src, ...implicit], where).to.include(Number(r[1]));
          let m: RegExpMatchArray | null;
          if (e.text === 'exit') expect(insn.opcode).to.equal(0x95);
          else if ((m = /^call (-?(?:0x)?[0-9a-f]+)$/.exec(e.text))) expect(BigInt(insn.imm), where).to.equal(llvmNumber(m[1] as string));
          else if ((m = /^r(\d+) = (-?(?:0x)?[0-9a-f]+) ll$/.exec(e.text))) {
            expect(insn.dst, where).to.equal(Number(m[1]));
            expect(BigInt.asUintN(64, insn.imm64 ?? -1n), where).to.equal(BigInt.asUintN(64, llvmNumber(m[2] as string)));
          } else if ((m = /^(?:if .* )?goto ([+-](?:0x)?[0-9a-f]+)/.exec(e.text))) {
            expect(insn.off, where).to.equal(Number(llvmNumber((m[1] as string).replace('+', ''))));
          } else if ((m = /^gotol ([+-](?:0x)?[0-9a-f]+)/.exec(e.text))) {
            expect(insn.imm, where).to.equal(Number(llvmNumber((m[1] as string).replace('+', ''))));
          } else if ((m = /^may_goto ([+-](?:0x)?[0-9a-f]+)/.exec(e.text))) {
            expect(insn.opcode, where).to.equal(0xe5);
            expect(insn.off, where).to.equal(Number(llvmNumber((m[1] as string).replace('+', ''))));
          }
          if (insnClass(insn.opcode) === InsnClass.JMP && insnOp(insn.opcode) === JmpOp.CALL) expect(e.text, where).to.match(/^call /);
        });
        expect(encodeInstructions(insns, elf.endianness), `${section.name} round trip`).to.deep.equal(data.slice());
      }
    });
  }

  it('the big-endian object decodes to the same instructions as the little-endian one', function () {
    const le = parseElf(readFileSync(join(REPO_ROOT, 'bpf/elf-asm/programs.bpf.o')));
    const be = parseElf(readFileSync(join(REPO_ROOT, 'bpf/elf-asm/programs-bpfeb.bpf.o')));
    expect(be.endianness).to.equal('big');
    // xdp differs on purpose: bpf_htons() constants depend on the byte order.
    for (const name of ['.text', 'socket']) {
      const a = decodeInstructions(le.sectionByName(name)?.data() ?? new Uint8Array(), 'little');
      const b = decodeInstructions(be.sectionByName(name)?.data() ?? new Uint8Array(), 'big');
      expect(b, name).to.deep.equal(a);
      expect(a.length, name).to.be.greaterThan(5);
    }
  });
});
