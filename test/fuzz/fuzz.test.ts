/**
 * The short fuzz run of `npm test` (the long one is `npm run fuzz`), and every committed
 * regression case: inputs that once crashed, hung or blew up a parser, replayed exactly.
 * No timing limit here (unit tests assert no timings); a hang still fails by mocha's timeout.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parseBtf } from '../../src/btf/index.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { DEFAULT_LIMITS, generateCase, loadCorpus, newStats, runCase, type Corpus, type Limits, type Regression } from './harness.js';
import { objectLayout } from './layout.js';
import fc from 'fast-check';
import { generatedInput } from './generated.js';
import { runTarget, TARGETS, type TargetInput } from './targets.js';
import { BpfTsError } from '../../src/errors/index.js';
import { DEFAULT_SEED } from './seed.js';

const REGRESSIONS = join(REPO_ROOT, 'test', 'fuzz', 'regressions');
const UNTIMED: Limits = { ...DEFAULT_LIMITS, caseMs: Number.POSITIVE_INFINITY };
const SHORT_CASES = Number(process.env['BPF_TS_FUZZ_CASES'] ?? 3000);

function inputOf(r: Regression): TargetInput {
  const raw = new Uint8Array(gunzipSync(Buffer.from(r.input, 'base64')));
  switch (r.target) {
    case 'verifier-log':
      return { target: r.target, text: Buffer.from(raw).toString('utf8') };
    case 'btf-ext': {
      const bytes = new Uint8Array(readFileSync(join(REPO_ROOT, r.btfFrom ?? '')));
      const btf = objectLayout(bytes).btf;
      if (btf === undefined) throw new Error(`${r.btfFrom} has no .BTF`);
      return { target: r.target, bytes: raw, btf: parseBtf(bytes.subarray(btf.at, btf.at + btf.size)) };
    }
    case 'insns':
      return { target: r.target, bytes: raw, endianness: r.endianness ?? 'little' };
    default:
      return { target: r.target, bytes: raw };
  }
}

describe('fuzz: committed regression cases', function () {
  this.timeout(60_000);
  const files = readdirSync(REGRESSIONS).filter((f) => f.endsWith('.json')).sort();

  it('there are regression cases to replay', function () {
    expect(files.length).to.be.greaterThan(0);
  });

  for (const file of files) {
    const r = JSON.parse(readFileSync(join(REGRESSIONS, file), 'utf8')) as Regression;
    it(`${file}: ${r.target} (was: ${r.problem.slice(0, 100)})`, function () {
      const finding = runCase({ index: 0, object: r.object, how: r.how, input: inputOf(r) }, 0, UNTIMED);
      expect(finding?.problem).to.equal(undefined);
    });
  }
});

describe(`fuzz: short run (seed ${DEFAULT_SEED}, ${SHORT_CASES} cases; npm run fuzz for 100,000)`, function () {
  this.timeout(600_000);
  let corpus: Corpus;
  before(function () {
    corpus = loadCorpus();
  });

  it('every object in bpf/ is in the corpus, and every target gets cases', function () {
    expect(corpus.objects.length).to.be.greaterThan(50);
    expect(corpus.objects.map((o) => o.path)).to.include.members(['bpf/minimal.bpf.o', 'bpf/core.bpf.o', 'bpf/elf-asm/programs-bpfeb.bpf.o']);
    expect(corpus.objects.filter((o) => o.layout.btfExt !== undefined).length).to.be.greaterThan(10);
    expect(corpus.logs.length).to.be.greaterThan(5);
  });

  it('no case throws anything but a BpfTsError, or grows memory past 10x its input', function () {
    const stats = newStats();
    const problems: string[] = [];
    for (let i = 0; i < SHORT_CASES; i++) {
      const c = generateCase(corpus, DEFAULT_SEED, i);
      const finding = runCase(c, DEFAULT_SEED, UNTIMED, stats);
      if (finding !== undefined) problems.push(`case ${i} (${finding.target} of ${finding.object}; ${finding.how}): ${finding.problem}`);
    }
    expect(problems, `replay one with: npm run fuzz -- --seed ${DEFAULT_SEED} --case N`).to.deep.equal([]);
    // The mutations must reach both outcomes and every parser, or the run proves little.
    expect(stats.parsed).to.be.greaterThan(SHORT_CASES / 10);
    expect(stats.refused).to.be.greaterThan(SHORT_CASES / 10);
    expect(Object.keys(stats.byTarget).sort()).to.deep.equal([...TARGETS].sort());
    // A share of the cases is built by fast-check, and those too must go deep enough to parse.
    expect(stats.generatedParsed).to.be.greaterThan(SHORT_CASES / 100);
    expect(stats.generatedRefused).to.be.greaterThan(SHORT_CASES / 100);
  });

  it('the memory check reports a case over its budget, measured twice (a budget below zero)', function () {
    // Not a budget of 0: a collection during the case can free earlier garbage and make the
    // growth negative (3 runs in 10 did). No collection frees a TiB, so both measurements exceed
    // this budget whatever the collector does.
    const c = { index: 0, object: 'bpf/core.bpf.o', how: 'unmutated', input: { target: 'spec' as const, bytes: readFileSync(join(REPO_ROOT, 'bpf/core.bpf.o')) } };
    const finding = runCase(c, DEFAULT_SEED, { ...UNTIMED, memoryFactor: 0, memorySlackBytes: -(2 ** 40) });
    expect(finding?.problem).to.match(/^memory grew -?\d+ bytes for a \d+-byte input$/);
  });
});

describe(`fuzz: fast-check properties (seed ${DEFAULT_SEED}), shrunk to a minimal input on failure`, function () {
  this.timeout(600_000);
  const RUNS = Number(process.env['BPF_TS_FUZZ_PROPERTY_RUNS'] ?? 1000);
  let btf: ReturnType<typeof parseBtf>;
  before(function () {
    const o = loadCorpus().objects.find((x) => x.path === 'bpf/core.bpf.o');
    btf = o!.btf!;
  });

  for (const target of TARGETS) {
    it(`${target}: a generated input parses or is refused with a BpfTsError, nothing else`, function () {
      fc.assert(
        fc.property(generatedInput(target, btf), (input) => {
          runTarget(input).outputs?.();
        }),
        { seed: DEFAULT_SEED, numRuns: RUNS },
      );
    });
  }

  it('the property fails, and shrinks, when a parser throws something else', function () {
    // The check above must be able to fail: a stand-in parser that throws a TypeError on any BTF
    // with a type section is caught, and fast-check shrinks the blob to a smallest such input.
    const result = fc.check(
      fc.property(generatedInput('btf', btf), (input) => {
        if (input.target !== 'btf') return;
        try {
          if (parseBtf(input.bytes).typeCount > 1) throw new TypeError('stand-in crash');
        } catch (e) {
          if (!(e instanceof BpfTsError)) throw e;
        }
      }),
      { seed: DEFAULT_SEED, numRuns: RUNS },
    );
    expect(result.failed).to.equal(true);
    expect(String((result.errorInstance as Error | undefined)?.message)).to.contain('stand-in crash');
    expect(result.numShrinks).to.be.greaterThan(0);
  });
});
