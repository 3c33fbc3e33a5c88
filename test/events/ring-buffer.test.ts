import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { createBtfCodec } from '../../src/btf/codec/index.js';
import { BpfMap } from '../../src/maps/index.js';
import { MapType } from '../../src/sys/index.js';
import type { BpfObject } from '../../src/loader/index.js';
import { EventBufferError, RecordDecodeError, RingBufferReader, RingBufferSet } from '../../src/events/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { slowdown } from '../helpers/kernel.js';
import { RB_NO_WAKEUP, RECORD_SIZE, StatsSlot, checkRecord, loadProducers, outputLength, produceRing, readStats } from './producers.js';
import { anonInodeFdCount } from '../soak/census.js';

describe('events: RingBufferReader', function () {
  this.timeout(20000);
  let fdsBefore = 0;

  before(function () {
    requirePrivileges(this);
  });
  beforeEach(() => {
    fdsBefore = anonInodeFdCount();
  });
  afterEach(() => {
    expect(anonInodeFdCount(), 'fds left behind').to.equal(fdsBefore);
  });

  it('delivers every accepted record exactly once, in order, when the producer outruns the consumer', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    expect(reader.size).to.equal(16384);
    let next = 0n;
    let received = 0;
    let last = -1n;
    const discardEvery = 5;
    const onRecord = (view: DataView, off: number, len: number): void => {
      const seq = checkRecord(view, off, len, RECORD_SIZE);
      expect(seq > last, `seq ${seq} after ${last}`).to.equal(true);
      expect(seq % BigInt(discardEvery)).to.not.equal(0n);
      last = seq;
      received++;
    };
    for (let round = 0; round < 30; round++) {
      // 1000 records of 72 bytes into a 16 KiB ring: most of each round is dropped by the kernel.
      produceRing(obj, { firstSeq: next, count: 1000, discardEvery });
      next += 1000n;
      reader.consume(onRecord);
    }
    // The async iterator sees the remainder: nothing, since consume drained everything.
    expect(reader.pendingBytes).to.equal(0);
    const st = readStats(obj, StatsSlot.RING);
    expect(st.attempted).to.equal(next);
    expect(st.dropped > 0n, 'the kernel dropped records').to.equal(true);
    expect(BigInt(received)).to.equal(st.submitted);
    expect(BigInt(received) + st.dropped + st.discarded).to.equal(st.attempted);
    expect(reader.consumerPosition > 16384n).to.equal(true);
  });

  it('with a producer in another process running concurrently, the iterator gets every accepted record once, in order', async () => {
    using obj = await loadProducers({ ring: 8192 });
    const reader = RingBufferReader.open(obj.map('rb')!);
    try {
      const child = spawn(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'produce-child.js'), String(obj.program('produce')!.info().id), '200', '500'], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const ac = new AbortController();
      // 'close', not 'exit': the child's stdout must be fully read and its pipe closed (the fd check).
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      void exited.then(() => ac.abort());
      let received = 0;
      let last = -1n;
      const check = (r: Uint8Array): void => {
        const seq = checkRecord(new DataView(r.buffer, r.byteOffset, r.byteLength), 0, r.byteLength, RECORD_SIZE);
        if (seq <= last || seq % 7n === 0n) throw new Error(`seq ${seq} after ${last}`);
        last = seq;
        received++;
      };
      try {
        for await (const r of reader.records({ signal: ac.signal })) check(r);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') throw e;
      }
      expect(await exited).to.equal(0);
      // What arrived after the last wait.
      reader.consume((view, off, len) => check(new Uint8Array(view.buffer, view.byteOffset + off, len)));
      const st = readStats(obj, StatsSlot.RING);
      expect(st.attempted).to.equal(BigInt(out.trim()));
      expect(BigInt(received)).to.equal(st.submitted);
      expect(BigInt(received) + st.dropped + st.discarded).to.equal(st.attempted);
    } finally {
      reader.close();
    }
  });

  it('reads variable-size records across the end of the ring in place (double mapping)', async () => {
    using obj = await loadProducers({ ring: 4096 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    let next = 0n;
    let straddling = 0;
    for (let round = 0; round < 200; round++) {
      produceRing(obj, { firstSeq: next, count: 40, mode: 1 });
      const first = next;
      let expected = first;
      const n = reader.consume((view, off, len) => {
        // Payloads are reported at their size (no padding) for ring buffers.
        expect(len).to.equal(outputLength(expected));
        expect(checkRecord(view, off, len, outputLength(expected))).to.equal(expected);
        if (off < reader.size && off + len > reader.size) straddling++;
        expected++;
      });
      expect(n).to.equal(40);
      next += 40n;
    }
    expect(straddling, 'records crossing the end of the data area').to.be.greaterThan(0);
    expect(readStats(obj, StatsSlot.RING).dropped).to.equal(0n);
  });

  it('iterates copies across the end of the ring (variable sizes, discarded records), each copy its own bytes', async () => {
    using obj = await loadProducers({ ring: 4096 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    const it = reader.records();
    let next = 0n;
    const kept: { rec: Uint8Array; seq: bigint; len: number }[] = [];
    for (let round = 0; round < 200; round++) {
      // Even rounds: bpf_ringbuf_output of varying sizes; odd rounds: 64-byte records, every 7th discarded.
      const mode = round % 2 === 0 ? 1 : 0;
      produceRing(obj, { firstSeq: next, count: 40, mode, discardEvery: mode === 0 ? 7 : 0 });
      for (let seq = next; seq < next + 40n; seq++) {
        if (mode === 0 && seq % 7n === 0n) continue;
        const r = await it.next();
        expect(r.done).to.equal(false);
        const rec = r.value as Uint8Array;
        const len = mode === 1 ? outputLength(seq) : RECORD_SIZE;
        expect(rec.byteLength).to.equal(len);
        expect(checkRecord(new DataView(rec.buffer, rec.byteOffset, rec.byteLength), 0, rec.byteLength, len)).to.equal(seq);
        if (round % 50 < 2) kept.push({ rec, seq, len });
      }
      next += 40n;
    }
    expect(reader.pendingBytes, 'every batch committed').to.equal(0);
    // Copies taken many rounds ago still hold their own records, though the ring wrapped since.
    for (const { rec, seq, len } of kept) expect(checkRecord(new DataView(rec.buffer, rec.byteOffset, rec.byteLength), 0, len, len)).to.equal(seq);
    await it.return?.();
    const st = readStats(obj, StatsSlot.RING);
    expect(st.dropped).to.equal(0n);
    expect(st.discarded > 0n, 'the kernel discarded records').to.equal(true);
  });

  it('stops a batch when the callback returns false and resumes at the next record', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    produceRing(obj, { firstSeq: 0n, count: 10 });
    const seen: bigint[] = [];
    const take = (view: DataView, off: number): boolean => {
      seen.push(view.getBigUint64(off, true));
      return seen.length % 3 !== 0;
    };
    expect(reader.consume(take)).to.equal(3);
    expect(reader.consume(take)).to.equal(3);
    expect(reader.consume(() => {})).to.equal(4);
    expect(seen).to.deep.equal([0n, 1n, 2n, 3n, 4n, 5n]);
  });

  it('a throwing callback consumes its record, and the error reaches the caller', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    produceRing(obj, { firstSeq: 0n, count: 3 });
    expect(() =>
      reader.consume(() => {
        throw new Error('boom');
      }),
    ).to.throw('boom');
    const rest: bigint[] = [];
    reader.consume((view, off) => void rest.push(view.getBigUint64(off, true)));
    expect(rest).to.deep.equal([1n, 2n]);
  });

  it('iterates copies with for await, and close() ends the iteration', async () => {
    using obj = await loadProducers({ ring: 65536 });
    const reader = RingBufferReader.open(obj.map('rb')!);
    produceRing(obj, { firstSeq: 100n, count: 50, discardEvery: 10 });
    const got: Uint8Array[] = [];
    for await (const rec of reader) {
      got.push(rec);
      if (got.length === 45) {
        // The copies outlive the ring: overwrite it with other records before checking.
        setTimeout(() => reader.close(), 10);
      }
    }
    expect(reader.closed).to.equal(true);
    expect(got.map((r) => new DataView(r.buffer, r.byteOffset, r.byteLength).getBigUint64(0, true))).to.deep.equal(
      Array.from({ length: 50 }, (_, i) => 100n + BigInt(i)).filter((s) => s % 10n !== 0n),
    );
    for (const r of got) checkRecord(new DataView(r.buffer, r.byteOffset, r.byteLength), 0, r.byteLength, RECORD_SIZE);
  });

  it('decodes records through the object BTF (struct record)', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    const btf = obj.spec.btf!;
    const [id] = btf.findByName('record', 'STRUCT');
    const codec = createBtfCodec<{ seq: bigint; cpu: number; len: number; payload: bigint[] }>(btf, id!);
    produceRing(obj, { firstSeq: 7n, count: 3 });
    const ac = new AbortController();
    const out: { seq: bigint; len: number; payload: bigint[] }[] = [];
    for await (const rec of reader.decoded(codec, { signal: ac.signal })) {
      out.push(rec);
      if (out.length === 3) break;
    }
    expect(out.map((r) => r.seq)).to.deep.equal([7n, 8n, 9n]);
    expect(out[0]!.len).to.equal(RECORD_SIZE);
    expect(out[2]!.payload[1]).to.equal(BigInt.asUintN(64, 9n * 0x9e3779b97f4a7c15n + 1n));
  });

  it('refuses to decode a record shorter than the type (RecordDecodeError)', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    const btf = obj.spec.btf!;
    const [id] = btf.findByName('record', 'STRUCT');
    produceRing(obj, { firstSeq: 0n, count: 1, mode: 1 }); // 16 bytes
    const it = reader.decoded(createBtfCodec(btf, id!));
    let err: unknown;
    try {
      await it.next();
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(RecordDecodeError);
    expect((err as RecordDecodeError).message).to.equal('record of 16 bytes is shorter than struct record (64 bytes)');
    expect((err as RecordDecodeError).length).to.equal(16);
    expect((err as RecordDecodeError).expected).to.equal(64);
  });

  it('poll() waits on the event loop and wakes when the kernel submits', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    setTimeout(() => produceRing(obj, { firstSeq: 1n, count: 4 }), 30);
    const seqs: bigint[] = [];
    const n = await reader.poll((view, off) => void seqs.push(view.getBigUint64(off, true)));
    clearInterval(timer);
    expect(n).to.equal(4);
    expect(seqs).to.deep.equal([1n, 2n, 3n, 4n]);
    expect(ticks, 'timers ran while waiting').to.be.greaterThan(0);
  });

  it('a wait finds records submitted without a wakeup (BPF_RB_NO_WAKEUP)', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    produceRing(obj, { firstSeq: 0n, count: 2, flags: RB_NO_WAKEUP });
    expect(await reader.poll(() => {}, { timeoutMs: 5000 })).to.equal(2);
    // Armed first, then records without a wakeup: the timeout ends the wait, the records stay.
    const waiting = reader.poll(() => {}, { timeoutMs: 100 });
    setTimeout(() => produceRing(obj, { firstSeq: 2n, count: 2, flags: RB_NO_WAKEUP }), 10);
    expect(await waiting).to.equal(2);
  });

  it('an empty wait leaves the event loop running and ends within 50 ms of abort()', async () => {
    using obj = await loadProducers({ ring: 16384 });
    using reader = RingBufferReader.open(obj.map('rb')!);
    const ac = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    let abortedAt = 0;
    setTimeout(() => {
      abortedAt = performance.now();
      ac.abort();
    }, 200);
    let err: unknown;
    try {
      await reader.poll(() => {}, { signal: ac.signal });
    } catch (e) {
      err = e;
    }
    const latency = performance.now() - abortedAt;
    clearInterval(timer);
    expect((err as Error).name).to.equal('AbortError');
    expect(ticks, 'interval ticks during a 200 ms wait').to.be.greaterThan(5);
    expect(latency, 'ms from abort() to the rejection').to.be.below(50 * slowdown());
  });

  it('close() during an iterator wait ends it (done), and an aborted iterator rejects', async () => {
    using obj = await loadProducers({ ring: 16384 });
    const reader = RingBufferReader.open(obj.map('rb')!);
    const it = reader.records();
    const pending = it.next();
    setTimeout(() => reader.close(), 20);
    expect(await pending).to.deep.equal({ value: undefined, done: true });
    expect(reader.consume(() => {})).to.equal(0);
    expect(reader.pendingBytes).to.equal(0);

    using reader2 = RingBufferReader.open(obj.map('rb')!);
    const ac = new AbortController();
    const it2 = reader2.records({ signal: ac.signal });
    const p2 = it2.next();
    ac.abort(new Error('stop now'));
    let err: unknown;
    try {
      await p2;
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal('stop now');
    expect(await it2.next()).to.deep.equal({ value: undefined, done: true });
  });

  it('close() inside the callback ends the batch after that record', async () => {
    using obj = await loadProducers({ ring: 16384 });
    const reader = RingBufferReader.open(obj.map('rb')!);
    produceRing(obj, { firstSeq: 0n, count: 5 });
    let n = 0;
    expect(reader.consume(() => {
      n++;
      reader.close();
    })).to.equal(1);
    expect(n).to.equal(1);
    expect(reader.closed).to.equal(true);
  });

  it('refuses a map that is not a ring buffer (EventBufferError)', function () {
    using map = BpfMap.create({ type: MapType.ARRAY, keySize: 4, valueSize: 4, maxEntries: 1, name: 'not_rb' });
    expect(() => RingBufferReader.open(map))
      .to.throw(EventBufferError)
      .with.property('message', `map 'not_rb': is not a ring buffer (map type 2, want BPF_MAP_TYPE_RINGBUF 27)`);
  });

  it('reports an mmap failure as EventBufferError with the SysError cause', function () {
    using map = BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb_lie' });
    // A size larger than the map: the kernel refuses to map past its pages.
    const lie = { fd: map.fd, type: map.type, maxEntries: 1 << 20, name: map.name };
    let err: unknown;
    try {
      RingBufferReader.open(lie);
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(EventBufferError);
    expect((err as Error).message).to.equal(`map 'rb_lie': cannot mmap ring buffer`);
    expect(((err as Error).cause as { code: string }).code).to.equal('EINVAL');
  });
});

