/**
 * The producer of the event-stream soak, a separate process so that it runs on another CPU at
 * full speed while the consumer reads: opens the two producer programs of bpf/soak/stream.bpf.o
 * by id and runs them with BPF_PROG_TEST_RUN in a loop until DURATION_MS have passed: `soak_ring`
 * (BATCH records from the next ring seq), then `soak_perf_out` on each CPU (BATCH / 4 records
 * from that CPU's next seq, `(cpu + 1) << 40` upward). Prints one JSON line: the next seq of the
 * ring and of each CPU.
 * Usage: node stream-producer-child.js RING_PROG_ID PERF_PROG_ID DURATION_MS CPU,CPU,...
 */
import { fileURLToPath } from 'node:url';
import { BpfProgram } from '../../src/loader/index.js';
import { ProgType, progGetFdById } from '../../src/sys/index.js';

/** `BPF_F_TEST_RUN_ON_CPU`. */
export const TEST_RUN_ON_CPU = 1;
/** Ring records per test run. */
export const BATCH = 256;
/** The first perf seq of `cpu`: seqs say which CPU's ring they belong to. */
export function perfSeqBase(cpu: number): number {
  return (cpu + 1) * 2 ** 40;
}

/** `struct ring_args`: first seq, count, discard every. */
export function ringArgs(firstSeq: number, count: number, discardEvery: number): Uint8Array {
  const ctx = new Uint8Array(16);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(0, BigInt(firstSeq), true);
  v.setUint32(8, count, true);
  v.setUint32(12, discardEvery, true);
  return ctx;
}

/** raw_tp args of `soak_perf_out`: first seq, count. */
export function perfArgs(firstSeq: number, count: number): Uint8Array {
  const ctx = new Uint8Array(16);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(0, BigInt(firstSeq), true);
  v.setBigUint64(8, BigInt(count), true);
  return ctx;
}

/** Every this-many-th reserved ring record is discarded (not delivered, counted as discarded). */
export const DISCARD_EVERY = 11;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [ringId, perfId, durationMs] = process.argv.slice(2, 5).map(Number) as [number, number, number];
  const cpus = (process.argv[5] ?? '').split(',').filter((c) => c !== '').map(Number);
  const meta = { section: '', expectedAttachType: 0, attachBtfId: 0, log: '' };
  const ring = new BpfProgram(progGetFdById(ringId), { ...meta, name: 'soak_ring', type: ProgType.SYSCALL });
  const perf = new BpfProgram(progGetFdById(perfId), { ...meta, name: 'soak_perf_out', type: ProgType.RAW_TRACEPOINT });
  let ringSeq = 0;
  const perfSeq = new Map(cpus.map((c) => [c, perfSeqBase(c)]));
  const until = Date.now() + durationMs;
  while (Date.now() < until) {
    if (ring.testRun({ ctx: ringArgs(ringSeq, BATCH, DISCARD_EVERY) }).retval !== 0) throw new Error('soak_ring failed');
    ringSeq += BATCH;
    for (const cpu of cpus) {
      const first = perfSeq.get(cpu) as number;
      const r = perf.testRun({ ctx: perfArgs(first, BATCH / 4), ctxOutSize: 0, flags: TEST_RUN_ON_CPU, cpu });
      if (r.retval !== 0) throw new Error('soak_perf_out failed');
      perfSeq.set(cpu, first + BATCH / 4);
    }
  }
  ring.close();
  perf.close();
  process.stdout.write(`${JSON.stringify({ ringSeq, perfSeq: Object.fromEntries(perfSeq) })}\n`);
}
