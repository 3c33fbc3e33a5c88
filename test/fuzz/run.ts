/**
 * `npm run fuzz [-- --seed N] [--cases N] [--case I] [--out DIR]`: the long fuzz run.
 *
 * Cases run in a worker thread watched from the main thread: a case that never returns (a hang
 * JS cannot interrupt from inside) or that exhausts the worker's heap is recorded as a finding
 * with its index, and the run resumes with the next case in a fresh worker. Findings are written
 * to DIR (default .fuzz-out/) in the committed regression format; copy the fixed ones into
 * test/fuzz/regressions/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { REPO_ROOT } from '../helpers/paths.js';
import { DEFAULT_SEED } from './seed.js';
import { corpusFingerprint, DEFAULT_LIMITS, generateCase, loadCorpus, newStats, runCase, toRegression, type Finding, type RunStats } from './harness.js';

const DEFAULT_CASES = 100_000;
/** A case not done after this long is a hang (the 1 s limit itself is checked by the worker). */
const HANG_MS = 10_000;
const WORKER_HEAP_MB = 1024;

interface Options {
  seed: number;
  cases: number;
  only: number | undefined;
  out: string;
  /** With --case: write the case as a regression file here, finding or not. */
  save: string | undefined;
}

function parseArgs(argv: readonly string[]): Options {
  const opts: Options = { seed: DEFAULT_SEED, cases: DEFAULT_CASES, only: undefined, out: join(REPO_ROOT, '.fuzz-out'), save: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    switch (a) {
      case '--seed': opts.seed = Number(value()) >>> 0; break;
      case '--cases': opts.cases = Number(value()); break;
      case '--case': opts.only = Number(value()); break;
      case '--out': opts.out = value(); break;
      case '--save': opts.save = value(); break;
      case '--help': case '-h':
        console.log('usage: npm run fuzz -- [--seed N] [--cases N] [--case I [--save FILE.json]] [--out DIR]');
        process.exit(0);
        break;
      default: throw new Error(`unknown option ${a}`);
    }
  }
  if (!Number.isSafeInteger(opts.cases) || opts.cases < 1) throw new Error(`--cases must be a positive integer`);
  return opts;
}

interface WorkerJob {
  seed: number;
  from: number;
  to: number;
  progress: SharedArrayBuffer;
}

type WorkerMessage = { kind: 'finding'; finding: Finding } | { kind: 'stats'; stats: RunStats } | { kind: 'done' };

/** Stats go to the main thread in slices, so a worker that dies loses at most one slice. */
const STATS_EVERY = 500;

/** Worker side: runs cases [from, to), publishing the current index in `progress[0]`. */
function workerMain(job: WorkerJob): void {
  const corpus = loadCorpus();
  const progress = new Int32Array(job.progress);
  let stats = newStats();
  for (let i = job.from; i < job.to; i++) {
    Atomics.store(progress, 0, i);
    const finding = runCase(generateCase(corpus, job.seed, i), job.seed, DEFAULT_LIMITS, stats);
    if (finding !== undefined) parentPort!.postMessage({ kind: 'finding', finding } satisfies WorkerMessage);
    if (stats.cases === STATS_EVERY) {
      parentPort!.postMessage({ kind: 'stats', stats } satisfies WorkerMessage);
      stats = newStats();
    }
  }
  Atomics.store(progress, 0, job.to);
  parentPort!.postMessage({ kind: 'stats', stats } satisfies WorkerMessage);
  parentPort!.postMessage({ kind: 'done' } satisfies WorkerMessage);
}

/** Runs [from, to) in one worker; resolves with its stats, or with where it died. */
function runWorker(seed: number, from: number, to: number, stats: RunStats, onFinding: (f: Finding) => void): Promise<{ done: boolean; diedAt?: number; why?: string }> {
  const progress = new SharedArrayBuffer(4);
  const view = new Int32Array(progress);
  view[0] = from;
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { seed, from, to, progress } satisfies WorkerJob,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
  });
  return new Promise((resolve) => {
    let done = false;
    let last = from;
    let lastChange = Date.now();
    let killedFor: string | undefined;
    const watchdog = setInterval(() => {
      const now = Atomics.load(view, 0);
      if (now !== last) {
        last = now;
        lastChange = Date.now();
      } else if (Date.now() - lastChange > HANG_MS && killedFor === undefined) {
        killedFor = `no result after ${HANG_MS} ms (hang)`;
        void worker.terminate();
      }
    }, 200);
    worker.on('message', (msg: WorkerMessage) => {
      if (msg.kind === 'finding') onFinding(msg.finding);
      else if (msg.kind === 'stats') mergeStats(stats, msg.stats);
      else done = true;
    });
    worker.on('error', (e) => {
      killedFor ??= `worker died: ${(e as Error).message}`;
    });
    worker.on('exit', () => {
      clearInterval(watchdog);
      if (done) resolve({ done });
      else resolve({ done: false, diedAt: Atomics.load(view, 0), why: killedFor ?? 'worker exited' });
    });
  });
}

