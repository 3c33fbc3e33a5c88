import { expect } from 'chai';
import { explainVerifierLog, formatSource, parseVerifierLog, VerifierFailureKind } from '../../src/verifier-log/index.js';
import type { VerifierFailureKind as Kind } from '../../src/verifier-log/index.js';
import { lineOf, objectOf, readFixture } from './fixture-files.js';

interface Case {
  readonly fixture: string;
  readonly kind: Kind;
  /** The start of the C line the verifier rejected (looked up in the .bpf.c, not in the log). */
  readonly line: string;
  /** Words the paragraph must contain to say *why*, beyond the location. */
  readonly mentions: readonly string[];
}

/** One or more captured programs for every kind the brief asks to explain. */
const CASES: readonly Case[] = [
  { fixture: 'null_deref', kind: 'null-pointer-unchecked', line: 'return *value;', mentions: ['bpf_map_lookup_elem', 'NULL', 'R0'] },
  { fixture: 'null_deref.level2', kind: 'null-pointer-unchecked', line: 'return *value;', mentions: ['bpf_map_lookup_elem', 'NULL'] },
  { fixture: 'branch_null_deref', kind: 'null-pointer-unchecked', line: 'return *value + len;', mentions: ['bpf_map_lookup_elem'] },
  { fixture: 'branch_null_deref.level2', kind: 'null-pointer-unchecked', line: 'return *value + len;', mentions: ['bpf_map_lookup_elem'] },
  { fixture: 'subprog_null_deref', kind: 'null-pointer-unchecked', line: 'return *value;', mentions: ['R1', 'bpf_map_lookup_elem'] },
  { fixture: 'subprog_null_deref.level2', kind: 'null-pointer-unchecked', line: 'return *value;', mentions: ['R1', 'bpf_map_lookup_elem'] },
  { fixture: 'unbounded_access', kind: 'unbounded-access', line: 'return slot->bytes[index];', mentions: ['R0', 'bound'] },
  { fixture: 'unbounded_access.level2', kind: 'unbounded-access', line: 'return slot->bytes[index];', mentions: ['R0'] },
  { fixture: 'map_value_oob', kind: 'unbounded-access', line: 'return slot->bytes[index];', mentions: ['offset 64', '64-byte'] },
  { fixture: 'stack_read', kind: 'invalid-stack-read', line: 'asm volatile("%[out]', mentions: ['fp-8', '8 bytes', 'never written'] },
  { fixture: 'stack_indirect_read', kind: 'invalid-stack-read', line: 'return bpf_map_lookup_elem(&counts, &key)', mentions: ['fp-4', 'helper'] },
  { fixture: 'helper_not_allowed', kind: 'helper-not-allowed', line: 'bpf_skb_store_bytes(skb', mentions: ['bpf_skb_store_bytes', '#9', 'program type'] },
  { fixture: 'too_many_insns', kind: 'too-many-instructions', line: 'for (__u32 i = 0;', mentions: ['1000001', 'bpf_loop'] },
  { fixture: 'core_missing_field', kind: 'poisoned-core-relocation', line: 'struct task_struct___old *task', mentions: ['nonexistent_field', 'struct task_struct', 'bpf_core_field_exists'] },
  { fixture: 'core_poison_raw', kind: 'poisoned-core-relocation', line: 'return poisoned();', mentions: ['0xbad2310'] },
  { fixture: 'map_poison_raw', kind: 'poisoned-map-reference', line: 'return poisoned();', mentions: ['#7', 'not created'] },
  { fixture: 'kfunc_poison_raw', kind: 'poisoned-kfunc-call', line: 'return poisoned();', mentions: ['extern #7', 'bpf_ksym_exists'] },
  { fixture: 'infinite_loop', kind: 'infinite-loop', line: 'asm volatile("" : "+r"(n));', mentions: ['instruction 2', 'same state'] },
  { fixture: 'unreleased_ref', kind: 'unreleased-reference', line: '}', mentions: ['bpf_ringbuf_reserve', 'id=2', 'bpf_ringbuf_submit'] },
  { fixture: 'bad_return', kind: 'invalid-return-value', line: 'return 5;', mentions: ['R0', 'smin=5', '[0, 1]'] },
  { fixture: 'uninit_reg', kind: 'uninitialized-register', line: 'asm volatile("r0 = r2;"', mentions: ['R2'] },
  { fixture: 'ctx_write', kind: 'invalid-ctx-access', line: 'skb->len = 0;', mentions: ['writes', 'offset 0', 'context'] },
];

