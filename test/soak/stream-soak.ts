/**
 * The event-stream soak: bpf/soak/stream.bpf.o's producers run at full speed in another process
 * (stream-producer-child.ts) for DURATION_MS while this process reads the ring buffer and the
 * perf buffer, fast and slowed in turns (every PHASE_MS: slow = at most 32 records per batch and
 * a 20 ms pause between batches, so the kernel drops). Every record is checked: seq strictly
 * increasing per stream, length, payload words and the FNV-1a checksum the producer computed.
 * At the end, with the producer gone, the rings are drained and one more perf sample per CPU
 * makes the kernel report the last losses; then, per stream, received == submitted, received +
 * dropped (+ discarded) == attempted with the kernel's counters, perf's lost count == the
 * kernel's failed outputs, and the 32-bit sum of the received seqs == the kernel's sum of the
 * accepted ones. RSS is sampled all along. A second part closes readers at random moments
 * while their waits are pending and the producer runs: every wait must settle.
 *
 * Run as a child (`node FLAGS stream-soak.js DURATION_MS [CLOSE_ROUNDS]`) by the test and by
 * `npm run soak`; prints one JSON line ({@link StreamSoakResult}).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PerfBufferReader, RingBufferReader } from '../../src/events/index.js';
import { loadObject, type BpfObject } from '../../src/loader/index.js';
import { onlineCpus } from '../../src/sys/index.js';
import { BPF_DIR } from '../helpers/paths.js';
import { SOAK_DIR } from './child.js';
import { collectGarbage, rss, touchYoungGeneration } from './census.js';
import { TEST_RUN_ON_CPU, perfArgs, perfSeqBase } from './stream-producer-child.js';
import { mib } from './resource-cycles.js';

export const STREAM_OBJ = join(BPF_DIR, 'soak', 'stream.bpf.o');
const WORDS = 12;
const PHASE_MS = 500;

/** One stream's tally (the ring, or one CPU's perf ring). */
interface Tally {
  received: number;
  last: number;
  sum32: number;
}

interface KernelStats {
  attempted: number;
  submitted: number;
  dropped: number;
  discarded: number;
  seqSum32: number;
}

export interface StreamSoakResult {
  readonly durationMs: number;
  readonly ring: { readonly received: number; readonly sum32: number; readonly kernel: KernelStats };
  readonly perf: { readonly cpu: number; readonly received: number; readonly lost: number; readonly sum32: number; readonly kernel: KernelStats }[];
  /** Records checked that failed a check (the first few described). */
  readonly corrupt: number;
  readonly problems: string[];
  readonly rssStart: number;
  readonly rssEnd: number;
  readonly rssMax: number;
  /** RSS in MiB, once a second. */
  readonly rssTimeline: number[];
  readonly closeRounds: number;
  /** Close rounds whose waits did not settle within 2 s. */
  readonly hungCloses: number;
  /** How the ring waits closed in those rounds ended (resolved count, 'done', 'error'). */
  readonly closeOutcomes: Record<string, number>;
}

/** murmur3's fmix32, as the producer computes payload words. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Checks one record (`length` bytes at `off`; perf samples arrive padded) and returns its seq,
 * or a description of what is wrong.
 */
export function checkStreamRecord(view: DataView, off: number, length: number, padded: boolean): number | string {
  const lo = view.getUint32(off, true);
  const hi = view.getUint32(off + 4, true);
  const seq = hi * 2 ** 32 + lo;
  const len = view.getUint32(off + 8, true);
  const k = (len - 16) / 4;
  const wantK = padded || seq % 3 === 0 ? seq % (WORDS + 1) : WORDS;
  if (k !== wantK) return `seq ${seq}: len field ${len}, want ${16 + 4 * wantK}`;
  const wantLength = padded ? ((len + 4 + 7) & ~7) - 4 : len;
  if (length !== wantLength) return `seq ${seq}: record of ${length} bytes, want ${wantLength}`;
  let check = (0x811c9dc5 ^ hi) >>> 0;
  for (let i = 0; i < k; i++) {
    const w = view.getUint32(off + 16 + 4 * i, true);
    if (w !== mix((lo ^ Math.imul(i, 0x9e3779b9)) >>> 0)) return `seq ${seq}: payload word ${i} is ${w}`;
    check = Math.imul(check ^ w, 0x01000193) >>> 0;
  }
  if (view.getUint32(off + 12, true) !== check) return `seq ${seq}: checksum ${view.getUint32(off + 12, true)}, payload's ${check}`;
  return seq;
}