function mergeStats(into: RunStats, s: RunStats): void {
  into.cases += s.cases;
  into.parsed += s.parsed;
  into.refused += s.refused;
  into.generatedParsed += s.generatedParsed;
  into.generatedRefused += s.generatedRefused;
  for (const [k, v] of Object.entries(s.byTarget)) into.byTarget[k] = (into.byTarget[k] ?? 0) + v;
  if (s.slowestMs > into.slowestMs) {
    into.slowestMs = s.slowestMs;
    into.slowestCase = s.slowestCase;
  }
  into.worstMemoryRatio = Math.max(into.worstMemoryRatio, s.worstMemoryRatio);
}

function saveFinding(out: string, f: Finding): string {
  mkdirSync(out, { recursive: true });
  const file = join(out, `${f.target}-seed${f.seed}-case${f.index}.json`);
  writeFileSync(file, JSON.stringify(toRegression(f), null, 2) + '\n');
  return file;
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const corpus = loadCorpus();
  console.log(`fuzz: seed ${opts.seed} (0x${opts.seed.toString(16)}), ${opts.only !== undefined ? `case ${opts.only}` : `${opts.cases} cases`}; ` +
    `${corpus.objects.length} objects from bpf/ and examples/, ${corpus.logs.length} verifier logs (corpus ${corpusFingerprint(corpus)})`);
  console.log(`fuzz: replay with: npm run fuzz -- --seed ${opts.seed}${opts.only !== undefined ? ` --case ${opts.only}` : ` --cases ${opts.cases}`}`);

  if (opts.only !== undefined) {
    const c = generateCase(corpus, opts.seed, opts.only);
    console.log(`case ${c.index}: ${c.input.target} of ${c.object}: ${c.how}`);
    const stats = newStats();
    const finding = runCase(c, opts.seed, DEFAULT_LIMITS, stats);
    if (opts.save !== undefined) {
      const problem = finding?.problem ?? 'none now (saved with --save after the fix)';
      writeFileSync(opts.save, JSON.stringify(toRegression({ seed: opts.seed, index: c.index, target: c.input.target, object: c.object, how: c.how, problem, input: c.input }), null, 2) + '\n');
      console.log(`saved ${opts.save}`);
    }
    if (finding === undefined) {
      console.log(`no finding: ${stats.parsed === 1 ? 'parsed' : 'refused'} in ${stats.slowestMs.toFixed(1)} ms, memory ${(stats.worstMemoryRatio * 100).toFixed(0)}% of its budget`);
      return 0;
    }
    console.log(`FINDING: ${finding.problem}\nsaved ${saveFinding(opts.out, finding)}`);
    return 1;
  }

  const started = performance.now();
  const stats = newStats();
  const findings: Finding[] = [];
  const onFinding = (f: Finding): void => {
    findings.push(f);
    console.log(`FINDING case ${f.index} (${f.target}, ${f.object}; ${f.how}): ${f.problem}\n  saved ${saveFinding(opts.out, f)}`);
  };
  const chunk = 10_000;
  for (let from = 0; from < opts.cases; ) {
    const to = Math.min(opts.cases, from + chunk);
    const r = await runWorker(opts.seed, from, to, stats, onFinding);
    if (r.done) {
      from = to;
      const s = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`fuzz: ${to}/${opts.cases} cases, ${findings.length} findings, ${s} s`);
    } else {
      // The worker died in case diedAt: record it, regenerate its input here, go on after it.
      const at = r.diedAt ?? from;
      const c = generateCase(corpus, opts.seed, at);
      onFinding({ seed: opts.seed, index: at, target: c.input.target, object: c.object, how: c.how, problem: r.why ?? 'worker died', input: c.input });
      // The cases of its unfinished stats slice ran, but go uncounted in parsed/refused.
      from = at + 1;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(`fuzz: done: ${opts.cases} cases in ${seconds.toFixed(1)} s (seed ${opts.seed}): ${findings.length} findings; of ${stats.cases} counted, ${stats.parsed} parsed, ${stats.refused} refused with a BpfTsError`);
  console.log(`fuzz: built by fast-check: ${stats.generatedParsed + stats.generatedRefused} (${stats.generatedParsed} parsed, ${stats.generatedRefused} refused); mutated from the corpus: the rest`);
  console.log(`fuzz: per target: ${Object.entries(stats.byTarget).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`fuzz: slowest case ${stats.slowestCase} (${stats.slowestMs.toFixed(1)} ms); largest memory growth ${(stats.worstMemoryRatio * 100).toFixed(0)}% of its budget (10x the input + ${DEFAULT_LIMITS.memorySlackBytes >> 20} MiB)`);
  return findings.length === 0 ? 0 : 1;
}

// Only as the entry point: `npx mocha dist/test/fuzz/` loads every file of the folder.
const isEntry = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (!isMainThread) {
  workerMain(workerData as WorkerJob);
} else if (isEntry) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`fuzz: ${(e as Error).message}`);
      process.exit(2);
    },
  );
}
