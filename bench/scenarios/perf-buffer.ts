/**
 * Scenario 6, perf buffer drain: `bench_fill_perf` (raw_tp, run by BPF_PROG_TEST_RUN on the
 * bench's CPU) writes 64-byte samples (first 8 bytes a sequence number) with
 * bpf_perf_event_output until that CPU's 4 MiB ring is full (the sample that does not fit is reported lost); then only the drain is timed,
 * summing the sequence numbers (checked). bpf-ts `PerfBufferReader.consume()` vs libbpf
 * `perf_buffer__consume` (bench/c/perf-buffer.c). Reported, no target.
 */
import { PerfBufferReader } from '../../src/events/index.js';
import type { BpfProgram } from '../../src/loader/index.js';
import { buildC, runC, values } from '../runner/c-program.js';
import { benchCpu } from '../runner/cpu.js';
import { FILL_OBJECT } from '../runner/repo.js';
import type { Row } from '../runner/row.js';
import { alternate, type BenchContext, type Scenario } from '../runner/scenario.js';
import { checkSequenceSum, loadFillObject, sequenceAt } from './fill-object.js';

const PAGES = 1024;
const MAX_SAMPLES = 1 << 20;
const RUNS_PER_ROUND = 5;
const TEST_RUN_ON_CPU = 1;

function fill(program: BpfProgram, firstSeq: number, cpu: number): void {
  const args = new Uint8Array(16);
  const v = new DataView(args.buffer);
  v.setBigUint64(0, BigInt(firstSeq), true);
  v.setBigUint64(8, BigInt(MAX_SAMPLES), true);
  const r = program.testRun({ ctx: args, ctxOutSize: 0, flags: TEST_RUN_ON_CPU, cpu });
  if (r.retval !== 0) throw new Error(`bench_fill_perf returned ${r.retval}`);
}

/** Drains in place; returns [records/s, records]. */
function drain(reader: PerfBufferReader, first: number): [number, number] {
  // In memory, as the C side's sum: see the ring buffer scenario's drainInPlace.
  const sum = new Float64Array(1);
  const t0 = performance.now();
  const n = reader.consume((view, offset) => {
    sum[0] = (sum[0] as number) + sequenceAt(view, offset);
  });
  const ms = performance.now() - t0;
  if (n === 0) throw new Error('the perf buffer drain found no samples');
  checkSequenceSum('perf buffer drain', first, n, sum[0] as number);
  return [n / (ms / 1e3), n];
}

export const perfBuffer: Scenario = {
  name: 'perfbuf',
  title: `perf buffer drain, 64-byte samples, ${PAGES} pages per CPU`,
  async run(ctx: BenchContext): Promise<Row[]> {
    const binary = buildC('perf-buffer');
    const cpu = benchCpu() ?? 0;
    using obj = await loadFillObject();
    const program = obj.program('bench_fill_perf');
    const map = obj.map('bench_perf');
    if (program === undefined || map === undefined) throw new Error('fill.bpf.o lacks bench_fill_perf or bench_perf');
    // Every online CPU, as perf_buffer__new does; only `cpu`'s ring fills.
    using reader = PerfBufferReader.open(map, { pageCount: PAGES, onLost: () => {} });
    const ts: number[] = [];
    const ref: number[] = [];
    let seq = 0;
    const round = (samples: number[], runs: number): void => {
      for (let i = 0; i < runs; i++) {
        fill(program, seq, cpu);
        const [rate, n] = drain(reader, seq);
        samples.push(rate / 1e6);
        seq += n;
      }
    };
    round([], 2); // warm-up: the drain loop compiled before anything is timed
    await alternate(ctx.rounds, [
      () => round(ts, RUNS_PER_ROUND),
      () => ref.push(...values(runC(binary, [FILL_OBJECT, String(PAGES), String(cpu), String(RUNS_PER_ROUND)]), 'rate').map((r) => r / 1e6)),
    ]);
    return [{ scenario: '6 perf buffer', measure: '64-byte samples, zero-copy consume()', unit: 'M rec/s', ts, ref }];
  },
};
