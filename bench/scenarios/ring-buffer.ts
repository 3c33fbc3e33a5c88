/**
 * Scenario 2, ring buffer drain: `bench_fill_ring` (SEC("syscall"), run by BPF_PROG_TEST_RUN)
 * fills a 16 MiB ring with records whose first 8 bytes are a sequence number until the ring is
 * full; then only the drain is timed, summing the sequence numbers (checked). bpf-ts's zero-copy
 * `consume()` and copying async iterator vs libbpf `ring_buffer__consume` (bench/c/ring-buffer.c).
 * Targets (64-byte records, records/s): zero-copy >= 0.25x libbpf, iterator >= 0.05x.
 */
import { RingBufferReader } from '../../src/events/index.js';
import type { BpfProgram } from '../../src/loader/index.js';
import { buildC, runC, values } from '../runner/c-program.js';
import { FILL_OBJECT } from '../runner/repo.js';
import type { Row, Target } from '../runner/row.js';
import { alternate, type BenchContext, type Scenario } from '../runner/scenario.js';
import { checkSequenceSum, loadFillObject, sequenceAt, sequenceOf } from './fill-object.js';

const RING_BYTES = 16 << 20;
const RUNS_PER_ROUND = 5;

/** Runs the producer once; returns the first sequence number and how many records it wrote. */
function fill(program: BpfProgram, firstSeq: number, recordSize: number): number {
  const args = new Uint8Array(16);
  const v = new DataView(args.buffer);
  v.setBigUint64(0, BigInt(firstSeq), true);
  v.setUint32(8, recordSize, true);
  const r = program.testRun({ ctx: args });
  if (r.retval !== 0) throw new Error(`bench_fill_ring returned ${r.retval}`);
  return new DataView(r.ctx.buffer, r.ctx.byteOffset).getUint32(12, true);
}

/** Drains with the zero-copy callback; returns records/s. */
function drainInPlace(reader: RingBufferReader, first: number, written: number): number {
  // The sum lives in memory, as the C side's u64 behind its ctx pointer: a captured `let` double
  // would box a new heap number per record (V8 11), work of this callback, not of the reader.
  const sum = new Float64Array(1);
  const t0 = performance.now();
  const n = reader.consume((view, offset) => {
    sum[0] = (sum[0] as number) + sequenceAt(view, offset);
  });
  const ms = performance.now() - t0;
  if (n !== written) throw new Error(`consume() delivered ${n} records, the producer wrote ${written}`);
  checkSequenceSum('zero-copy drain', first, n, sum[0] as number);
  return n / (ms / 1e3);
}

/** Drains with `for await` over copies; returns records/s. */
async function drainIterator(reader: RingBufferReader, first: number, written: number): Promise<number> {
  let sum = 0;
  let n = 0;
  const t0 = performance.now();
  for await (const bytes of reader.records({ signal: AbortSignal.timeout(30_000) })) {
    sum += sequenceOf(bytes);
    if (++n === written) break;
  }
  const ms = performance.now() - t0;
  checkSequenceSum('async-iterator drain', first, n, sum);
  return n / (ms / 1e3);
}

/**
 * The ceiling of any per-record async iterator here: `for await` over an iterator whose next()
 * returns an already-resolved promise, with no ring behind it; records/s for `count` records.
 */
async function forAwaitFloor(count: number): Promise<number> {
  let i = 0;
  const done: IteratorResult<number> = { value: undefined, done: true };
  const iterator: AsyncIterableIterator<number> = {
    next: () => Promise.resolve(i < count ? { value: i++, done: false } : done),
    [Symbol.asyncIterator]: () => iterator,
  };
  let sum = 0;
  const t0 = performance.now();
  for await (const v of iterator) sum += v;
  const ms = performance.now() - t0;
  checkSequenceSum('for-await floor', 0, count, sum);
  return count / (ms / 1e3);
}

interface Case {
  readonly recordSize: number;
  readonly iteratorTarget?: Target;
  readonly inPlaceTarget?: Target;
}

const CASES: readonly Case[] = [
  { recordSize: 64, inPlaceTarget: { minRatio: 0.25 }, iteratorTarget: { minRatio: 0.05 } },
  { recordSize: 256 },
  { recordSize: 4096 },
];

export const ringBuffer: Scenario = {
  name: 'ringbuf',
  title: 'ring buffer drain, 16 MiB ring filled by BPF_PROG_TEST_RUN',
  async run(ctx: BenchContext): Promise<Row[]> {
    const binary = buildC('ring-buffer');
    using obj = await loadFillObject(RING_BYTES);
    const program = obj.program('bench_fill_ring');
    const map = obj.map('bench_ring');
    if (program === undefined || map === undefined) throw new Error('fill.bpf.o lacks bench_fill_ring or bench_ring');
    using reader = RingBufferReader.open(map);
    const rows: Row[] = [];
    let seq = 0;
    const floor: number[] = [];
    const round = async (recordSize: number, inPlace: number[], iterated: number[], runs: number, floorSamples: number[] = []): Promise<void> => {
      // Zero-copy drains first: the iterator's garbage keeps V8's collector threads busy (on the
      // same CPU) for a while after it, which would otherwise land inside the next zero-copy drain.
      for (let i = 0; i < runs; i++) {
        const n = fill(program, seq, recordSize);
        inPlace.push(drainInPlace(reader, seq, n) / 1e6);
        seq += n;
      }
      for (let i = 0; i < runs; i++) {
        const n = fill(program, seq, recordSize);
        iterated.push((await drainIterator(reader, seq, n)) / 1e6);
        seq += n;
        if (recordSize === 64) floorSamples.push((await forAwaitFloor(n)) / 1e6);
      }
    };
    // Warm-up: both drain loops compiled by V8 before anything is timed (libbpf's are compiled C).
    await round(64, [], [], 2);
    for (const c of CASES) {
      const inPlace: number[] = [];
      const iterated: number[] = [];
      const ref: number[] = [];
      await alternate(ctx.rounds, [
        () => round(c.recordSize, inPlace, iterated, RUNS_PER_ROUND, floor),
        () => ref.push(...values(runC(binary, [FILL_OBJECT, String(c.recordSize), String(RUNS_PER_ROUND)]), 'rate').map((r) => r / 1e6)),
      ]);
      const scenario = '2 ring buffer';
      const size = c.recordSize >= 1024 ? `${c.recordSize / 1024} KiB` : `${c.recordSize}-byte`;
      rows.push({ scenario, measure: `${size} records, zero-copy consume()`, unit: 'M rec/s', ts: inPlace, ref, ...(c.inPlaceTarget ? { target: c.inPlaceTarget } : {}) });
      rows.push({ scenario, measure: `${size} records, copying async iterator`, unit: 'M rec/s', ts: iterated, ref, ...(c.iteratorTarget ? { target: c.iteratorTarget } : {}) });
    }
    rows.splice(2, 0, { scenario: '2 ring buffer', measure: 'for-await floor: an empty async iterator, no ring', unit: 'M rec/s', ts: floor, ref: rows[0]?.ref ?? [], note: 'the ceiling of any per-record async iterator here' });
    return rows;
  },
};
