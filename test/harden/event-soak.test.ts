/**
 * Event streams under load: a producer at full speed (back-to-back BPF_PROG_TEST_RUN batches)
 * into a ring buffer and a perf buffer, with a consumer that keeps up for a while and then falls
 * behind (reads only every 8th batch, and after a pause). Every accepted record must arrive once,
 * in order, with its payload intact; drops must be counted exactly (the kernel-side failed
 * reserves for the ring, PERF_RECORD_LOST for perf); memory must stay flat.
 * `npm run soak` runs each for 60 s (BPF_TS_EVENT_SOAK_MS); npm test for 2 s.
 */
import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PerfBufferReader, RingBufferReader } from '../../src/events/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { checkRecord, loadProducers, producePerf, produceRing, readStats, RECORD_SIZE, StatsSlot } from '../events/producers.js';

const DURATION_MS = Number(process.env['BPF_TS_EVENT_SOAK_MS'] ?? 2000);
const DISCARD_EVERY = 7;
const BATCH = 200;

function jsMemory(): number {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  gc();
  gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.external + u.arrayBuffers;
}

/** Slow for the second half of every 2 s period: consume one batch in 8, after a short pause. */
function slowNow(started: number): boolean {
  return (Date.now() - started) % 2000 >= 1000;
}

describe(`event streams under load (${DURATION_MS} ms each)`, function () {
  this.timeout(DURATION_MS * 3 + 60_000);
  before(function () {
    requirePrivileges(this);
  });

  it('ring buffer: every accepted record once, in order, intact; drops counted exactly; memory flat', async function () {
    using obj = await loadProducers({ ring: 64 * 1024 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    let next = 0n;
    let received = 0n;
    let last = -1n;
    const onRecord = (view: DataView, off: number, len: number): void => {
      const seq = checkRecord(view, off, len, RECORD_SIZE);
      if (seq <= last) throw new Error(`seq ${seq} after ${last}`);
      if (seq % BigInt(DISCARD_EVERY) === 0n) throw new Error(`discarded record ${seq} delivered`);
      last = seq;
      received++;
    };
    const started = Date.now();
    let memMid = 0;
    let batches = 0;
    while (Date.now() - started < DURATION_MS) {
      produceRing(obj, { firstSeq: next, count: BATCH, discardEvery: DISCARD_EVERY });
      next += BigInt(BATCH);
      batches++;
      if (!slowNow(started) || batches % 8 === 0) {
        if (slowNow(started)) await new Promise((r) => setTimeout(r, 2));
        reader.consume(onRecord);
      }
      if (memMid === 0 && Date.now() - started > DURATION_MS / 2) memMid = jsMemory();
    }
    reader.consume(onRecord);
    const st = readStats(obj, StatsSlot.RING);
    expect(st.attempted).to.equal(next);
    expect(st.dropped > 0n, 'the slow phases made the kernel drop').to.equal(true);
    expect(received, 'every submitted record arrived').to.equal(st.submitted);
    expect(received + st.dropped + st.discarded).to.equal(st.attempted);
    const grown = jsMemory() - memMid;
    expect(grown, `JS memory grew ${grown} bytes in the second half`).to.be.below(2 << 20);
    console.log(`      ring: ${next} attempted, ${received} received, ${st.dropped} dropped by the kernel, ${st.discarded} discarded; memory ${(grown / 1024).toFixed(0)} KiB over the second half`);
  });

  it('perf buffer: every sample once, in order, intact; PERF_RECORD_LOST equals the kernel drops; memory flat', async function () {
    using obj = await loadProducers();
    let lostReported = 0;
    using perf = PerfBufferReader.open(obj.map('perf')!, { pageCount: 8, cpus: [0], onLost: (_cpu, n) => (lostReported += n) });
    let next = 0n;
    let received = 0n;
    let last = -1n;
    const onSample = (view: DataView, off: number, len: number): void => {
      const seq = checkRecord(view, off, len, undefined);
      if (seq <= last) throw new Error(`seq ${seq} after ${last}`);
      last = seq;
      received++;
    };
    const started = Date.now();
    let memMid = 0;
    let batches = 0;
    while (Date.now() - started < DURATION_MS) {
      producePerf(obj, 0, next, BATCH);
      next += BigInt(BATCH);
      batches++;
      if (!slowNow(started) || batches % 8 === 0) {
        if (slowNow(started)) await new Promise((r) => setTimeout(r, 2));
        perf.consume(onSample);
      }
      if (memMid === 0 && Date.now() - started > DURATION_MS / 2) memMid = jsMemory();
    }
    perf.consume(onSample);
    // The kernel reports a loss with the next sample that fits.
    producePerf(obj, 0, next, 1);
    next += 1n;
    perf.consume(onSample);
    const st = readStats(obj, StatsSlot.PERF);
    expect(st.attempted).to.equal(next);
    expect(st.dropped > 0n, 'the slow phases made the kernel drop').to.equal(true);
    expect(received).to.equal(st.submitted);
    expect(BigInt(perf.lost(0)), 'PERF_RECORD_LOST total').to.equal(st.dropped);
    expect(BigInt(lostReported)).to.equal(st.dropped);
    const grown = jsMemory() - memMid;
    expect(grown, `JS memory grew ${grown} bytes in the second half`).to.be.below(2 << 20);
    console.log(`      perf: ${next} attempted, ${received} received, ${st.dropped} lost (PERF_RECORD_LOST ${perf.lost(0)}); memory ${(grown / 1024).toFixed(0)} KiB over the second half`);
  });
});
