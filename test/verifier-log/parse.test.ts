import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { requireTool } from '../helpers/privileges.js';
import { parseVerifierLog } from '../../src/verifier-log/index.js';
import type {
  InstructionRecord,
  LiveRegistersRecord,
  SourceRecord,
  StateRecord,
  VerifierLog,
} from '../../src/verifier-log/index.js';
import { FIXTURE_DIR, LLVM_OBJDUMP, lineOf, objectOf, objectOpcodes, readFixture, sourceLines } from './fixture-files.js';

const FIXTURES = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.log')).map((f) => f.slice(0, -'.log'.length)).sort();

function instructions(log: VerifierLog): InstructionRecord[] {
  return log.records.filter((r): r is InstructionRecord => r.kind === 'instruction');
}

function lastInstruction(log: VerifierLog, insnIndex: number): InstructionRecord {
  const found = instructions(log).filter((r) => r.insnIndex === insnIndex).at(-1);
  if (!found) throw new Error(`no instruction record ${insnIndex}`);
  return found;
}

function states(log: VerifierLog): StateRecord[] {
  return log.records.filter((r): r is StateRecord => r.kind === 'state');
}

function register(state: { registers: readonly { reg: string }[] } | undefined, reg: string) {
  const found = state?.registers.find((r) => r.reg === reg);
  if (!found) throw new Error(`no ${reg} in state`);
  return found as StateRecord['state']['registers'][number];
}

/** `if r7 > 0x63 goto pc+3` at insn 8 jumps to 12. */
function jumpTarget(insn: InstructionRecord): number | undefined {
  const m = /goto pc([+-]\d+)$/.exec(insn.text);
  return m ? insn.insnIndex + 1 + Number(m[1]) : undefined;
}

