/**
 * `UserRingBuffer`: the producer side of a `BPF_MAP_TYPE_USER_RINGBUF` (libbpf's
 * `user_ring_buffer__*`); BPF programs consume with `bpf_user_ringbuf_drain()`.
 */
import type { BpfMap } from '../maps/map.js';
import { toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { PollEvents } from '../sys/native.js';
import { MapType } from '../sys/uapi.js';
import { EventBufferError } from './errors.js';
import { ReadinessWaiter, type WaitOptions } from './readiness-waiter.js';
import {
  LOW_WORD,
  RINGBUF_BUSY_BIT,
  RINGBUF_DISCARD_BIT,
  RINGBUF_HDR_SZ,
  RINGBUF_LEN_MASK,
  mapRingPages,
  ringRecordSize,
  unmapRingPages,
  type RingMappings,
} from './ring-layout.js';
import type { RingBufferSource } from './ring-buffer-reader.js';

const forgotten = new FinalizationRegistry<{ mappings: RingMappings; fd: OwnedFd }>((held) => {
  try {
    unmapRingPages(held.mappings);
    held.fd.close();
  } catch {
    // The producer is gone; nothing to report to.
  }
});

/** Delay before retrying a reservation the kernel's "writable" did not make room for. */
const SPACE_RETRY_MS = 1;

/**
 * Writes samples for a BPF program to drain. `reserve()` returns the sample's bytes inside the
 * shared ring (write them in place), then `submit()` or `discard()` it. Reservations publish the
 * producer position at once with the busy bit set, so the kernel drains up to the first sample
 * still reserved; samples may be submitted in any order. Only this object may produce into the
 * map (the kernel allows one user-space producer at a time per map fd mapping).
 *
 * @example
 * ```ts
 * using urb = UserRingBuffer.open(obj.map('requests')!);
 * const s = urb.reserve(16)!;            // undefined when the ring is full
 * new DataView(s.buffer, s.byteOffset, 16).setUint32(0, 42, true);
 * urb.submit(s);
 * obj.program('drain')!.testRun({ ctx: new Uint8Array(48) });
 * ```
 */
export class UserRingBuffer {
  /** The map's name. */
  readonly name: string;
  /** Data area size in bytes (`max_entries`). */
  readonly size: number;
  readonly #fd: OwnedFd;
  readonly #mappings: RingMappings;
  readonly #mask: number;
  readonly #headers: Uint32Array;
  readonly #dataStart: number;
  readonly #consumer: Uint32Array;
  readonly #producer: BigUint64Array;
  readonly #waiter: ReadinessWaiter;
  /** Header offsets of samples reserved and not yet submitted or discarded. */
  readonly #pending = new Set<number>();
  #producerPos: bigint;
  #producerLow: number;
  #closed = false;

  private constructor(source: RingBufferSource) {
    this.name = source.name;
    this.size = source.maxEntries;
    this.#fd = source.fd.dup();
    try {
      this.#mappings = mapRingPages(this.#fd.fd, this.size, true);
    } catch (e) {
      this.#fd.close();
      throw new EventBufferError('cannot mmap user ring buffer', { map: this.name }, { cause: toSysError(e, 'mmap', `mmap of user ring buffer '${this.name}'`) });
    }
    const { consumer, producerAndData, pageSize } = this.#mappings;
    this.#mask = this.size - 1;
    this.#consumer = new Uint32Array(consumer, 0, 2);
    this.#producer = new BigUint64Array(producerAndData, 0, 1);
    this.#dataStart = pageSize;
    this.#headers = new Uint32Array(producerAndData, pageSize, (2 * this.size) / 4);
    this.#producerPos = Atomics.load(this.#producer, 0);
    this.#producerLow = Number(this.#producerPos & 0xffffffffn);
    this.#waiter = new ReadinessWaiter(this.#fd.fd, PollEvents.WRITABLE);
    forgotten.register(this, { mappings: this.#mappings, fd: this.#fd }, this);
  }

  /**
   * Maps a user ring buffer map for producing. Throws {@link EventBufferError} for other map
   * types or when the map cannot be mapped.
   *
   * @example
   * ```ts
   * using urb = UserRingBuffer.open(obj.map('urb')!);
   * ```
   */
  static open(map: BpfMap | RingBufferSource): UserRingBuffer {
    if (map.type !== MapType.USER_RINGBUF) {
      throw new EventBufferError(`is not a user ring buffer (map type ${map.type}, want BPF_MAP_TYPE_USER_RINGBUF ${MapType.USER_RINGBUF})`, { map: map.name });
    }
    return new UserRingBuffer(map);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Bytes free for new samples (each takes its size plus 8, rounded up to 8). */
  get availableBytes(): number {
    if (this.#closed) return 0;
    return this.size - ((this.#producerLow - Atomics.load(this.#consumer, LOW_WORD)) >>> 0);
  }

  /**
   * Reserves `length` bytes; returns them (a view into the ring, contiguous even across its
   * end), or `undefined` when there is no room now. Throws {@link EventBufferError} for a length
   * that can never fit, or once closed.
   *
   * @example
   * ```ts
   * const s = urb.reserve(8);
   * if (s) { s.fill(1); urb.submit(s); }
   * ```
   */
  reserve(length: number): Uint8Array | undefined {
    this.#checkOpen();
    if (!Number.isInteger(length) || length < 0 || length > RINGBUF_LEN_MASK || ringRecordSize(length) > this.size) {
      throw new EventBufferError(`a sample of ${length} bytes does not fit in a ring of ${this.size} bytes`, { map: this.name });
    }
    const total = ringRecordSize(length);
    if (this.availableBytes < total) return undefined;
    const at = this.#producerLow & this.#mask;
    const word = at >>> 2;
    this.#headers[word] = (length | RINGBUF_BUSY_BIT) >>> 0;
    this.#headers[word + 1] = 0;
    this.#producerPos += BigInt(total);
    this.#producerLow = (this.#producerLow + total) >>> 0;
    // Seq-cst store: the busy header is visible before the kernel sees the new position.
    Atomics.store(this.#producer, 0, this.#producerPos);
    this.#pending.add(at);
    return new Uint8Array(this.#mappings.producerAndData, this.#dataStart + at + RINGBUF_HDR_SZ, length);
  }

  /**
   * {@link reserve}, waiting on the event loop (for the kernel to drain) while the ring is full.
   * Resolves `undefined` on timeout or close; rejects with `signal.reason` on abort.
   *
   * @example
   * ```ts
   * const s = await urb.reserveWait(64, { timeoutMs: 1000 });
   * ```
   */
  async reserveWait(length: number, options: WaitOptions = {}): Promise<Uint8Array | undefined> {
    const deadline = options.timeoutMs === undefined ? undefined : performance.now() + options.timeoutMs;
    for (;;) {
      if (this.#closed) return undefined;
      const sample = this.reserve(length);
      if (sample !== undefined) return sample;
      const timeoutMs = deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
      if (timeoutMs === 0) return undefined;
      const outcome = await this.#waiter.wait(withTimeout(options.signal, timeoutMs));
      if (outcome !== 'ready') return undefined;
      // The kernel reports "writable" whenever the ring is not completely full, which may still
      // be too little for this sample: back off briefly instead of spinning on the event loop.
      if (this.availableBytes < ringRecordSize(length)) await delay(SPACE_RETRY_MS, options.signal);
    }
  }

  /**
   * Hands a reserved sample to the kernel. Throws {@link EventBufferError} for bytes that are not
   * a pending reservation of this ring (already submitted or discarded, or foreign).
   *
   * @example
   * ```ts
   * urb.submit(sample);
   * ```
   */
  submit(sample: Uint8Array): void {
    this.#complete(sample, 0, 'submit');
  }

  /**
   * Gives a reserved sample back: the kernel skips it.
   *
   * @example
   * ```ts
   * urb.discard(sample);
   * ```
   */
  discard(sample: Uint8Array): void {
    this.#complete(sample, RINGBUF_DISCARD_BIT, 'discard');
  }

  /** Unmaps the ring and closes the reader's fd. Pending reservations stay busy (the kernel stops at them). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    forgotten.unregister(this);
    this.#waiter.close();
    unmapRingPages(this.#mappings);
    this.#fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #complete(sample: Uint8Array, flag: number, what: string): void {
    this.#checkOpen();
    const at = sample.byteOffset - this.#dataStart - RINGBUF_HDR_SZ;
    if (sample.buffer !== this.#mappings.producerAndData || !this.#pending.delete(at)) {
      throw new EventBufferError(`${what}: not a pending reservation of this ring`, { map: this.name });
    }
    const word = at >>> 2;
    const length = (this.#headers[word] as number) & RINGBUF_LEN_MASK;
    Atomics.store(this.#headers, word, (length | flag) >>> 0);
  }

  #checkOpen(): void {
    if (this.#closed) throw new EventBufferError('user ring buffer is closed', { map: this.name });
  }
}

function withTimeout(signal: AbortSignal | undefined, timeoutMs: number | undefined): WaitOptions {
  if (signal === undefined) return timeoutMs === undefined ? {} : { timeoutMs };
  return timeoutMs === undefined ? { signal } : { signal, timeoutMs };
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