describe('events: RingBufferSet', function () {
  this.timeout(20000);
  before(function () {
    requirePrivileges(this);
  });

  it('waits on several ring buffers at once and routes records to per-ring callbacks', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    {
      using a = await loadProducers({ ring: 16384 });
      using b = await loadProducers({ ring: 16384 });
      using set = new RingBufferSet();
      const fromA: bigint[] = [];
      const fromB: bigint[] = [];
      set.add(a.map('rb')!, (view, off) => void fromA.push(view.getBigUint64(off, true)));
      set.add(b.map('rb')!, (view, off) => void fromB.push(view.getBigUint64(off, true)));
      expect(set.rings).to.have.length(2);
      setTimeout(() => produceRing(b, { firstSeq: 50n, count: 3 }), 20);
      expect(await set.poll(() => {})).to.equal(3);
      expect(fromB).to.deep.equal([50n, 51n, 52n]);
      produceRing(a, { firstSeq: 1n, count: 1 });
      produceRing(b, { firstSeq: 53n, count: 1 });
      expect(await set.poll(() => {})).to.equal(2);
      expect(fromA).to.deep.equal([1n]);
      expect(fromB).to.deep.equal([50n, 51n, 52n, 53n]);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 20);
      let err: unknown;
      try {
        await set.poll(() => {}, { signal: ac.signal });
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).to.equal('AbortError');
      // Iterating the set reads every ring.
      produceRing(a, { firstSeq: 2n, count: 1 });
      produceRing(b, { firstSeq: 54n, count: 1 });
      set.close();
      expect(() => set.add(a.map('rb')!)).to.throw(EventBufferError, `map 'rb': ring buffer set is closed`);
    }
    expect(readdirSync('/proc/self/fd').length).to.equal(fds);
  });

  it('iterates records of every ring', async () => {
    using a = await loadProducers({ ring: 16384 });
    using b = await loadProducers({ ring: 16384 });
    using set = new RingBufferSet();
    set.add(a.map('rb')!);
    set.add(b.map('rb')!);
    produceRing(a, { firstSeq: 1n, count: 2 });
    produceRing(b, { firstSeq: 10n, count: 2 });
    const seqs: bigint[] = [];
    for await (const r of set) {
      seqs.push(new DataView(r.buffer, r.byteOffset).getBigUint64(0, true));
      if (seqs.length === 4) break;
    }
    expect(seqs).to.deep.equal([1n, 2n, 10n, 11n]);
  });
});

export type { BpfObject };
