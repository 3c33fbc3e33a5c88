/**
 * `RingBufferReader`: the consumer side of a `BPF_MAP_TYPE_RINGBUF`, over its mmapped pages.
 */
import { Buffer } from 'node:buffer';
import type { BpfMap } from '../maps/map.js';
import { toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { PollEvents } from '../sys/native.js';
import { MapType } from '../sys/uapi.js';
import { EventBufferError } from './errors.js';
import { EventReader, ITERATOR_BATCH, type RecordBatchSource, type RecordCallback } from './event-reader.js';
import { ReadinessWaiter, type WaitOptions, type WaitOutcome } from './readiness-waiter.js';
import {
  LOW_WORD,
  ORDERED_HEADER_LOADS,
  RINGBUF_DISCARD_BIT,
  RINGBUF_HDR_SZ,
  RINGBUF_LEN_MASK,
  mapRingPages,
  unmapRingPages,
  type RingMappings,
} from './ring-layout.js';

/** What a ring buffer is opened from: a map handle (its fd is duplicated; the reader owns the copy). */
export interface RingBufferSource {
  readonly fd: OwnedFd;
  readonly type: number;
  readonly maxEntries: number;
  readonly name: string;
}

const forgotten = new FinalizationRegistry<{ mappings: RingMappings; fd: OwnedFd }>((held) => {
  try {
    unmapRingPages(held.mappings);
    held.fd.close();
  } catch {
    // The reader is gone; nothing to report to.
  }
});

/**
 * Reads a BPF ring buffer (`BPF_MAP_TYPE_RINGBUF`) in place, as libbpf's `ring_buffer__*` does:
 * records are handed out from the shared pages without copying, in submission order; records
 * still being written (busy bit) end a batch, discarded ones are skipped. The consumer position
 * is published with one aligned 64-bit atomic store after each batch (and every quarter of the
 * ring within a long batch), so the kernel reuses space as soon as records are handled.
 *
 * One consumer per ring: the reader keeps its own copy of the consumer position (the kernel
 * never writes it), so two readers of one map would skip each other's records.
 *
 * Positions are u64 and grow forever; the drain loop works on the low 32 bits as plain numbers
 * (differences of positions are below the ring size, so they are exact) and touches BigInt only
 * when it publishes a batch.
 *
 * @example
 * ```ts
 * using obj = await loadObject('bpf/events/producers.bpf.o');
 * using reader = RingBufferReader.open(obj.map('rb')!);
 * await reader.poll((view, off, len) => { console.log(view.getBigUint64(off, true), len); });
 * ```
 */
export class RingBufferReader extends EventReader {
  /** The map's name. */
  readonly name: string;
  /** Data area size in bytes (`max_entries`, a power of two). */
  readonly size: number;
  /** The data area, mapped twice: `[0, 2 * size)`; record payloads are at the callback offsets. */
  readonly view: DataView;
  /** The same bytes as {@link view}, for batch copies. */
  readonly #bytes: Uint8Array;
  readonly #fd: OwnedFd;
  readonly #mappings: RingMappings;
  readonly #mask: number;
  /** Record header words (`len` with the busy and discard bits), signed: busy is the sign bit. */
  readonly #headers: Int32Array;
  readonly #producer: Uint32Array;
  readonly #consumer: BigUint64Array;
  readonly #waiter: ReadinessWaiter;
  readonly #commitEvery: number;
  /** The full consumer position (only this reader writes it). */
  #consumerPos: bigint;
  /** Its low 32 bits, as a number. */
  #consumerLow: number;
  #closed = false;
  #consuming = false;
  #closeRequested = false;

  private constructor(source: RingBufferSource) {
    super();
    this.name = source.name;
    this.size = source.maxEntries;
    this.#fd = source.fd.dup();
    try {
      this.#mappings = mapRingPages(this.#fd.fd, this.size, false);
    } catch (e) {
      this.#fd.close();
      throw new EventBufferError('cannot mmap ring buffer', { map: this.name }, { cause: toSysError(e, 'mmap', `mmap of ring buffer '${this.name}'`) });
    }
    const { consumer, producerAndData, pageSize } = this.#mappings;
    this.#mask = this.size - 1;
    this.#consumer = new BigUint64Array(consumer, 0, 1);
    this.#producer = new Uint32Array(producerAndData, 0, 2);
    this.#headers = new Int32Array(producerAndData, pageSize, (2 * this.size) / 4);
    this.view = new DataView(producerAndData, pageSize, 2 * this.size);
    this.#bytes = new Uint8Array(producerAndData, pageSize, 2 * this.size);
    this.#commitEvery = Math.max(this.size / 4, 8);
    this.#consumerPos = Atomics.load(this.#consumer, 0);
    this.#consumerLow = Number(this.#consumerPos & 0xffffffffn);
    this.#waiter = new ReadinessWaiter(this.#fd.fd, PollEvents.READABLE);
    forgotten.register(this, { mappings: this.#mappings, fd: this.#fd }, this);
  }

  /**
   * Maps a ring buffer map for reading. Throws {@link EventBufferError} when the map is not a
   * `BPF_MAP_TYPE_RINGBUF` or cannot be mapped.
   *
   * @example
   * ```ts
   * using reader = RingBufferReader.open(obj.map('events')!);
   * ```
   */
  static open(map: BpfMap | RingBufferSource): RingBufferReader {
    if (map.type !== MapType.RINGBUF) {
      throw new EventBufferError(`is not a ring buffer (map type ${map.type}, want BPF_MAP_TYPE_RINGBUF ${MapType.RINGBUF})`, { map: map.name });
    }
    return new RingBufferReader(map);
  }

  /** The reader's own fd of the map (for an epoll set). */
  get fd(): number {
    return this.#fd.fd;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes between the consumer and producer positions: ready, busy and discarded records. */
  get pendingBytes(): number {
    if (this.#closed) return 0;
    return (Atomics.load(this.#producer, LOW_WORD) - this.#consumerLow) >>> 0;
  }

  /** The consumer position (bytes consumed since the map was created). */
  get consumerPosition(): bigint {
    return this.#consumerPos;
  }

  consume(callback: RecordCallback): number {
    if (this.#closed || this.#consuming) return 0;
    this.#consuming = true;
    // Everything the loop reads is a local: module imports and private fields would be reloaded
    // (with hole and brand checks) for every record by the optimized code.
    const headers = this.#headers;
    const producer = this.#producer;
    const view = this.view;
    const mask = this.#mask;
    const commitEvery = this.#commitEvery;
    const ordered = ORDERED_HEADER_LOADS;
    const discardBit = RINGBUF_DISCARD_BIT;
    const lengthMask = RINGBUF_LEN_MASK;
    let delivered = 0;
    let done = 0;
    let published = 0;
    try {
      for (;;) {
        const base = this.#consumerLow;
        const avail = (Atomics.load(producer, LOW_WORD) - base) >>> 0;
        let stop = false;
        while (done < avail) {
          const at = (base + done) & mask;
          // Int32 header words: the busy bit is the sign bit, and no value leaves int32 range.
          const word = ordered ? Atomics.load(headers, at >>> 2) : (headers[at >>> 2] as number);
          if (word < 0) {
            stop = true;
            break;
          }
          const length = word & lengthMask;
          done += (length + 15) & ~7;
          if ((word & discardBit) === 0) {
            delivered++;
            if (callback(view, at + 8, length) === false || this.#closeRequested) {
              stop = true;
              break;
            }
          }
          if (done - published >= commitEvery) {
            this.#publish(done - published);
            published = done;
          }
        }
        this.#publish(done - published);
        published = done;
        if (stop || done === 0) break;
        done = 0;
        published = 0;
      }
    } finally {
      // A callback that throws still consumed its record (as libbpf does).
      if (done !== published) this.#publish(done - published);
      this.#consuming = false;
      if (this.#closeRequested) this.close();
    }
    return delivered;
  }

  /**
   * @internal For {@link records}: copies the ready records (at most {@link ITERATOR_BATCH}, and
   * about {@link COPY_BATCH_BYTES}) with one copy of the range they occupy, which the double
   * mapping makes contiguous, notes where each record's payload sits in that copy, and commits
   * the range. Discarded records are skipped; a busy one ends the batch. Returns how many records
   * `into` now holds (0 when none is ready).
   */
  copyBatch(into: RingRecordCopies): number {
    if (this.#closed || this.#consuming) return 0;
    const headers = this.#headers;
    const mask = this.#mask;
    const ordered = ORDERED_HEADER_LOADS;
    const discardBit = RINGBUF_DISCARD_BIT;
    const lengthMask = RINGBUF_LEN_MASK;
    const offsets = into.offsets;
    const lengths = into.lengths;
    for (;;) {
      const start = this.#consumerLow & mask;
      const avail = (Atomics.load(this.#producer, LOW_WORD) - this.#consumerLow) >>> 0;
      let done = 0;
      let count = 0;
      while (done < avail && count < ITERATOR_BATCH && done < COPY_BATCH_BYTES) {
        const at = start + done; // below 2 * size: the second mapping holds what wraps
        const word = ordered ? Atomics.load(headers, at >>> 2) : (headers[at >>> 2] as number);
        if (word < 0) break;
        const length = word & lengthMask;
        if ((word & discardBit) === 0) {
          offsets[count] = done + RINGBUF_HDR_SZ;
          lengths[count] = length;
          count++;
        }
        done += (length + 15) & ~7;
      }
      if (done === 0) return 0;
      // Uninitialized: every byte is overwritten by the copy, and zero-filling first cost about
      // as much as the copy itself (callgrind: ~74 instructions per 64-byte record).
      const copy = Buffer.allocUnsafeSlow(done);
      copy.set(this.#bytes.subarray(start, start + done));
      into.buffer = copy.buffer;
      this.#publish(done);
      if (count > 0) return count;
    }
  }

  protected override recordCopies(): RecordBatchSource<Uint8Array> {
    return new RingRecordCopies(this);
  }

  /**
   * True when the record at the consumer position is complete (submitted or discarded). A record
   * still being written does not count: waiting then goes through the event loop (the kernel
   * reports the fd readable at once), so a stalled producer never spins the microtask queue.
   */
  get hasReadyRecord(): boolean {
    if (this.pendingBytes === 0) return false;
    return Atomics.load(this.#headers, (this.#consumerLow & this.#mask) >>> 2) >= 0;
  }

  protected waitReadable(options: WaitOptions): Promise<WaitOutcome> {
    if (this.hasReadyRecord) return Promise.resolve('ready');
    return this.#waiter.wait(options);
  }

  /**
   * Waits until the ring has bytes past the consumer position. Resolves `'ready'`, `'timeout'` or
   * `'closed'`; rejects with `signal.reason` on abort. For {@link RingBufferSet}.
   */
  wait(options: WaitOptions = {}): Promise<WaitOutcome> {
    return this.waitReadable(options);
  }

  close(): void {
    if (this.#closed) return;
    if (this.#consuming) {
      // Unmapping under the running drain loop would detach its views: finish the record first.
      this.#closeRequested = true;
      return;
    }
    this.#closed = true;
    forgotten.unregister(this);
    this.#waiter.close();
    unmapRingPages(this.#mappings);
    this.#fd.close();
  }

  #publish(bytes: number): void {
    if (bytes === 0) return;
    this.#consumerPos += BigInt(bytes);
    this.#consumerLow = (this.#consumerLow + bytes) >>> 0;
    Atomics.store(this.#consumer, 0, this.#consumerPos);
  }
}

/** Bytes of ring a copying iterator takes per batch (a longer first record is taken whole). */
const COPY_BATCH_BYTES = 256 * 1024;

/**
 * @internal The copies of {@link RingBufferReader.records}: one fresh buffer per batch, each
 * record a view of its own bytes in it (8-byte aligned; the views of a batch keep its buffer).
 */
class RingRecordCopies implements RecordBatchSource<Uint8Array> {
  readonly offsets = new Int32Array(ITERATOR_BATCH);
  readonly lengths = new Int32Array(ITERATOR_BATCH);
  buffer = new ArrayBuffer(0);
  readonly #reader: RingBufferReader;

  constructor(reader: RingBufferReader) {
    this.#reader = reader;
  }

  refill(): number {
    return this.#reader.copyBatch(this);
  }

  take(index: number): Uint8Array {
    return new Uint8Array(this.buffer, this.offsets[index] as number, this.lengths[index] as number);
  }

  clear(): void {
    this.buffer = new ArrayBuffer(0);
  }
}