function readStats(obj: BpfObject, slot: number): KernelStats {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const v = obj.map('soak_stats')?.lookup(key);
  if (v === undefined) throw new Error(`soak_stats[${slot}] missing`);
  const d = new DataView(v.buffer, v.byteOffset, v.byteLength);
  const n = (at: number): number => Number(d.getBigUint64(at, true));
  return { attempted: n(0), submitted: n(8), dropped: n(16), discarded: n(24), seqSum32: n(32) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts the producer process; `done` resolves its JSON when it exits. */
function startProducer(obj: BpfObject, durationMs: number, cpus: readonly number[]): { child: ChildProcess; done: Promise<unknown> } {
  const ringId = obj.program('soak_ring')?.info().id;
  const perfId = obj.program('soak_perf_out')?.info().id;
  const child = spawn(process.execPath, [join(SOAK_DIR, 'stream-producer-child.js'), String(ringId), String(perfId), String(durationMs), cpus.join(',')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise((resolve, reject) => {
    child.on('close', (code, signal) => (code === 0 ? resolve(JSON.parse(out) as unknown) : reject(new Error(`producer exited ${code ?? signal}: ${out}`))));
  });
  return { child, done };
}

export async function runStreamSoak(durationMs: number, closeRounds: number): Promise<StreamSoakResult> {
  const started = performance.now();
  const cpus = onlineCpus();
  using obj = await loadObject(STREAM_OBJ);
  const problems: string[] = [];
  let corrupt = 0;
  const bad = (what: string): void => {
    corrupt++;
    if (problems.length < 10) problems.push(what);
  };
  const ringTally: Tally = { received: 0, last: -1, sum32: 0 };
  const perfTally = new Map<number, Tally>(cpus.map((c) => [c, { received: 0, last: perfSeqBase(c) - 1, sum32: 0 }]));
  let slow = false;
  const budget = { ring: 0, perf: 0 };
  const take = (t: Tally, seq: number): void => {
    if (seq <= t.last) bad(`seq ${seq} after ${t.last}`);
    t.last = seq;
    t.received++;
    t.sum32 = (t.sum32 + (seq % 2 ** 32)) >>> 0;
  };
  const onRing = (view: DataView, off: number, len: number): boolean => {
    const r = checkStreamRecord(view, off, len, false);
    if (typeof r === 'string') bad(`ring: ${r}`);
    else take(ringTally, r);
    return !slow || --budget.ring > 0;
  };
  const onPerf = (view: DataView, off: number, len: number): boolean => {
    const r = checkStreamRecord(view, off, len, true);
    if (typeof r === 'string') {
      bad(`perf: ${r}`);
      return true;
    }
    const cpu = Math.floor(r / 2 ** 40) - 1;
    const t = perfTally.get(cpu);
    if (t === undefined) bad(`perf: seq ${r} of no CPU`);
    else take(t, r);
    return !slow || --budget.perf > 0;
  };
  const ring = RingBufferReader.open(obj.map('soak_rb') as NonNullable<ReturnType<BpfObject['map']>>);
  const perf = PerfBufferReader.open(obj.map('soak_perf') as NonNullable<ReturnType<BpfObject['map']>>, { cpus, pageCount: 8 });

  touchYoungGeneration();
  // RSS after a warm-up with the producer running (rings, JIT, first perf reassembly buffers),
  // then the largest sample after it.
  const warmupMs = Math.min(1000, durationMs / 3);
  const t0 = performance.now();
  let rssStart = 0;
  let rssMax = 0;
  const rssTimeline: number[] = [];
  let ticks = 0;
  const sampler = setInterval(() => {
    const now = rss();
    if (ticks++ % 10 === 0) rssTimeline.push(Math.round(now / 2 ** 20));
    if (performance.now() - t0 < warmupMs) rssStart = now;
    else rssMax = Math.max(rssMax, now);
  }, 100);
  const phases = setInterval(() => (slow = !slow), PHASE_MS);
  let producing = true;
  const producer = startProducer(obj, durationMs, cpus).done.finally(() => (producing = false));
  const loop = async (which: 'ring' | 'perf', reader: RingBufferReader | PerfBufferReader, cb: (v: DataView, o: number, l: number) => boolean): Promise<void> => {
    while (producing) {
      budget[which] = 32;
      await reader.poll(cb, { timeoutMs: 50 });
      if (slow) await sleep(20);
    }
  };
  await Promise.all([loop('ring', ring, onRing), loop('perf', perf, onPerf), producer]);
  clearInterval(phases);
  slow = false;
  // The producer is gone: drain, then one sample per CPU brings the kernel's last loss report.
  while (ring.consume(onRing) > 0);
  while (perf.consume(onPerf) > 0);
  const flushProg = obj.program('soak_perf_out');
  for (const cpu of cpus) {
    const next = readStats(obj, 1 + cpu).attempted + perfSeqBase(cpu);
    flushProg?.testRun({ ctx: perfArgs(next, 1), ctxOutSize: 0, flags: TEST_RUN_ON_CPU, cpu });
  }
  while (perf.consume(onPerf) > 0);
  collectGarbage();
  const rssEnd = rss();
  clearInterval(sampler);
  rssMax = Math.max(rssMax, rssEnd);
  if (rssStart === 0) rssStart = rssEnd;
  const ringStats = readStats(obj, 0);
  const result = {
    ring: { received: ringTally.received, sum32: ringTally.sum32, kernel: ringStats },
    perf: cpus.map((cpu) => {
      const t = perfTally.get(cpu) as Tally;
      return { cpu, received: t.received, lost: perf.lost(cpu), sum32: t.sum32, kernel: readStats(obj, 1 + cpu) };
    }),
  };
  ring.close();
  perf.close();

  // Closing readers while waits are pending and the producer runs.
  const closeOutcomes: Record<string, number> = {};
  let hungCloses = 0;
  if (closeRounds > 0) {
    const producer2 = startProducer(obj, 600_000, cpus);
    const note = (k: string): void => void (closeOutcomes[k] = (closeOutcomes[k] ?? 0) + 1);
    for (let round = 0; round < closeRounds; round++) {
      const r = RingBufferReader.open(obj.map('soak_rb') as NonNullable<ReturnType<BpfObject['map']>>);
      const p = PerfBufferReader.open(obj.map('soak_perf') as NonNullable<ReturnType<BpfObject['map']>>, { cpus });
      // Drained first, so that the next wait goes to the kernel.
      while (r.consume(() => {}) > 0);
      while (p.consume(() => {}) > 0);
      const iterate = (async () => {
        let n = 0;
        for await (const rec of r.records()) n += rec.length > 0 ? 1 : 0;
        return n;
      })().then(() => 'done', () => 'error');
      const polled = p.poll(() => {}).then(() => 'resolved', () => 'error');
      await sleep(round % 7);
      r.close();
      p.close();
      const watchdog = sleep(2000).then(() => 'hung');
      const [a, b] = await Promise.all([Promise.race([iterate, watchdog]), Promise.race([polled, watchdog])]);
      if (a === 'hung' || b === 'hung') hungCloses++;
      note(`ring ${a}`);
      note(`perf ${b}`);
    }
    const ended = producer2.done.catch(() => undefined);
    producer2.child.kill('SIGTERM');
    await ended;
  }
  return {
    durationMs: Math.round(performance.now() - started),
    ...result,
    corrupt,
    problems,
    rssStart,
    rssEnd,
    rssMax,
    rssTimeline,
    closeRounds,
    hungCloses,
    closeOutcomes,
  };
}

/**
 * RSS may rise at most this far above its level after the warm-up, at any sample: about twice
 * the largest rise measured (12.6 and 11.6 MiB in 60 s runs, 6.3 MiB in 3 s runs; docs/soak.md).
 */
export const STREAM_RSS_TOLERANCE = 24 * 2 ** 20;

/** What a run must show; returns the failures (empty: passed). */
export function streamFailures(r: StreamSoakResult, rssTolerance = STREAM_RSS_TOLERANCE): string[] {
  const out: string[] = [...r.problems.map((p) => `corrupt: ${p}`)];
  if (r.corrupt > 0) out.push(`${r.corrupt} records failed their checks`);
  const k = r.ring.kernel;
  if (k.dropped === 0) out.push('the ring never dropped: the consumer was never outrun');
  if (r.ring.received !== k.submitted) out.push(`ring: received ${r.ring.received}, kernel submitted ${k.submitted}`);
  if (r.ring.received + k.dropped + k.discarded !== k.attempted) out.push(`ring: received ${r.ring.received} + dropped ${k.dropped} + discarded ${k.discarded} != attempted ${k.attempted}`);
  if (r.ring.sum32 !== k.seqSum32) out.push(`ring: sum of received seqs ${r.ring.sum32}, of submitted ${k.seqSum32}`);
  let perfDropped = 0;
  for (const p of r.perf) {
    const pk = p.kernel;
    perfDropped += pk.dropped;
    if (p.received !== pk.submitted) out.push(`perf cpu ${p.cpu}: received ${p.received}, kernel submitted ${pk.submitted}`);
    if (p.lost !== pk.dropped) out.push(`perf cpu ${p.cpu}: reader lost ${p.lost}, kernel failed outputs ${pk.dropped}`);
    if (p.received + p.lost !== pk.attempted) out.push(`perf cpu ${p.cpu}: received ${p.received} + lost ${p.lost} != attempted ${pk.attempted}`);
    if (p.sum32 !== pk.seqSum32) out.push(`perf cpu ${p.cpu}: sum of received seqs ${p.sum32}, of submitted ${pk.seqSum32}`);
  }
  if (perfDropped === 0) out.push('perf never lost a sample: the consumer was never outrun');
  if (r.rssMax - r.rssStart > rssTolerance) out.push(`RSS rose ${mib(r.rssMax - r.rssStart)} above its start (tolerance ${mib(rssTolerance)})`);
  if (r.hungCloses > 0) out.push(`${r.hungCloses} of ${r.closeRounds} closes left a wait unsettled`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const durationMs = Number(process.argv[2] ?? '3000');
  const closeRounds = Number(process.argv[3] ?? '50');
  process.stdout.write(`${JSON.stringify(await runStreamSoak(durationMs, closeRounds))}\n`);
}
