import { readdirSync } from 'node:fs';
import { expect } from 'chai';
import { BpfMap } from '../../src/maps/index.js';
import { MapType } from '../../src/sys/index.js';
import type { BpfObject } from '../../src/loader/index.js';
import { EventBufferError, UserRingBuffer } from '../../src/events/index.js';
import { requirePrivileges } from '../helpers/privileges.js';
import { loadProducers } from './producers.js';

interface Drained {
  samples: number;
  seqSum: bigint;
  lenSum: bigint;
  lastSeq: bigint;
  gaps: number;
  ret: number;
}

/** Runs `drain` (bpf_user_ringbuf_drain) once; `lastSeq` is the seq before the first expected sample. */
function drain(obj: BpfObject, lastSeq: bigint): Drained {
  const ctx = new Uint8Array(48);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(24, lastSeq, true);
  const out = obj.program('drain')!.testRun({ ctx }).ctx;
  const o = new DataView(out.buffer, out.byteOffset, out.byteLength);
  return {
    samples: Number(o.getBigUint64(0, true)),
    seqSum: o.getBigUint64(8, true),
    lenSum: o.getBigUint64(16, true),
    lastSeq: o.getBigUint64(24, true),
    gaps: Number(o.getBigUint64(32, true)),
    ret: Number(o.getBigInt64(40, true)),
  };
}

/** Writes a sample as the drain program reads it: u64 seq, u32 pad, u32 len. */
function fill(sample: Uint8Array, seq: bigint): void {
  const v = new DataView(sample.buffer, sample.byteOffset, sample.byteLength);
  v.setBigUint64(0, seq, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, sample.byteLength, true);
  for (let i = 16; i < sample.byteLength; i++) sample[i] = i;
}

describe('events: UserRingBuffer', function () {
  this.timeout(20000);
  let fds = 0;
  before(function () {
    requirePrivileges(this);
  });
  beforeEach(() => {
    fds = readdirSync('/proc/self/fd').length;
  });
  afterEach(() => {
    expect(readdirSync('/proc/self/fd').length, 'fds left behind').to.equal(fds);
  });

  it('hands submitted samples to bpf_user_ringbuf_drain in order and skips discarded ones', async () => {
    using obj = await loadProducers({ userRing: 16384 });
    using urb = UserRingBuffer.open(obj.map('urb')!);
    expect(urb.size).to.equal(16384);
    expect(urb.availableBytes).to.equal(16384);
    let seq = 0n;
    let seqSum = 0n;
    let lenSum = 0n;
    for (let i = 0; i < 100; i++) {
      const s = urb.reserve(24)!;
      if (i % 10 === 3) {
        fill(s, 999_999n);
        urb.discard(s);
        continue;
      }
      seq++;
      fill(s, seq);
      seqSum += seq;
      lenSum += 24n;
      urb.submit(s);
    }
    expect(urb.availableBytes).to.equal(16384 - 100 * 32);
    const d = drain(obj, 0n);
    expect(d).to.deep.equal({ samples: 90, seqSum, lenSum, lastSeq: 90n, gaps: 0, ret: 90 });
    expect(urb.availableBytes).to.equal(16384);
  });

  it('reports a full ring, and wraps around with variable sizes over many fill/drain cycles', async () => {
    using obj = await loadProducers({ userRing: 4096 });
    using urb = UserRingBuffer.open(obj.map('urb')!);
    let seq = 0n;
    for (let round = 0; round < 60; round++) {
      const first = seq;
      let lenSum = 0n;
      let seqSum = 0n;
      for (;;) {
        const len = 16 + Number((seq * 7n) % 11n) * 8 + Number(seq % 3n);
        const s = urb.reserve(len);
        if (s === undefined) {
          expect(urb.availableBytes).to.be.below(len + 16);
          break;
        }
        seq++;
        fill(s, seq);
        seqSum += seq;
        lenSum += BigInt(len);
        urb.submit(s);
      }
      const d = drain(obj, first);
      expect(d).to.deep.equal({ samples: Number(seq - first), seqSum, lenSum, lastSeq: seq, gaps: 0, ret: Number(seq - first) });
    }
    expect(seq > 1000n, 'many laps around a 4 KiB ring').to.equal(true);
  });

  it('the kernel stops at a sample still reserved', async () => {
    using obj = await loadProducers({ userRing: 4096 });
    using urb = UserRingBuffer.open(obj.map('urb')!);
    const a = urb.reserve(16)!;
    const b = urb.reserve(16)!;
    fill(a, 1n);
    fill(b, 2n);
    urb.submit(b);
    expect(drain(obj, 0n).samples).to.equal(0);
    urb.submit(a);
    expect(drain(obj, 0n)).to.include({ samples: 2, gaps: 0, lastSeq: 2n });
  });

  it('reserveWait waits on the event loop until the kernel drains, and honours abort and timeout', async () => {
    using obj = await loadProducers({ userRing: 4096 });
    using urb = UserRingBuffer.open(obj.map('urb')!);
    let n = 0n;
    for (let s = urb.reserve(64); s !== undefined; s = urb.reserve(64)) {
      fill(s, ++n);
      urb.submit(s);
    }
    expect(await urb.reserveWait(64, { timeoutMs: 30 })).to.equal(undefined);
    const ac = new AbortController();
    const aborted = urb.reserveWait(64, { signal: ac.signal });
    ac.abort(new Error('no more'));
    let err: unknown;
    try {
      await aborted;
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).to.equal('no more');
    setTimeout(() => drain(obj, 0n), 20);
    const s = await urb.reserveWait(64, { timeoutMs: 10000 });
    expect(s).to.be.instanceOf(Uint8Array);
    expect(s!.byteLength).to.equal(64);
    urb.discard(s!);
  });

  it('refuses wrong maps, oversized samples, double and foreign submits, use after close (EventBufferError)', async () => {
    using arr = BpfMap.create({ type: MapType.RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'kernel_rb' });
    expect(() => UserRingBuffer.open(arr)).to.throw(
      EventBufferError,
      `map 'kernel_rb': is not a user ring buffer (map type 27, want BPF_MAP_TYPE_USER_RINGBUF 31)`,
    );
    using obj = await loadProducers({ userRing: 4096 });
    const urb = UserRingBuffer.open(obj.map('urb')!);
    expect(() => urb.reserve(4089)).to.throw(EventBufferError, `map 'urb': a sample of 4089 bytes does not fit in a ring of 4096 bytes`);
    expect(() => urb.reserve(-1)).to.throw(EventBufferError, `map 'urb': a sample of -1 bytes does not fit in a ring of 4096 bytes`);
    const s = urb.reserve(4088)!;
    expect(s.byteLength).to.equal(4088);
    urb.submit(s);
    expect(() => urb.submit(s)).to.throw(EventBufferError, `map 'urb': submit: not a pending reservation of this ring`);
    expect(() => urb.discard(new Uint8Array(8))).to.throw(EventBufferError, `map 'urb': discard: not a pending reservation of this ring`);
    urb.close();
    expect(() => urb.reserve(8)).to.throw(EventBufferError, `map 'urb': user ring buffer is closed`);
    expect(await urb.reserveWait(8)).to.equal(undefined);
    expect(urb.availableBytes).to.equal(0);
  });
});
