/**
 * Test-only access to bpf/events/producers.bpf.o: load it with chosen buffer sizes, run its
 * producers with BPF_PROG_TEST_RUN, read the counters they keep in `stats`, and check records.
 */
import { join } from 'node:path';
import { loadObject, loadObjectSpec, type BpfObject } from '../../src/loader/index.js';
import { BPF_DIR } from '../helpers/paths.js';

export const PRODUCERS_OBJ = join(BPF_DIR, 'events', 'producers.bpf.o');

/** `struct record`: 64 bytes. */
export const RECORD_SIZE = 64;
/** `BPF_RB_NO_WAKEUP` / `BPF_RB_FORCE_WAKEUP`. */
export const RB_NO_WAKEUP = 1;
export const RB_FORCE_WAKEUP = 2;
/** `BPF_F_TEST_RUN_ON_CPU`. */
export const TEST_RUN_ON_CPU = 1;

export const enum StatsSlot {
  RING = 0,
  PERF = 1,
  USER_RING = 2,
}

export interface ProducerStats {
  attempted: bigint;
  submitted: bigint;
  dropped: bigint;
  discarded: bigint;
}

export interface ProducerSizes {
  /** `rb` max_entries. */
  ring?: number;
  /** `urb` max_entries. */
  userRing?: number;
}

export async function loadProducers(sizes: ProducerSizes = {}): Promise<BpfObject> {
  const spec = await loadObjectSpec(PRODUCERS_OBJ);
  for (const m of spec.maps) {
    if (m.name === 'rb' && sizes.ring !== undefined) m.maxEntries = sizes.ring;
    if (m.name === 'urb' && sizes.userRing !== undefined) m.maxEntries = sizes.userRing;
  }
  return loadObject(spec);
}

export interface ProduceArgs {
  firstSeq: bigint;
  count: number;
  discardEvery?: number;
  /** 0: reserve/submit 64-byte records; 1: bpf_ringbuf_output of 16 + (seq % 7) * 8 bytes. */
  mode?: number;
  flags?: number;
}

/** Runs `produce` (syscall program) once. */
export function produceRing(obj: BpfObject, a: ProduceArgs): void {
  const ctx = new Uint8Array(24);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(0, a.firstSeq, true);
  v.setUint32(8, a.count, true);
  v.setUint32(12, a.discardEvery ?? 0, true);
  v.setUint32(16, a.mode ?? 0, true);
  v.setUint32(20, a.flags ?? 0, true);
  const r = mustProgram(obj, 'produce').testRun({ ctx });
  if (r.retval !== 0) throw new Error(`produce returned ${r.retval}`);
}

/** Runs `produce_perf` (raw_tp) on `cpu`: `count` records from `firstSeq` (mode 1: 16 + (seq % 13) * 4 bytes each). */
export function producePerf(obj: BpfObject, cpu: number, firstSeq: bigint, count: number, mode = 0): void {
  const ctx = new Uint8Array(24);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(0, firstSeq, true);
  v.setBigUint64(8, BigInt(count), true);
  v.setBigUint64(16, BigInt(mode), true);
  const r = mustProgram(obj, 'produce_perf').testRun({ ctx, ctxOutSize: 0, flags: TEST_RUN_ON_CPU, cpu });
  if (r.retval !== 0) throw new Error(`produce_perf returned ${r.retval}`);
}

export function readStats(obj: BpfObject, slot: StatsSlot): ProducerStats {
  const key = new Uint8Array(4);
  new DataView(key.buffer).setUint32(0, slot, true);
  const value = obj.map('stats')?.lookup(key);
  if (value === undefined) throw new Error('stats lookup failed');
  const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
  return {
    attempted: v.getBigUint64(0, true),
    submitted: v.getBigUint64(8, true),
    dropped: v.getBigUint64(16, true),
    discarded: v.getBigUint64(24, true),
  };
}

function mustProgram(obj: BpfObject, name: string) {
  const p = obj.program(name);
  if (p === undefined) throw new Error(`program ${name} missing`);
  return p;
}

/** The payload word `i` of record `seq`, as the producers fill it. */
export function payloadWord(seq: bigint, i: number): bigint {
  return BigInt.asUintN(64, seq * 0x9e3779b97f4a7c15n + BigInt(i));
}

/** Length of a mode-1 ring buffer record. */
export function outputLength(seq: bigint): number {
  return 16 + Number(seq % 7n) * 8;
}

/**
 * Checks a record's contents: seq, len field, and the payload words that fit in `length` bytes.
 * Returns the seq. Avoids BigInt when `fast` (only seq and len are checked).
 */
export function checkRecord(view: DataView, offset: number, length: number, expectedLength: number | undefined): bigint {
  const seq = view.getBigUint64(offset, true);
  const len = view.getUint32(offset + 12, true);
  const want = expectedLength ?? len;
  if (length < want || len !== want) throw new Error(`record ${seq}: length ${length}, len field ${len}, want ${want}`);
  for (let i = 0; 16 + 8 * i + 8 <= len; i++) {
    const got = view.getBigUint64(offset + 16 + 8 * i, true);
    if (got !== payloadWord(seq, i)) throw new Error(`record ${seq}: payload word ${i} is ${got}, want ${payloadWord(seq, i)}`);
  }
  return seq;
}
