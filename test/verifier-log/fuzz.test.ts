import { expect } from 'chai';
import { readdirSync } from 'node:fs';
import { explainVerifierLog, parseVerifierLog, VerifierError, VerifierFailureKind } from '../../src/verifier-log/index.js';
import { FIXTURE_DIR, readFixture } from './fixture-files.js';
import { prng } from '../helpers/prng.js';


// Characters the parser treats specially, plus some it should not care about.
const ALPHABET = ['(', ')', ';', '=', ':', '@', ' ', '\n', '\r', '\0', '#', '_', '-', '+', 'R', '1', '0', 'x', 'f', 'p', "'", 'é', '\u2028', '\t'];

const SEED = Number(process.env['VERIFIER_LOG_FUZZ_SEED'] ?? 0x5eed);
const ITERATIONS = Number(process.env['VERIFIER_LOG_FUZZ_ITERATIONS'] ?? 2000);

function mutate(text: string, rand: () => number): string {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const at = () => Math.floor(rand() * (text.length + 1));
  let lines = text.split('\n');
  switch (Math.floor(rand() * 9)) {
    case 0: return text.slice(0, at()); // fixed-mode log cut at the end
    case 1: return text.slice(at()); // rotating log cut at the start
    case 2: {
      const i = at();
      return text.slice(0, i) + pick(ALPHABET) + text.slice(i + 1);
    }
    case 3: {
      const i = at();
      return text.slice(0, i) + Array.from({ length: 1 + Math.floor(rand() * 40) }, () => pick(ALPHABET)).join('') + text.slice(i);
    }
    case 4:
      lines = lines.filter(() => rand() > 0.2);
      return lines.join('\n');
    case 5: {
      const i = Math.floor(rand() * lines.length);
      lines.splice(i, 0, ...lines.slice(i, i + 1 + Math.floor(rand() * 5)));
      return lines.join('\n');
    }
    case 6:
      return lines.map((l) => (rand() < 0.1 ? l.slice(0, Math.floor(rand() * l.length)) : l)).join('\n');
    case 7:
      return lines.sort(() => rand() - 0.5).join('\n');
    default:
      return lines.join(rand() < 0.5 ? ' ' : '\n\n');
  }
}

describe('verifier-log: fuzzing the parser with mutated real logs', function () {
  this.timeout(120000);
  const fixtures = readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.log')).map((f) => readFixture(f.slice(0, -4)));
  const kinds = new Set<string>(Object.values(VerifierFailureKind));

  it(`${ITERATIONS} mutations (seed ${SEED}): never throws, every line accounted for`, () => {
    const rand = prng(SEED);
    let records = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      let text = fixtures[Math.floor(rand() * fixtures.length)] ?? '';
      const rounds = 1 + Math.floor(rand() * 3);
      for (let r = 0; r < rounds; r++) text = mutate(text, rand);
      const context = `iteration ${i}: ${JSON.stringify(text.slice(0, 200))}`;
      const log = parseVerifierLog(text);
      const explanation = explainVerifierLog(log, { coreFailures: [{ insnIndex: 4, description: 'struct x.y' }], mapNames: [], externNames: [] });
      const error = new VerifierError({ program: 'fuzzed', rawLog: text });
      expect(kinds.has(explanation.kind), context).to.equal(true);
      expect(error.message.startsWith("program 'fuzzed' rejected by the verifier"), context).to.equal(true);
      const body = text.includes('\0') ? text.slice(0, text.indexOf('\0')) : text;
      const lines = body.split('\n');
      const covered = new Set(log.records.map((rec) => rec.lineNo));
      lines.forEach((line, n) => {
        if (line.trim() !== '') expect(covered.has(n), `${context} line ${n}`).to.equal(true);
      });
      // Instruction states are parsed on first access: touch them all.
      for (const rec of log.records) if (rec.kind === 'instruction' && rec.state) records += rec.state.registers.length;
      records += log.records.length;
    }
    expect(records).to.be.greaterThan(ITERATIONS);
  });

  it('random text: never throws', () => {
    const rand = prng(SEED ^ 0xabcdef);
    for (let i = 0; i < 2000; i++) {
      const text = Array.from({ length: Math.floor(rand() * 300) }, () => String.fromCharCode(Math.floor(rand() * 0x3000))).join('');
      const log = parseVerifierLog(text);
      expect(kinds.has(explainVerifierLog(log).kind)).to.equal(true);
    }
  });

  it('pathological lines parse in linear time', () => {
    const long = 200000;
    const inputs = [
      `; ${' '.repeat(long)}x`,
      `0: (bf) ${'('.repeat(long)}`,
      `0: (bf) r0 = r1 ; R1=${'scalar('.repeat(long / 7)}`,
      `${'1: '.repeat(long / 3)}R1=ctx()`,
      `from 1 to 2: ${'R1=ctx() '.repeat(long / 9)}`,
      `; x ${'@ '.repeat(long / 2)}a.c:1`,
    ];
    for (const text of inputs) {
      const start = process.hrtime.bigint();
      parseVerifierLog(text);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      expect(ms, JSON.stringify(text.slice(0, 30))).to.be.lessThan(1000);
    }
  });
});
