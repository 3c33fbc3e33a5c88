import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { createBtfCodec } from '../../src/btf/codec/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { MapType } from '../../src/sys/index.js';
import { EventBufferError, PerfBufferReader, encodeBpfOutputAttr } from '../../src/events/index.js';
import { onlineCpus } from '../../src/sys/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { slowdown } from '../helpers/kernel.js';
import { RECORD_SIZE, StatsSlot, checkRecord, loadProducers, producePerf, readStats } from './producers.js';

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A 64-byte output arrives padded so that the u32 size field plus data end 8-byte aligned. */
const PADDED_RECORD = 68;
/** Ring bytes of one 64-byte sample: header, size field, padded data. */
const SAMPLE_BYTES = 8 + 4 + PADDED_RECORD;

describe('events: PerfBufferReader', function () {
  this.timeout(20000);
  let fdsBefore = 0;
  before(function () {
    requirePrivileges(this);
  });
  beforeEach(() => {
    fdsBefore = openFds();
  });
  afterEach(() => {
    expect(openFds(), 'fds left behind').to.equal(fdsBefore);
  });

  it('delivers each CPU its samples in order, with the kernel-padded raw size', async () => {
    using obj = await loadProducers();
    using perf = PerfBufferReader.open(obj.map('perf')!);
    expect(perf.cpus).to.deep.equal(onlineCpus());
    const byCpu = new Map<number, bigint[]>();
    for (const cpu of perf.cpus) producePerf(obj, cpu, BigInt(cpu) * 1000n, 20);
    const n = perf.consume((view, off, len) => {
      expect(len).to.equal(PADDED_RECORD);
      const seq = checkRecord(view, off, len, undefined);
      const cpu = view.getUint32(off + 8, true);
      byCpu.set(cpu, [...(byCpu.get(cpu) ?? []), seq]);
    });
    expect(n).to.equal(20 * perf.cpus.length);
    for (const cpu of perf.cpus) {
      expect(byCpu.get(cpu)).to.deep.equal(Array.from({ length: 20 }, (_, i) => BigInt(cpu) * 1000n + BigInt(i)));
    }
    expect(perf.lost()).to.equal(0);
  });

  it('counts exactly the samples the kernel dropped (PERF_RECORD_LOST) when the producer outruns the reader', async () => {
    using obj = await loadProducers();
    const lostReports: [number, number][] = [];
    using perf = PerfBufferReader.open(obj.map('perf')!, { pageCount: 1, cpus: [0], onLost: (cpu, n) => lostReports.push([cpu, n]) });
    let received = 0;
    let last = -1n;
    const onSample = (view: DataView, off: number, len: number): void => {
      const seq = checkRecord(view, off, len, undefined);
      expect(seq > last).to.equal(true);
      last = seq;
      received++;
    };
    let next = 0n;
    for (let round = 0; round < 10; round++) {
      producePerf(obj, 0, next, 300);
      next += 300n;
      perf.consume(onSample);
    }
    // The kernel reports a loss with the next sample that fits.
    producePerf(obj, 0, next, 1);
    next += 1n;
    perf.consume(onSample);
    const st = readStats(obj, StatsSlot.PERF);
    expect(st.attempted).to.equal(next);
    expect(st.dropped > 0n).to.equal(true);
    expect(BigInt(received)).to.equal(st.submitted);
    expect(BigInt(perf.lost(0))).to.equal(st.dropped);
    expect(perf.lost()).to.equal(perf.lost(0));
    expect(lostReports.every(([cpu]) => cpu === 0)).to.equal(true);
    expect(lostReports.reduce((a, [, n]) => a + n, 0)).to.equal(perf.lost());
  });

  it('reassembles samples that wrap the end of a ring', async () => {
    using obj = await loadProducers();
    using perf = PerfBufferReader.open(obj.map('perf')!, { pageCount: 1, cpus: [1 % onlineCpus().length] });
    const cpu = perf.cpus[0]!;
    let next = 0n;
    let reassembled = 0;
    let ringView: DataView | undefined;
    for (let round = 0; round < 100; round++) {
      producePerf(obj, cpu, next, 30, 1);
      let expected = next;
      perf.consume((view, off, len) => {
        const want = 16 + Number(expected % 13n) * 4;
        // The raw size is rounded so that 4 + size is a multiple of 8.
        expect(len).to.equal(((want + 4 + 7) & ~7) - 4);
        expect(checkRecord(view, off, len, want)).to.equal(expected);
        if (ringView === undefined && view.byteLength === perf.ringSize) ringView = view;
        if (view !== ringView) reassembled++;
        expected++;
      });
      expect(expected - next).to.equal(30n);
      next += 30n;
    }
    expect(reassembled).to.be.greaterThan(0);
    expect(perf.lost()).to.equal(0);
  });

  it('wakes per sample by default, and only past the watermark with watermarkBytes', async () => {
    using obj = await loadProducers();
    {
      using perf = PerfBufferReader.open(obj.map('perf')!, { cpus: [0] });
      const started = performance.now();
      setTimeout(() => producePerf(obj, 0, 0n, 1), 10);
      expect(await perf.poll(() => {}, { timeoutMs: 8000 * slowdown() })).to.equal(1);
      expect(performance.now() - started, 'woken by the sample, not the timeout').to.be.below(7000 * slowdown());
    }
    {
      using perf = PerfBufferReader.open(obj.map('perf')!, { cpus: [0], watermarkBytes: 2048 });
      let started = performance.now();
      setTimeout(() => producePerf(obj, 0, 0n, 1), 10);
      expect(await perf.poll(() => {}, { timeoutMs: 300 })).to.equal(1);
      expect(performance.now() - started, 'one sample is below the watermark: the timeout ends the wait').to.be.at.least(290);
      started = performance.now();
      setTimeout(() => producePerf(obj, 0, 1n, Math.ceil(2048 / SAMPLE_BYTES) + 1), 10);
      expect(await perf.poll(() => {}, { timeoutMs: 8000 * slowdown() })).to.be.greaterThan(2048 / SAMPLE_BYTES);
      expect(performance.now() - started, 'woken at the watermark').to.be.below(7000 * slowdown());
    }
  });

  it('wakes for a sample produced while the wait is being set up (a perf wakeup is consumed by polling)', async () => {
    using obj = await loadProducers();
    for (const cpu of onlineCpus()) {
      using perf = PerfBufferReader.open(obj.map('perf')!, { cpus: [cpu] });
      // The sample and its wakeup land before the event loop adds the fd to its epoll, whose
      // insert-time poll takes the wakeup: only the reader's re-check after arming can see it.
      const waiting = perf.poll(() => {}, { timeoutMs: 8000 * slowdown() });
      producePerf(obj, cpu, 0n, 1);
      const started = performance.now();
      expect(await waiting).to.equal(1);
      expect(performance.now() - started, `cpu ${cpu}: woken, not timed out`).to.be.below(7000 * slowdown());
    }
  });

  it('iterates copies and decodes samples through BTF; abort ends a wait', async () => {
    using obj = await loadProducers();
    using perf = PerfBufferReader.open(obj.map('perf')!, { cpus: [0] });
    producePerf(obj, 0, 5n, 3);
    const copies: Uint8Array[] = [];
    for await (const rec of perf) {
      copies.push(rec);
      if (copies.length === 3) break;
    }
    expect(copies.map((c) => c.byteLength)).to.deep.equal([68, 68, 68]);
    const btf = obj.spec.btf!;
    const codec = createBtfCodec<{ seq: bigint; len: number }>(btf, btf.findByName('record', 'STRUCT')[0]!);
    producePerf(obj, 0, 9n, 2);
    const ac = new AbortController();
    const seen: bigint[] = [];
    let err: unknown;
    try {
      for await (const rec of perf.decoded(codec, { signal: ac.signal })) {
        expect(rec.len).to.equal(RECORD_SIZE);
        seen.push(rec.seq);
        if (seen.length === 2) setTimeout(() => ac.abort(), 10);
      }
    } catch (e) {
      err = e;
    }
    expect(seen).to.deep.equal([9n, 10n]);
    expect((err as Error).name).to.equal('AbortError');
  });

  it('removes its events from the map on close', async () => {
    using obj = await loadProducers();
    const perf = PerfBufferReader.open(obj.map('perf')!, { cpus: [0] });
    perf.close();
    perf.close();
    // Lookups of perf event arrays are not allowed from user space; the delete is checked by
    // producing: with no event in the slot the helper fails and the program counts a drop.
    producePerf(obj, 0, 0n, 1);
    expect(readStats(obj, StatsSlot.PERF).dropped).to.equal(1n);
    expect(perf.consume(() => {})).to.equal(0);
  });

  it('refuses wrong maps, page counts and CPUs (EventBufferError)', () => {
    using arr = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'not_perf' });
    expect(() => PerfBufferReader.open(arr)).to.throw(
      EventBufferError,
      `map 'not_perf': is not a perf event array (map type 2, want BPF_MAP_TYPE_PERF_EVENT_ARRAY 4)`,
    );
    using pa = BpfMap.create({ type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'pa' });
    expect(() => PerfBufferReader.open(pa, { pageCount: 3 })).to.throw(EventBufferError, `map 'pa': page count 3 is not a power of two`);
    expect(() => PerfBufferReader.open(pa, { cpus: [1] }))
      .to.throw(EventBufferError, `map 'pa': CPU 1 is outside the map (max_entries 1)`)
      .with.nested.property('context.cpu', 1);
  });

  it('reports a failing perf_event_open with its SysError cause and leaves nothing open', async () => {
    using pa = BpfMap.create({ type: MapType.PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4096, name: 'pa_big' });
    // CPU 4000 is inside the map but does not exist.
    let err: unknown;
    try {
      PerfBufferReader.open(pa, { cpus: [0, 4000] });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(EventBufferError);
    expect((err as Error).message).to.equal(`map 'pa_big': perf_event_open on CPU 4000`);
    expect(((err as Error).cause as { code: string }).code).to.equal('EINVAL');
  });
});

describe('events: perf helpers (pure)', () => {

  it('encodes the BPF_OUTPUT attr like libbpf (type, config, sample_type, wakeup)', () => {
    const v = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);
    const a = v(encodeBpfOutputAttr());
    expect([a.getUint32(0, true), a.getUint32(4, true), a.getBigUint64(8, true), a.getBigUint64(16, true), a.getBigUint64(24, true)]).to.deep.equal([
      1, 64, 10n, 1n, 1024n,
    ]);
    expect([a.getBigUint64(40, true), a.getUint32(48, true)]).to.deep.equal([0n, 1]);
    const w = v(encodeBpfOutputAttr({ watermarkBytes: 4096 }));
    expect([w.getBigUint64(40, true), w.getUint32(48, true)]).to.deep.equal([1n << 14n, 4096]);
  });
});