describe('verifier-log: explainVerifierLog', () => {
  it('has a captured program for every kind except the fallback', () => {
    const covered = new Set(CASES.map((c) => c.kind));
    const expected = Object.values(VerifierFailureKind).filter((k) => k !== 'unknown');
    expect([...covered].sort()).to.deep.equal([...expected].sort());
  });

  for (const c of CASES) {
    it(`${c.fixture}: ${c.kind}, at the failing source line, saying why`, () => {
      const object = objectOf(c.fixture);
      const line = lineOf(object, c.line);
      const explanation = explainVerifierLog(parseVerifierLog(readFixture(c.fixture)));
      expect(explanation.kind).to.equal(c.kind);
      expect(explanation.source?.file).to.equal(`${object}.bpf.c`);
      expect(explanation.source?.line).to.equal(line);
      expect(explanation.insnIndex).to.be.a('number');
      expect(explanation.paragraph).to.contain(`instruction ${explanation.insnIndex}`);
      expect(explanation.paragraph).to.contain(`${object}.bpf.c:${line}: ${c.line}`);
      for (const word of c.mentions) expect(explanation.paragraph).to.contain(word);
      expect(explanation.summary).to.not.contain('\n');
      expect(explanation.errorLine).to.be.a('string').and.not.equal('');
    });
  }

  describe('poisoned instructions', () => {
    it('names the missing field from the loader\'s CO-RE failure for the raw 0xbad2310 marker', () => {
      const log = parseVerifierLog(readFixture('core_poison_raw'));
      const poisoned = log.failedInsn ?? -1;
      const explanation = explainVerifierLog(log, {
        coreFailures: [
          { insnIndex: poisoned + 100, description: 'struct mm_struct.other_field' },
          { insnIndex: poisoned, description: 'struct task_struct.nonexistent_field' },
        ],
      });
      expect(explanation.kind).to.equal('poisoned-core-relocation');
      expect(explanation.summary).to.contain('struct task_struct.nonexistent_field');
      expect(explanation.paragraph).to.contain('field `nonexistent_field` of `struct task_struct`');
      expect(explanation.paragraph).to.not.contain('other_field');
    });

    it('names the map and the kfunc behind the raw markers from the loader\'s tables', () => {
      const names = Array.from({ length: 8 }, (_, i) => `name${i}`);
      const map = explainVerifierLog(parseVerifierLog(readFixture('map_poison_raw')), { mapNames: names });
      expect(map.summary).to.equal("BPF map 'name7' is referenced but was not created");
      const kfunc = explainVerifierLog(parseVerifierLog(readFixture('kfunc_poison_raw')), { externNames: names });
      expect(kfunc.summary).to.contain("kfunc 'name7'");
    });

    it('reads libbpf\'s rewritten map and kfunc messages too', () => {
      // What libbpf's fixup_log_missing_map_load()/fixup_log_missing_kfunc_call() leave in place
      // of the two raw lines of map_poison_raw.log.
      const raw = readFixture('map_poison_raw');
      const mapLog = raw
        .replace('4: (85) call unknown#2001000007', '4: <invalid BPF map reference>')
        .replace('invalid func unknown#2001000007', "BPF map 'events' is referenced but wasn't created");
      const map = explainVerifierLog(parseVerifierLog(mapLog));
      expect(map.kind).to.equal('poisoned-map-reference');
      expect(map.summary).to.contain("'events'");
      expect(map.insnIndex).to.equal(4);
      const kfuncLog = raw
        .replace('4: (85) call unknown#2001000007', '4: <invalid kfunc call>')
        .replace('invalid func unknown#2001000007', "kfunc 'bpf_task_acquire' is referenced but wasn't resolved");
      const kfunc = explainVerifierLog(parseVerifierLog(kfuncLog));
      expect(kfunc.kind).to.equal('poisoned-kfunc-call');
      expect(kfunc.summary).to.contain("'bpf_task_acquire'");
    });
  });

  describe('messages of other kernels and paths (derived from the captured logs)', () => {
    // The error line of a real log swapped for the wording another kernel version or code
    // path prints; the rest of the log (instructions, source lines) is real.
    function withError(fixture: string, error: string): ReturnType<typeof explainVerifierLog> {
      const raw = readFixture(fixture);
      const log = parseVerifierLog(raw);
      const swapped = raw.replace(log.errors.join('\n'), error);
      return explainVerifierLog(parseVerifierLog(swapped));
    }

    const variants: readonly [string, string, Kind][] = [
      ['stack_read', 'invalid read from stack off -8+0 size 8', 'invalid-stack-read'],
      ['stack_indirect_read', 'invalid indirect read from stack R2 off -4+0 size 4', 'invalid-stack-read'],
      ['helper_not_allowed', 'unknown func bpf_skb_store_bytes#9', 'helper-not-allowed'],
      ['unbounded_access', 'R0 min value is negative, either use unsigned index or do a if (index >=0) check.', 'unbounded-access'],
      ['unbounded_access', 'R0 max value is outside of the allowed memory range', 'unbounded-access'],
      ['null_deref', 'Possibly NULL pointer passed to helper arg2', 'null-pointer-unchecked'],
      ['infinite_loop', 'back-edge from insn 5 to 2', 'infinite-loop'],
      ['bad_return', 'At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]', 'invalid-return-value'],
      ['uninit_reg', 'R0 !read_ok', 'uninitialized-register'],
      ['helper_not_allowed', 'cannot call GPL-restricted function from non-GPL compatible program', 'helper-not-allowed'],
      ['ctx_write', 'dereference of modified ctx ptr R1 off=4 disallowed', 'invalid-ctx-access'],
      ['map_value_oob', 'invalid access to packet, off=14 size=4, R0(id=0,off=14,r=0)', 'unbounded-access'],
      ['unreleased_ref', 'Unreleased reference id=2 alloc_insn=5', 'unreleased-reference'],
    ];
    for (const [fixture, error, kind] of variants) {
      it(`${JSON.stringify(error)} -> ${kind}`, () => {
        const explanation = withError(fixture, error);
        expect(explanation.kind).to.equal(kind);
        expect(explanation.errorLine).to.equal(error);
      });
    }

    it('says the negative case for `min value is negative`', () => {
      const explanation = withError('unbounded_access', 'R0 min value is negative, either use unsigned index or do a if (index >=0) check.');
      expect(explanation.summary).to.contain('negative');
    });

    it('points a back-edge at the loop, not at the last walked instruction', () => {
      const explanation = withError('infinite_loop', 'back-edge from insn 5 to 2');
      expect(explanation.summary).to.contain('from instruction 5 to 2');
      expect(explanation.paragraph).to.contain('CAP_BPF');
    });

    it('explains a helper id this kernel does not know, not as a poison marker', () => {
      const explanation = withError('core_poison_raw', 'invalid func unknown#300');
      expect(explanation.kind).to.equal('helper-not-allowed');
      expect(explanation.summary).to.equal('helper #300 does not exist in this kernel');
    });
  });

  describe('fallback', () => {
    it('quotes an unrecognised error line and still names the instruction and source line', () => {
      const raw = readFixture('bad_return').replace(/^At program exit.*$/m, 'some future verifier complaint about R0');
      const explanation = explainVerifierLog(parseVerifierLog(raw));
      expect(explanation.kind).to.equal('unknown');
      expect(explanation.summary).to.equal('some future verifier complaint about R0');
      expect(explanation.paragraph).to.contain('"some future verifier complaint about R0"');
      expect(explanation.paragraph).to.contain(`bad_return.bpf.c:${lineOf('bad_return', 'return 5;')}: return 5;`);
    });

    it('says the log was cut when there is no error line and no summary', () => {
      const raw = readFixture('null_deref');
      const explanation = explainVerifierLog(parseVerifierLog(raw.slice(0, raw.indexOf('R0 invalid mem access'))));
      expect(explanation.kind).to.equal('unknown');
      expect(explanation.summary).to.equal('the log ends before the verifier stated an error');
      expect(explanation.insnIndex).to.equal(7);
    });
  });

  it('formats source locations like compilers do', () => {
    expect(formatSource({ text: 'return 5;', file: 'x.bpf.c', line: 8 })).to.equal('x.bpf.c:8: return 5;');
    expect(formatSource({ text: 'return 5;' })).to.equal('return 5;');
  });
});
