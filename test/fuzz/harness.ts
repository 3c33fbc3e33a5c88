/**
 * The fuzz harness shared by `npm run fuzz` (100,000 cases) and the short run in `npm test`.
 * Case `i` of seed `s` is generated from its own PRNG seeded with `caseSeed(s, i)`, so any case
 * is replayed alone (`npm run fuzz -- --seed s --case i`) without running the ones before it.
 *
 * Checked per case: only BpfTsError escapes (see targets.ts), the case finishes within the time
 * budget (1 s), and the memory it leaves reachable plus what it allocated without freeing stays
 * under 10x its input (plus a small fixed allowance for the parser's own bookkeeping).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseBtf, type Btf } from '../../src/btf/index.js';
import { parseElf } from '../../src/elf/index.js';
import { Prng } from '../helpers/prng.js';
import { REPO_ROOT } from '../helpers/paths.js';
import { sampleInput } from './generated.js';
import { objectLayout, type ObjectLayout } from './layout.js';
import * as m from './mutate.js';
import { inputSize, runTarget, type Target, type TargetInput } from './targets.js';

/** One committed BPF object with its structure located. */
export interface CorpusObject {
  /** Path relative to the repository root (`bpf/core.bpf.o`). */
  readonly path: string;
  readonly bytes: Uint8Array;
  readonly layout: ObjectLayout;
  readonly sections: ReadonlyArray<{ offset: number; size: number }>;
  /** The unmutated `.BTF`, parsed (for `.BTF.ext` cases). */
  readonly btf: Btf | undefined;
}

export interface Corpus {
  readonly objects: readonly CorpusObject[];
  readonly logs: readonly string[];
}

/** Every `*.o` under `dirs` (recursively) that parses as ELF; others are skipped with a note. */
function findObjects(dir: string, out: string[]): void {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of entries.sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) findObjects(path, out);
    else if (name.endsWith('.o') && st.size > 0) out.push(path);
  }
}

/** The corpus: every object in bpf/ and examples/, and the captured verifier logs. */
export function loadCorpus(): Corpus {
  const paths: string[] = [];
  for (const dir of ['bpf', 'examples']) findObjects(join(REPO_ROOT, dir), paths);
  const objects: CorpusObject[] = [];
  for (const path of paths) {
    const bytes = new Uint8Array(readFileSync(path));
    let layout: ObjectLayout;
    let sections: Array<{ offset: number; size: number }>;
    try {
      layout = objectLayout(bytes);
      sections = parseElf(bytes).sections.map((s) => ({ offset: s.offset, size: s.type === 8 ? 0 : s.size }));
    } catch {
      continue; // not a BPF ELF object (none in the tree today)
    }
    let btf: Btf | undefined;
    if (layout.btf !== undefined) {
      try {
        btf = parseBtf(bytes.subarray(layout.btf.at, layout.btf.at + layout.btf.size));
      } catch {
        btf = undefined;
      }
    }
    objects.push({ path: relative(REPO_ROOT, path), bytes, layout, sections, btf });
  }
  const logDir = join(REPO_ROOT, 'test', 'verifier-log', 'fixtures');
  const logs = readdirSync(logDir).filter((f) => f.endsWith('.log')).sort().map((f) => readFileSync(join(logDir, f), 'utf8'));
  return { objects, logs };
}

/**
 * A short fingerprint of the corpus (paths, sizes, contents). A case is its seed, index and the
 * corpus: when objects are added to bpf/ or examples/, the same seed picks other inputs.
 */
export function corpusFingerprint(corpus: Corpus): string {
  const h = createHash('sha256');
  for (const o of corpus.objects) h.update(o.path).update(o.bytes);
  for (const l of corpus.logs) h.update(l);
  return h.digest('hex').slice(0, 12);
}

