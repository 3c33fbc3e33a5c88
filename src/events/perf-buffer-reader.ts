/**
 * `PerfBufferReader`: per-CPU `BPF_OUTPUT` perf events behind a `BPF_MAP_TYPE_PERF_EVENT_ARRAY`,
 * read from their mmapped rings (libbpf's `perf_buffer__*`).
 */
import type { BpfMap } from '../maps/map.js';
import { onlineCpus } from '../sys/cpus.js';
import { toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { PollEvents, native } from '../sys/native.js';
import { MapType } from '../sys/uapi.js';
import { EventBufferError } from './errors.js';
import { EventReader, type RecordCallback } from './event-reader.js';
import {
  PERF_EVENT_IOC_ENABLE,
  PERF_FLAG_FD_CLOEXEC,
  PERF_HEADER_SIZE,
  PERF_RECORD_LOST,
  PERF_RECORD_SAMPLE,
  PerfMmapPage,
  encodeBpfOutputAttr,
  type PerfWakeup,
} from './perf-event-attr.js';
import { ReadinessWaiter, type WaitOptions, type WaitOutcome } from './readiness-waiter.js';
import { LOW_WORD, MAP_SHARED, PROT_READ, PROT_WRITE } from './ring-layout.js';

const EPOLL_CTL_ADD = 1;
const EPOLLIN = 1;

/**
 * Options of {@link PerfBufferReader.open}.
 *
 * @example
 * ```ts
 * const options: PerfBufferOptions = { pageCount: 64, watermarkBytes: 16384, onLost: (cpu, n) => console.warn(`cpu ${cpu}: lost ${n}`) };
 * ```
 */
export interface PerfBufferOptions extends PerfWakeup {
  /** Data pages per CPU, a power of two (libbpf's `page_cnt`); default 8. */
  readonly pageCount?: number;
  /** CPUs to open events on; default every online CPU below the map's `max_entries`. */
  readonly cpus?: readonly number[];
  /**
   * Map index to store each CPU's event at, in the order of `cpus` (bpftool's `event_pipe MAP cpu
   * N index M`); default the CPU number.
   */
  readonly keys?: readonly number[];
  /** Ask the kernel for each sample's time (`PERF_SAMPLE_TIME`), read with {@link PerfBufferReader.sample}. */
  readonly timestamps?: boolean;
  /**
   * Called for each `PERF_RECORD_LOST` with the CPU and the number of samples the kernel dropped
   * (and the record's event id), in order with the samples around it.
   */
  readonly onLost?: (cpu: number, lost: number, id: bigint) => void;
}

/** Where the sample being delivered came from. */
export interface PerfSampleInfo {
  /** The CPU whose ring held it. */
  readonly cpu: number;
  /** The map index its event is stored at. */
  readonly key: number;
  /** Its perf clock time in ns, with the `timestamps` option; 0n otherwise. */
  readonly time: bigint;
}

/** A perf buffer map as {@link PerfBufferReader.open} needs it. */
export interface PerfEventArray {
  readonly type: number;
  readonly maxEntries: number;
  readonly name: string;
  update(key: Uint8Array, value: Uint8Array): void;
  delete(key: Uint8Array): boolean;
}

/** One CPU's event and ring. */
class PerfRing {
  readonly cpu: number;
  readonly fd: OwnedFd;
  readonly mapping: ArrayBuffer;
  readonly view: DataView;
  readonly size: number;
  readonly mask: number;
  readonly head: Uint32Array;
  readonly tailWord: BigUint64Array;
  readonly key: number;
  tail: bigint;
  tailLow: number;
  lost = 0;

  constructor(cpu: number, key: number, fd: OwnedFd, mapping: ArrayBuffer, pageSize: number, pageCount: number) {
    this.cpu = cpu;
    this.key = key;
    this.fd = fd;
    this.mapping = mapping;
    const meta = new DataView(mapping, 0, pageSize);
    // Kernels since 4.1 say where the data is; older ones put it right after the first page.
    const offset = Number(meta.getBigUint64(PerfMmapPage.dataOffset, true)) || pageSize;
    this.size = Number(meta.getBigUint64(PerfMmapPage.dataSize, true)) || pageSize * pageCount;
    this.mask = this.size - 1;
    this.view = new DataView(mapping, offset, this.size);
    this.head = new Uint32Array(mapping, PerfMmapPage.dataHead, 2);
    this.tailWord = new BigUint64Array(mapping, PerfMmapPage.dataTail, 1);
    this.tail = Atomics.load(this.tailWord, 0);
    this.tailLow = Number(this.tail & 0xffffffffn);
  }

  pendingBytes(): number {
    return (Atomics.load(this.head, LOW_WORD) - this.tailLow) >>> 0;
  }

  /** Records waiting (samples and lost records), counted up to `limit`. */
  pendingRecords(limit: number): number {
    const avail = this.pendingBytes();
    let n = 0;
    for (let done = 0; done < avail && n < limit; n++) {
      const size = this.view.getUint16(((this.tailLow + done) & this.mask) + 6, true);
      if (size < PERF_HEADER_SIZE) break;
      done += size;
    }
    return n;
  }

  publish(bytes: number): void {
    if (bytes === 0) return;
    this.tail += BigInt(bytes);
    this.tailLow = (this.tailLow + bytes) >>> 0;
    Atomics.store(this.tailWord, 0, this.tail);
  }
}

const forgotten = new FinalizationRegistry<{ rings: PerfRing[]; epoll: OwnedFd }>((held) => {
  for (const r of held.rings) {
    try {
      native().munmap(r.mapping);
      r.fd.close();
    } catch {
      // The reader is gone; nothing to report to.
    }
  }
  held.epoll.close();
});

/**
 * Reads what BPF programs send with `bpf_perf_event_output()`: one software `BPF_OUTPUT` perf
 * event per CPU, stored in the `PERF_EVENT_ARRAY` at the CPU's index, each with a ring of
 * `pageCount` pages. Samples (`PERF_RECORD_SAMPLE`) are delivered with their raw size as the
 * kernel reports it: padded so that the size field and data end 8-byte aligned (a 64-byte output
 * arrives as 68 bytes). Perf rings are not double-mapped: a sample that wraps the end of its
 * ring is reassembled in a scratch buffer, so the callback may get a different `view` for it.
 * `PERF_RECORD_LOST` records are counted per CPU ({@link lost}) and passed to `onLost`.
 *
 * @example
 * ```ts
 * using perf = PerfBufferReader.open(obj.map('events')!, { pageCount: 16, onLost: (cpu, n) => console.warn(cpu, n) });
 * await perf.poll((view, off, len) => handle(view, off, len));
 * ```
 */
export class PerfBufferReader extends EventReader {
  /** The map's name. */
  readonly name: string;
  /** Data bytes per CPU ring. */
  readonly ringSize: number;
  readonly #map: PerfEventArray;
  readonly #rings: PerfRing[];
  readonly #epoll: OwnedFd;
  readonly #waiter: ReadinessWaiter;
  readonly #onLost: ((cpu: number, lost: number, id: bigint) => void) | undefined;
  /** Bytes between the sample header and its raw size field: the time, when asked for. */
  readonly #sampleSkip: number;
  // Rewritten in place per sample: no allocation on the hot path.
  readonly #sample: { cpu: number; key: number; time: bigint } = { cpu: -1, key: -1, time: 0n };
  #scratch = new ArrayBuffer(0);
  #scratchBytes = new Uint8Array(0);
  #scratchView = new DataView(this.#scratch);
  #closed = false;
  #consuming = false;
  #closeRequested = false;

  private constructor(map: PerfEventArray, rings: PerfRing[], epoll: OwnedFd, options: PerfBufferOptions) {
    super();
    this.name = map.name;
    this.#map = map;
    this.#rings = rings;
    this.#epoll = epoll;
    this.ringSize = rings[0]?.size ?? 0;
    this.#onLost = options.onLost;
    this.#sampleSkip = options.timestamps === true ? 8 : 0;
    const watermark = options.watermarkBytes;
    const events = options.events ?? 1;
    // A perf fd's wakeup is consumed by polling it (see ReadinessWaiter): after arming, look at
    // the rings for a wakeup mark that was reached while the wait was being set up.
    this.#waiter = new ReadinessWaiter(epoll.fd, PollEvents.READABLE, () =>
      rings.some((r) => (watermark !== undefined ? r.pendingBytes() >= watermark : r.pendingRecords(events) >= events)),
    );
    forgotten.register(this, { rings, epoll }, this);
  }

  /**
   * Opens, maps and enables one event per CPU and stores each in `map` at its CPU index. Throws
   * {@link EventBufferError} for a map of another type, a page count that is not a power of
   * two, a CPU outside the map, or a failing `perf_event_open`/`mmap`/update (the `SysError` is
   * the `cause`); nothing stays open after a failure.
   *
   * @example
   * ```ts
   * using perf = PerfBufferReader.open(obj.map('events')!, { watermarkBytes: 4096 });
   * ```
   */
  static open(map: BpfMap | PerfEventArray, options: PerfBufferOptions = {}): PerfBufferReader {
    const ctx = { map: map.name };
    if (map.type !== MapType.PERF_EVENT_ARRAY) {
      throw new EventBufferError(`is not a perf event array (map type ${map.type}, want BPF_MAP_TYPE_PERF_EVENT_ARRAY ${MapType.PERF_EVENT_ARRAY})`, ctx);
    }
    const pageCount = options.pageCount ?? 8;
    if (!Number.isInteger(pageCount) || pageCount <= 0 || (pageCount & (pageCount - 1)) !== 0) {
      throw new EventBufferError(`page count ${pageCount} is not a power of two`, ctx);
    }
    const cpus = options.cpus ?? onlineCpus().filter((c) => c < map.maxEntries);
    const keys = options.keys ?? cpus;
    if (keys.length !== cpus.length) throw new EventBufferError(`${keys.length} keys for ${cpus.length} CPUs`, ctx);
    cpus.forEach((cpu, i) => {
      const key = keys[i] as number;
      if (!Number.isInteger(key) || key < 0 || key >= map.maxEntries) {
        throw new EventBufferError(`${options.keys === undefined ? 'CPU' : 'index'} ${key} is outside the map (max_entries ${map.maxEntries})`, { ...ctx, cpu });
      }
    });
    const sys = native();
    const pageSize = sys.pageSize();
    const attr = encodeBpfOutputAttr(options, options.timestamps === true);
    const rings: PerfRing[] = [];
    const stored: number[] = [];
    let epoll: OwnedFd | undefined;
    const step = <T>(what: string, cpu: number | undefined, f: () => T): T => {
      try {
        return f();
      } catch (e) {
        const where = cpu === undefined ? ctx : { ...ctx, cpu };
        throw new EventBufferError(cpu === undefined ? what : `${what} on CPU ${cpu}`, where, { cause: toSysError(e, what, what) });
      }
    };
    try {
      epoll = step('epoll_create1', undefined, () => new OwnedFd(sys.epollCreate(), 'epoll'));
      const key = new Uint8Array(4);
      const value = new Uint8Array(4);
      for (const [i, cpu] of cpus.entries()) {
        const slot = keys[i] as number;
        const fd = step('perf_event_open', cpu, () => new OwnedFd(sys.perfEventOpen(attr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC), `perf event cpu ${cpu}`));
        let mapping: ArrayBuffer;
        try {
          mapping = step('mmap', cpu, () => sys.mmap(fd.fd, pageSize * (pageCount + 1), PROT_READ | PROT_WRITE, MAP_SHARED, 0));
        } catch (e) {
          fd.close();
          throw e;
        }
        rings.push(new PerfRing(cpu, slot, fd, mapping, pageSize, pageCount));
        step('PERF_EVENT_IOC_ENABLE', cpu, () => sys.ioctl(fd.fd, PERF_EVENT_IOC_ENABLE, 0));
        new DataView(key.buffer).setUint32(0, slot, true);
        new DataView(value.buffer).setUint32(0, fd.fd, true);
        step('BPF_MAP_UPDATE_ELEM', cpu, () => map.update(key, value));
        stored.push(slot);
        const e = epoll;
        step('epoll_ctl', cpu, () => sys.epollCtl(e.fd, EPOLL_CTL_ADD, fd.fd, EPOLLIN, rings.length - 1));
      }
      return new PerfBufferReader(map, rings, epoll, options);
    } catch (e) {
      releaseRings(map, rings, stored);
      epoll?.close();
      throw e;
    }
  }

  /** The CPUs with an event, in ring order. */
  get cpus(): readonly number[] {
    return this.#rings.map((r) => r.cpu);
  }

  /**
   * The CPU, map index and (with `timestamps`) time of the sample being delivered: valid inside
   * a `consume`/`poll` callback.
   *
   * @example
   * ```ts
   * await perf.poll(() => console.log(perf.sample.cpu, perf.sample.time));
   * ```
   */
  get sample(): PerfSampleInfo {
    return this.#sample;
  }

  /** Samples the kernel reported lost on `cpu` (all CPUs when omitted), from `PERF_RECORD_LOST`. */
  lost(cpu?: number): number {
    let n = 0;
    for (const r of this.#rings) if (cpu === undefined || r.cpu === cpu) n += r.lost;
    return n;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes waiting in all rings (samples and lost records). */
  get pendingBytes(): number {
    if (this.#closed) return 0;
    let n = 0;
    for (const r of this.#rings) n += r.pendingBytes();
    return n;
  }

  consume(callback: RecordCallback): number {
    if (this.#closed || this.#consuming) return 0;
    this.#consuming = true;
    let delivered = 0;
    try {
      for (const ring of this.#rings) {
        delivered += this.#consumeRing(ring, callback);
        if (this.#closeRequested) break;
      }
    } finally {
      this.#consuming = false;
      if (this.#closeRequested) this.close();
    }
    return delivered;
  }

  protected waitReadable(options: WaitOptions): Promise<WaitOutcome> {
    if (this.pendingBytes > 0) return Promise.resolve('ready');
    return this.#waiter.wait(options);
  }

  close(): void {
    if (this.#closed) return;
    if (this.#consuming) {
      this.#closeRequested = true;
      return;
    }
    this.#closed = true;
    forgotten.unregister(this);
    this.#waiter.close();
    releaseRings(this.#map, this.#rings, this.#rings.map((r) => r.key));
    this.#epoll.close();
  }

  #consumeRing(ring: PerfRing, callback: RecordCallback): number {
    // Everything the loop reads is a local: module imports and private fields would be reloaded
    // (with hole and brand checks) for every record by the optimized code.
    const view = ring.view;
    const size = ring.size;
    const mask = ring.mask;
    const base = ring.tailLow;
    const skip = this.#sampleSkip;
    const sample = this.#sample;
    const sampleType = PERF_RECORD_SAMPLE;
    const lostType = PERF_RECORD_LOST;
    const headerSize = PERF_HEADER_SIZE;
    sample.cpu = ring.cpu;
    sample.key = ring.key;
    let delivered = 0;
    let done = 0;
    try {
      const avail = ring.pendingBytes();
      while (done < avail) {
        const at = (base + done) & mask;
        // Records are 8-byte aligned and 8-byte multiples, so a header never wraps.
        const type = view.getUint32(at, true);
        const recordSize = view.getUint16(at + 6, true);
        if (recordSize < headerSize) {
          throw new EventBufferError(`corrupt perf record of size ${recordSize} at ring offset ${at}`, { map: this.name, cpu: ring.cpu });
        }
        let v = view;
        let off = at;
        if (at + recordSize > size) {
          v = this.#reassemble(ring, at, recordSize);
          off = 0;
        }
        done += recordSize;
        if (type === sampleType) {
          delivered++;
          if (skip !== 0) sample.time = v.getBigUint64(off + 8, true);
          if (callback(v, off + 12 + skip, v.getUint32(off + 8 + skip, true)) === false || this.#closeRequested) break;
        } else if (type === lostType) {
          const lost = v.getUint32(off + 16, true) + v.getUint32(off + 20, true) * 2 ** 32;
          ring.lost += lost;
          this.#onLost?.(ring.cpu, lost, v.getBigUint64(off + 8, true));
        }
      }
    } finally {
      ring.publish(done);
    }
    return delivered;
  }

  /** Copies a record that wraps the end of the ring into the scratch buffer. */
  #reassemble(ring: PerfRing, at: number, length: number): DataView {
    if (this.#scratch.byteLength < length) {
      this.#scratch = new ArrayBuffer(Math.max(length, 2 * this.#scratch.byteLength, 256));
      this.#scratchBytes = new Uint8Array(this.#scratch);
      this.#scratchView = new DataView(this.#scratch);
    }
    const data = new Uint8Array(ring.view.buffer, ring.view.byteOffset, ring.size);
    const first = ring.size - at;
    this.#scratchBytes.set(data.subarray(at), 0);
    this.#scratchBytes.set(data.subarray(0, length - first), first);
    return this.#scratchView;
  }
}

/** Removes the events from the map (libbpf does too: the map holds them alive), unmaps, closes. */
function releaseRings(map: PerfEventArray, rings: readonly PerfRing[], stored: readonly number[]): void {
  const key = new Uint8Array(4);
  for (const cpu of stored) {
    new DataView(key.buffer).setUint32(0, cpu, true);
    try {
      map.delete(key);
    } catch {
      // The map may be closed already; its release drops the events with it.
    }
  }
  for (const r of rings) {
    native().munmap(r.mapping);
    r.fd.close();
  }
}