describe('verifier-log: parseVerifierLog on captured logs', () => {
  it('has fixtures to test', () => {
    expect(FIXTURES.length).to.be.greaterThanOrEqual(15);
  });

  describe('every fixture', () => {
    for (const name of FIXTURES) {
      it(`${name}: covers every line, finds an error and a summary`, () => {
        const text = readFixture(name);
        const log = parseVerifierLog(text);
        const lines = text.split('\n');
        const covered = new Set(log.records.map((r) => r.lineNo));
        lines.forEach((line, i) => {
          if (line.trim() !== '') expect(covered.has(i), `line ${i} ${JSON.stringify(line)}`).to.equal(true);
        });
        for (const r of log.records) expect(r.raw).to.equal(lines[r.lineNo]);
        expect(log.errors.length).to.be.greaterThan(0);
        expect(log.insnsProcessed).to.be.a('number').and.greaterThan(0);
        expect(log.failedInsn).to.be.a('number');
      });

      it(`${name}: instruction indices and opcodes agree with llvm-objdump of the object`, function () {
        requireTool(this, LLVM_OBJDUMP);
        const opcodes = objectOpcodes(objectOf(name));
        const log = parseVerifierLog(readFixture(name));
        let checked = 0;
        for (const insn of instructions(log)) {
          expect(opcodes.has(insn.insnIndex), `insn ${insn.insnIndex} exists in the object`).to.equal(true);
          // libbpf rewrote a poisoned CO-RE instruction into a call; other opcodes are unchanged.
          if (insn.opcode === undefined || insn.text.startsWith('call unknown#')) continue;
          expect(insn.opcode, insn.raw).to.equal(opcodes.get(insn.insnIndex));
          checked++;
        }
        expect(checked).to.be.greaterThan(0);
      });

      it(`${name}: source records point at the lines of the C source they quote`, () => {
        const object = objectOf(name);
        const lines = sourceLines(object);
        const log = parseVerifierLog(readFixture(name));
        const sources = log.records.filter((r): r is SourceRecord => r.kind === 'source');
        expect(sources.length).to.be.greaterThan(0);
        for (const { source } of sources) {
          expect(source.file).to.equal(`${object}.bpf.c`);
          if (source.line === 0 || source.line === undefined) continue;
          expect(lines[source.line - 1]?.trim(), `${object}.bpf.c:${source.line}`).to.equal(source.text);
        }
      });

    }
  });

  it('places every branch state (`from X to Y:` or glued to its jump) where the jump points', () => {
    let checked = 0;
    for (const name of FIXTURES) {
      const log = parseVerifierLog(readFixture(name));
      for (const s of states(log)) {
        const gluedJump = instructions(log).find((i) => i.lineNo === s.lineNo);
        const jump = s.fromInsn !== undefined ? lastInstruction(log, s.fromInsn) : gluedJump;
        if (!jump) continue;
        expect(jumpTarget(jump), `${name}: ${s.raw}`).to.equal(s.insnIndex);
        checked++;
      }
    }
    // branch_null_deref (level 1 glued, level 2 twice) and infinite_loop (glued).
    expect(checked).to.be.greaterThanOrEqual(4);
  });

  describe('null_deref (level 1)', () => {
    const log = parseVerifierLog(readFixture('null_deref'));

    it('reads the entry state, the lookup result and the failing dereference', () => {
      const entry = states(log)[0];
      expect(entry?.insnIndex).to.equal(0);
      expect(register(entry?.state, 'R1').type).to.equal('ctx');
      expect(register(entry?.state, 'R10')).to.include({ type: 'fp', offset: 0 });

      const call = lastInstruction(log, 6);
      expect(call.opcode).to.equal(0x85);
      expect(call.text).to.equal('call bpf_map_lookup_elem#1');
      const r0 = register(call.state, 'R0');
      expect(r0).to.include({ type: 'map_value_or_null', nullable: true, id: 1 });
      expect(r0.map).to.deep.equal({ name: 'counts', keySize: 4, valueSize: 8 });

      expect(log.failedInsn).to.equal(7);
      expect(lastInstruction(log, 7).text).to.equal('r0 = *(u64 *)(r0 +0)');
      expect(log.errors).to.deep.equal(["R0 invalid mem access 'map_value_or_null'"]);
      expect(log.failedSource).to.deep.equal({ text: 'return *value;', file: 'null_deref.bpf.c', line: lineOf('null_deref', 'return *value;') });
      expect(log.truncated).to.equal(false);
      expect(log.insnsProcessed).to.equal(7);
    });

    it('parses scalar bounds, tnums and stack slots', () => {
      const load = lastInstruction(log, 0);
      const r1 = register(load.state, 'R1');
      expect(r1.type).to.equal('scalar');
      expect(r1.bounds).to.deep.equal({ smin: 0n, smax: 0xffffffffn, umax: 0xffffffffn, varOff: { value: 0n, mask: 0xffffffffn } });
      const store = lastInstruction(log, 1);
      expect(store.state?.stack).to.have.length(1);
      expect(store.state?.stack[0]).to.include({ offset: -8, slotTypes: 'mmmm????' });
    });

    it('keeps the summary counters', () => {
      const summary = log.records.find((r) => r.kind === 'summary');
      expect(summary).to.include({ insnsProcessed: 7, insnLimit: 1000000 });
      expect(summary?.kind === 'summary' ? summary.counters : {}).to.include({ max_states_per_insn: 0, total_states: 0 });
    });

    it('treats a `;  @ file:0` comment as a source record without a usable line', () => {
      const zero = log.records.find((r): r is SourceRecord => r.kind === 'source' && r.source.line === 0);
      expect(zero?.source).to.deep.equal({ text: '', file: 'null_deref.bpf.c', line: 0 });
    });
  });

  describe('level 2 logs', () => {
    it('parses func#N, the live-register table and the statistics notes', () => {
      const log = parseVerifierLog(readFixture('null_deref.level2'));
      expect(log.records[0]).to.include({ kind: 'function', funcIndex: 0, insnIndex: 0 });
      const live = log.records.filter((r): r is LiveRegistersRecord => r.kind === 'live-registers');
      // One row per instruction slot the object has (ld_imm64 takes two slots, shown once).
      expect(live.map((r) => r.insnIndex)).to.deep.equal([0, 1, 2, 3, 4, 6, 7, 8]);
      // bpf_map_lookup_elem(map, key) reads r1 and r2; the dereference reads r0.
      expect(live.find((r) => r.insnIndex === 6)?.live).to.deep.equal([1, 2]);
      expect(live.find((r) => r.insnIndex === 7)?.live).to.deep.equal([0]);
      const topics = log.records.flatMap((r) => (r.kind === 'note' ? [r.topic] : []));
      expect(topics).to.include.members(['live-registers-heading', 'verification-time', 'stack-depth']);
      expect(log.errors).to.deep.equal(["R0 invalid mem access 'map_value_or_null'"]);
    });

    it('parses standalone `N: R...` states between precision-tracking notes', () => {
      const log = parseVerifierLog(readFixture('unbounded_access.level2'));
      expect(log.records.some((r) => r.kind === 'note' && r.topic === 'precision')).to.equal(true);
      const at3 = states(log).find((s) => s.insnIndex === 3);
      expect(register(at3?.state, 'R6').value).to.equal(0n);
      expect(at3?.state.stack[0]).to.include({ offset: -8, slotTypes: '0000????' });
      const at11 = states(log).find((s) => s.insnIndex === 11);
      const r0 = register(at11?.state, 'R0');
      expect(r0.type).to.equal('map_value');
      expect(r0.map).to.deep.equal({ name: 'slots', keySize: 4, valueSize: 64 });
      expect(r0.bounds.umax).to.equal(0xffffffffn);
    });

    it('parses `from X to Y:` branch states and fails on the popped branch', () => {
      const log = parseVerifierLog(readFixture('branch_null_deref.level2'));
      const branches = states(log).filter((s) => s.fromInsn !== undefined);
      expect(branches.map((s) => [s.fromInsn, s.insnIndex])).to.deep.equal([[9, 15], [8, 12]]);
      expect(register(branches[0]?.state, 'R0').value).to.equal(0n);
      expect(register(branches[1]?.state, 'R0').nullable).to.equal(true);
      expect(log.failedInsn).to.equal(12);
      expect(log.failedSource?.line).to.equal(lineOf('branch_null_deref', 'return *value + len;'));
      expect(log.records.some((r) => r.kind === 'note' && r.topic === 'stack-liveness')).to.equal(true);
    });
  });

  describe('subprograms', () => {
    it('reads func#N starts, frame numbers and the caller/callee states of a call', () => {
      const log = parseVerifierLog(readFixture('subprog_null_deref.level2'));
      const funcs = log.records.flatMap((r) => (r.kind === 'function' ? [[r.funcIndex, r.insnIndex]] : []));
      const call = lastInstruction(log, 8);
      expect(call.text).to.equal('call pc+1');
      // func#1 starts where the call points.
      expect(funcs).to.deep.equal([[0, 0], [1, jumpTarget({ ...call, text: 'goto pc+1' })]]);
      const labelled = states(log).filter((s) => s.label !== undefined);
      expect(labelled.map((s) => [s.label, s.state.frame, s.state.registers.map((r) => r.reg)])).to.deep.equal([
        ['caller', undefined, []],
        ['caller', undefined, ['R10']],
        ['callee', undefined, []],
        ['callee', 1, ['R1', 'R10']],
      ]);
      const entry = states(log).find((s) => s.insnIndex === 10);
      expect(entry?.state.frame).to.equal(1);
      expect(register(entry?.state, 'R1').nullable).to.equal(true);
      expect(log.failedInsn).to.equal(10);
      expect(log.failedSource?.line).to.equal(lineOf('subprog_null_deref', 'return *value;'));
    });
  });

  describe('lines the kernel glues together', () => {
    it('splits a jump from the branch-target state printed on the same line (level 1)', () => {
      const log = parseVerifierLog(readFixture('branch_null_deref'));
      const jump = lastInstruction(log, 8);
      expect(jump.text).to.equal('if r7 > 0x63 goto pc+3');
      const glued = states(log).find((s) => s.lineNo === jump.lineNo);
      expect(glued?.insnIndex).to.equal(jumpTarget(jump));
      expect(register(glued?.state, 'R7').bounds.umin).to.equal(100n);
      expect(glued?.state.stack[0]?.slotTypes).to.equal('0000????');
    });

    it('splits a jump from the source comment of its target printed on the same line', () => {
      const log = parseVerifierLog(readFixture('infinite_loop'));
      const lastJump = instructions(log).at(-1);
      expect(lastJump?.text).to.equal('if r2 != 0x0 goto pc-4');
      expect(lastJump?.state).to.equal(undefined);
      const glued = log.records.find((r): r is SourceRecord => r.kind === 'source' && r.lineNo === lastJump?.lineNo);
      expect(glued?.source).to.deep.equal({
        text: 'asm volatile("" : "+r"(n));',
        file: 'infinite_loop.bpf.c',
        line: lineOf('infinite_loop', 'asm volatile("" : "+r"(n));'),
      });
      // The glued comment belongs to the jump's target, so the failing line is the one before.
      expect(log.failedSource?.line).to.equal(lineOf('infinite_loop', 'while (n)'));
      const labels = states(log).flatMap((s) => (s.label !== undefined ? [s.label] : []));
      expect(labels).to.deep.equal(['cur state', 'old state']);
    });
  });

  describe('libbpf-rewritten and truncated logs', () => {
    it('reads libbpf\'s `<invalid CO-RE relocation>` instruction and the relocation it names', () => {
      const log = parseVerifierLog(readFixture('core_missing_field'));
      const patched = lastInstruction(log, 1);
      expect(patched.opcode).to.equal(undefined);
      expect(patched.text).to.equal('<invalid CO-RE relocation>');
      expect(log.errors).to.have.length(1);
      expect(log.errors[0]).to.match(/^failed to resolve CO-RE relocation .*task_struct___old\.nonexistent_field/);
      // A warning printed before the walk is not an error.
      expect(log.records[0]?.kind).to.equal('unknown');
    });

    it('parses the tail the rotating log kept of a 1,000,001-instruction walk', () => {
      const text = readFixture('too_many_insns');
      const log = parseVerifierLog(text);
      expect(log.truncated).to.equal(true);
      expect(log.records[0]?.kind).to.equal('unknown');
      expect(log.insnsProcessed).to.equal(1000001);
      expect(log.errors).to.deep.equal(['BPF program is too large. Processed 1000001 insn']);
      // Every iteration walks the same loop body, so instruction records repeat.
      expect(instructions(log).length).to.be.greaterThan(100);
    });

    it('flags a log whose tail was cut (no summary) and still finds the last instruction', () => {
      const text = readFixture('null_deref');
      const cut = text.slice(0, text.indexOf('7: (79)') + 12);
      const log = parseVerifierLog(cut);
      expect(log.truncated).to.equal(true);
      expect(log.insnsProcessed).to.equal(undefined);
      expect(log.failedInsn).to.equal(7);
      expect(log.errors).to.deep.equal([]);
    });

    it('ignores whatever follows the NUL terminator of the log buffer', () => {
      const text = readFixture('bad_return');
      const log = parseVerifierLog(`${text}\0stale bytes from an earlier load\n`);
      expect(log.errors).to.deep.equal(parseVerifierLog(text).errors);
    });

    it('returns an empty, truncated log for empty input', () => {
      expect(parseVerifierLog('')).to.deep.equal({ records: [], errors: [], truncated: true });
    });
  });
});