/** A 32-bit seed for case `i`: a murmur3-style finalizer of (seed, i), so neighbouring cases differ in every bit. */
export function caseSeed(seed: number, i: number): number {
  let h = (seed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** A generated case: which target, from which object, damaged how. */
export interface FuzzCase {
  readonly index: number;
  readonly object: string;
  readonly how: string;
  readonly input: TargetInput;
}

/** Relative weights: the whole open path gets the most, each parser on its own the rest. */
const WEIGHTS: ReadonlyArray<readonly [Target, number]> = [['spec', 40], ['elf', 15], ['btf', 15], ['btf-ext', 10], ['insns', 10], ['verifier-log', 10]];
const TOTAL_WEIGHT = WEIGHTS.reduce((s, [, w]) => s + w, 0);

function pickTarget(rng: Prng): Target {
  let r = rng.below(TOTAL_WEIGHT);
  for (const [t, w] of WEIGHTS) {
    if (r < w) return t;
    r -= w;
  }
  return 'spec';
}

/** One mutation of a whole object, any strategy. */
function mutateObject(rng: Prng, base: Uint8Array, obj: CorpusObject): m.Mutation {
  const l = obj.layout;
  for (;;) {
    let out: m.Mutation | undefined;
    switch (rng.below(12)) {
      case 0: out = m.byteNoise(rng, base); break;
      case 1: out = m.truncate(rng, base, m.boundariesOf(l, obj.sections)); break;
      case 2: out = rng.below(4) === 0 ? m.swapElfEndianness(base) : m.elfFields(rng, base, l); break;
      case 3: out = m.elfFields(rng, base, l); break;
      case 4: out = m.relocationsOutside(rng, base, l); break;
      case 5: out = m.btfCounts(rng, base, l); break;
      case 6: out = m.btfCycles(rng, base, l); break;
      case 7: out = m.btfStrings(rng, base, l); break;
      case 8: out = rng.below(3) === 0 ? m.btfSwapped(base, l) : m.btfCounts(rng, base, l); break;
      case 9: case 10: out = m.btfExtRecords(rng, base, l); break;
      default: out = m.instructionNoise(rng, base, l); break;
    }
    if (out !== undefined) return out;
  }
}

/** 1 to 3 stacked mutations (a truncation only last, so later ones still hit their slots). */
function mutateStacked(rng: Prng, obj: CorpusObject): m.Mutation {
  const rounds = 1 + (rng.below(3) === 0 ? 1 + rng.below(2) : 0);
  let bytes = obj.bytes;
  const how: string[] = [];
  for (let r = 0; r < rounds; r++) {
    const mut = mutateObject(rng, bytes, obj);
    bytes = mut.bytes;
    how.push(mut.how);
    if (bytes.length < obj.bytes.length) break;
  }
  return { bytes, how: how.join('; ') };
}

/** Cuts a region out of a (mutated) object, clamped to what survived truncation. */
function region(bytes: Uint8Array, at: number, size: number): Uint8Array {
  return bytes.slice(Math.min(at, bytes.length), Math.min(at + size, bytes.length));
}

const LOG_ALPHABET = ['(', ')', ';', '=', ':', '@', ' ', '\n', '\0', '#', '_', '-', '+', 'R', '1', '0', 'x', 'f', 'p', "'", 'é', '\u2028', '\t', 'from ', ' to ', 'R10=fp', 'scalar(', 'map_value(', 'off=', 'imm=', '; R1_w=', 'invalid ', 'processed '];

function mutateLog(rng: Prng, text: string): { text: string; how: string } {
  const at = (): number => rng.below(text.length + 1);
  switch (rng.below(7)) {
    case 0: { const i = at(); return { text: text.slice(0, i), how: `log cut at ${i}` }; }
    case 1: { const i = at(); return { text: text.slice(i), how: `log starts at ${i}` }; }
    case 2: {
      const i = at();
      const ins = Array.from({ length: 1 + rng.below(40) }, () => rng.pick(LOG_ALPHABET)).join('');
      return { text: text.slice(0, i) + ins + text.slice(i + rng.below(8)), how: `log insert at ${i}` };
    }
    case 3: {
      const lines = text.split('\n');
      const i = rng.below(lines.length);
      lines.splice(i, 0, ...Array.from({ length: 1 + rng.below(200) }, () => lines[i] ?? ''));
      return { text: lines.join('\n'), how: `log line ${i} repeated` };
    }
    case 4: return { text: text.split('\n').filter(() => rng.below(5) !== 0).join('\n'), how: 'log lines dropped' };
    case 5: {
      const n = 1 + rng.below(1000);
      return { text: Array.from({ length: n }, () => String.fromCharCode(rng.below(0x3000))).join(''), how: `${n} random chars` };
    }
    default: {
      const digits = text.replace(/\d+/g, () => String(rng.pick([0, 1, 4294967295, -1, 9007199254740993, 1e308, rng.below(100000)])));
      return { text: digits, how: 'log numbers replaced' };
    }
  }
}

/** One case in this many is built from nothing by fast-check (generated.ts), the rest mutate the corpus. */
const GENERATED_ONE_IN = 5;
/** The `how` of a generated case. */
export const GENERATED_HOW = 'generated by fast-check';

/** Generates case `index` of `seed`. */
export function generateCase(corpus: Corpus, seed: number, index: number): FuzzCase {
  const rng = new Prng(caseSeed(seed, index));
  const target = pickTarget(rng);
  if (rng.below(GENERATED_ONE_IN) === 0) {
    const withBtf = rng.pick(corpus.objects.filter((o) => o.btf !== undefined));
    return { index, object: target === 'btf-ext' ? withBtf.path : 'none', how: GENERATED_HOW, input: sampleInput(target, withBtf.btf!, rng.next()) };
  }
  if (target === 'verifier-log') {
    let text = rng.pick(corpus.logs);
    const how: string[] = [];
    for (let r = 1 + rng.below(3); r > 0; r--) {
      const mut = mutateLog(rng, text);
      text = mut.text;
      how.push(mut.how);
    }
    return { index, object: 'verifier-log fixtures', how: how.join('; '), input: { target, text } };
  }
  const candidates = target === 'btf' ? corpus.objects.filter((o) => o.layout.btf !== undefined)
    : target === 'btf-ext' ? corpus.objects.filter((o) => o.layout.btfExt !== undefined && o.btf !== undefined)
    : target === 'insns' ? corpus.objects.filter((o) => o.layout.programs.length > 0)
    : corpus.objects;
  const obj = rng.pick(candidates);
  const mut = mutateStacked(rng, obj);
  const l = obj.layout;
  switch (target) {
    case 'btf': {
      const b = l.btf!;
      let bytes = region(mut.bytes, b.at, b.size);
      if (rng.below(8) === 0) bytes = bytes.subarray(0, rng.below(bytes.length + 1));
      return { index, object: obj.path, how: mut.how, input: { target, bytes } };
    }
    case 'btf-ext': {
      const e = l.btfExt!;
      return { index, object: obj.path, how: mut.how, input: { target, bytes: region(mut.bytes, e.at, e.size), btf: obj.btf! } };
    }
    case 'insns': {
      const p = rng.pick(l.programs);
      const swap = rng.below(5) === 0;
      const endianness = l.little !== swap ? 'little' : 'big';
      return { index, object: obj.path, how: mut.how + (swap ? '; decoded in the other byte order' : ''), input: { target, bytes: region(mut.bytes, p.at, p.size), endianness } };
    }
    default:
      return { index, object: obj.path, how: mut.how, input: { target, bytes: mut.bytes } };
  }
}

export interface Limits {
  /** A case using more CPU time than this is a finding (the issue's 1 s). */
  readonly caseMs: number;
  /** Allowed growth: `factor` x input size plus `slackBytes`. */
  readonly memoryFactor: number;
  readonly memorySlackBytes: number;
}

export const DEFAULT_LIMITS: Limits = { caseMs: 1000, memoryFactor: 10, memorySlackBytes: 4 << 20 };

export interface Finding {
  readonly seed: number;
  readonly index: number;
  readonly target: Target;
  readonly object: string;
  readonly how: string;
  readonly problem: string;
  readonly input: TargetInput;
}

export interface RunStats {
  cases: number;
  parsed: number;
  refused: number;
  /** Cases built by fast-check (generated.ts), by outcome. */
  generatedParsed: number;
  generatedRefused: number;
  byTarget: Record<string, number>;
  slowestMs: number;
  slowestCase: number;
  /** Largest memory growth seen in one case, as a fraction of its budget (1 = at the limit). */
  worstMemoryRatio: number;
}

function heapNow(): number {
  const u = process.memoryUsage();
  return u.heapUsed + u.external + u.arrayBuffers;
}

/**
 * Runs one case and checks it. Memory is the growth of heap + external + array buffers across
 * the call with the result still reachable: garbage that a scavenge did not collect counts too,
 * so this errs on the side of reporting.
 */
export function runCase(c: FuzzCase, seed: number, limits: Limits, stats?: RunStats): Finding | undefined {
  const base = heapNow();
  const started = process.cpuUsage();
  let outcome: 'parsed' | 'refused';
  let grown: number;
  try {
    const r = runTarget(c.input);
    outcome = r.outcome;
    grown = heapNow() - base;
    r.outputs?.();
    const size = inputSize(c.input);
    if (grown > limits.memoryFactor * size + limits.memorySlackBytes) {
      // Growth counts uncollected garbage of earlier cases and one-off JIT allocations too, so an
      // apparent blow-up is measured once more: a real one repeats, since the parsers are
      // deterministic for the same bytes.
      const again = heapNow();
      runTarget(c.input);
      grown = Math.min(grown, heapNow() - again);
    }
  } catch (e) {
    const err = e as Error;
    const where = (err.stack ?? '').split('\n').slice(1, 4).map((l) => l.trim()).join(' < ');
    return { seed, index: c.index, target: c.input.target, object: c.object, how: c.how, problem: `${err?.constructor?.name ?? typeof e}: ${err?.message ?? String(e)} (${where})`, input: c.input };
  }
  // CPU time, not wall time: the machine is shared, and a case must not be blamed for waiting.
  const used = process.cpuUsage(started);
  const ms = (used.user + used.system) / 1000;
  const size = inputSize(c.input);
  if (stats !== undefined) {
    stats.cases++;
    stats[outcome]++;
    if (c.how === GENERATED_HOW) stats[outcome === 'parsed' ? 'generatedParsed' : 'generatedRefused']++;
    stats.byTarget[c.input.target] = (stats.byTarget[c.input.target] ?? 0) + 1;
    if (ms > stats.slowestMs) {
      stats.slowestMs = ms;
      stats.slowestCase = c.index;
    }
    const ratio = grown / (limits.memoryFactor * size + limits.memorySlackBytes);
    if (ratio > stats.worstMemoryRatio) stats.worstMemoryRatio = ratio;
  }
  if (ms > limits.caseMs) return { seed, index: c.index, target: c.input.target, object: c.object, how: c.how, problem: `took ${ms.toFixed(0)} ms (limit ${limits.caseMs} ms)`, input: c.input };
  if (grown > limits.memoryFactor * size + limits.memorySlackBytes) {
    return { seed, index: c.index, target: c.input.target, object: c.object, how: c.how, problem: `memory grew ${grown} bytes for a ${size}-byte input`, input: c.input };
  }
  return undefined;
}

export function newStats(): RunStats {
  return { cases: 0, parsed: 0, refused: 0, generatedParsed: 0, generatedRefused: 0, byTarget: {}, slowestMs: 0, slowestCase: -1, worstMemoryRatio: 0 };
}

/** A finding as a committed regression case (test/fuzz/regressions/*.json). */
export interface Regression {
  readonly target: Target;
  /** What the case was made from and how (for the reader; replay uses `input`). */
  readonly object: string;
  readonly how: string;
  readonly found: string;
  readonly problem: string;
  /** gzip + base64 of the input bytes (UTF-8 text for verifier-log). */
  readonly input: string;
  /** For btf-ext: the object whose `.BTF` the records resolve against. */
  readonly btfFrom?: string;
  /** For insns: the byte order decoded. */
  readonly endianness?: Endianness;
}

type Endianness = 'little' | 'big';

export function toRegression(f: Finding): Regression {
  const raw = f.input.target === 'verifier-log' ? Buffer.from(f.input.text, 'utf8') : f.input.bytes;
  const base = { target: f.target, object: f.object, how: f.how, found: `seed ${f.seed} case ${f.index}`, problem: f.problem, input: gzipSync(raw).toString('base64') };
  if (f.input.target === 'btf-ext') return { ...base, btfFrom: f.object };
  if (f.input.target === 'insns') return { ...base, endianness: f.input.endianness };
  return base;
}
