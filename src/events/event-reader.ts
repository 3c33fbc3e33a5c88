/**
 * What the ring buffer, ring buffer set and perf buffer readers share: batch draining with a
 * zero-copy callback, waiting on the event loop, and the two iterator forms built on them.
 */
import { RecordDecodeError } from './errors.js';
import type { WaitOptions, WaitOutcome } from './readiness-waiter.js';

/**
 * Receives one record in place: `length` bytes at `offset` of `view`. The bytes belong to the
 * kernel again once the batch ends; copy what must outlive the call. Return `false` to stop the
 * batch after this record.
 *
 * @example
 * ```ts
 * const onRecord: RecordCallback = (view, offset, length) => {
 *   total += view.getUint32(offset, true);
 *   return total < limit; // false: stop this batch here
 * };
 * ```
 */
export type RecordCallback = (view: DataView, offset: number, length: number) => void | boolean;

/**
 * What {@link EventReader.decoded} decodes records with: a `BtfCodec` from `createBtfCodec`
 * (src/btf/codec) fits, as does any decoder of fixed-size values.
 *
 * @example
 * ```ts
 * const pidDecoder: RecordDecoder<number> = { size: 4, typeName: 'u32 pid', decode: (b, o) => b[o]! | (b[o + 1]! << 8) };
 * ```
 */
export interface RecordDecoder<T> {
  /** Bytes a value occupies; shorter records are refused. */
  readonly size: number;
  /** Named in errors (`struct event`). */
  readonly typeName: string;
  /** Decodes `size` bytes at `offset`. */
  decode(bytes: Uint8Array, offset: number): T;
}

/** Options of {@link EventReader.records} and {@link EventReader.decoded}. */
export interface RecordIteratorOptions {
  /** Aborting rejects the pending `next()` with the signal's reason and ends the iteration. */
  readonly signal?: AbortSignal;
}

/**
 * Drains records in batches and waits for more without blocking the event loop. Subclasses say
 * how to drain ({@link consume}) and how to wait ({@link waitReadable}).
 *
 * Three ways to read:
 * - `await reader.poll(cb)`: waits for data, then calls `cb(view, offset, length)` for every ready
 *   record, in place (no copy, no allocation per record);
 * - `for await (const bytes of reader)`: each record as its own `Uint8Array` copy;
 * - `for await (const ev of reader.decoded(codec))`: records decoded through a BTF type.
 *
 * @example
 * ```ts
 * using reader = RingBufferReader.open(obj.map('events')!);
 * const ac = new AbortController();
 * for await (const bytes of reader.records({ signal: ac.signal })) console.log(bytes.length);
 * ```
 */
export abstract class EventReader implements AsyncIterable<Uint8Array> {
  /**
   * Calls `callback` for every record ready now (libbpf's `ring_buffer__consume()`), returns how
   * many it delivered. Never waits.
   */
  abstract consume(callback: RecordCallback): number;

  /** True once {@link close} ran. */
  abstract get closed(): boolean;

  /** Stops waits, unmaps the rings and closes the fds the reader owns. Idempotent. */
  abstract close(): void;

  /** Waits until records may be ready: `'ready'`, `'timeout'` or `'closed'`. */
  protected abstract waitReadable(options: WaitOptions): Promise<WaitOutcome>;

  /**
   * Waits until at least one record is delivered (or the timeout passes, or the reader closes)
   * and delivers the whole batch that is ready: libbpf's `ring_buffer__poll()`. Resolves the
   * number of records delivered (0 after a timeout or close); rejects with `signal.reason` when
   * `signal` aborts.
   *
   * @example
   * ```ts
   * let sum = 0;
   * const n = await reader.poll((view, off) => { sum += view.getUint32(off, true); }, { timeoutMs: 100 });
   * ```
   */
  async poll(callback: RecordCallback, options: WaitOptions = {}): Promise<number> {
    for (;;) {
      if (this.closed) return 0;
      const n = this.consume(callback);
      if (n > 0) return n;
      const outcome = await this.waitReadable(options);
      if (outcome !== 'ready') return this.closed ? 0 : this.consume(callback);
    }
  }

  /**
   * Delivers batches to `callback` until the reader is closed (resolves) or `signal` aborts
   * (rejects with its reason).
   *
   * @example
   * ```ts
   * const ac = new AbortController();
   * const done = reader.run((view, off, len) => handle(view, off, len), { signal: ac.signal });
   * // ... later
   * ac.abort(); await done.catch(() => {});
   * ```
   */
  async run(callback: RecordCallback, options: RecordIteratorOptions = {}): Promise<void> {
    const waitOptions: WaitOptions = options.signal === undefined ? {} : { signal: options.signal };
    while (!this.closed) await this.poll(callback, waitOptions);
  }

  /**
   * Each record as a copy the caller owns (copies taken together share one buffer: a ring
   * buffer's batch, or 256 KiB chunks; `slice()` one to keep it alone). The iteration ends when
   * the reader closes.
   *
   * @example
   * ```ts
   * for await (const bytes of reader.records({ signal })) seen.push(bytes);
   * ```
   */
  records(options: RecordIteratorOptions = {}): AsyncIterableIterator<Uint8Array> {
    return new RecordIterator(this, this.recordCopies(), options.signal);
  }

  /**
   * Each record decoded through a BTF type (see `createBtfCodec` in src/btf). A record shorter
   * than the type throws {@link RecordDecodeError}; longer records decode their first
   * `codec.size` bytes (perf samples carry padding).
   *
   * @example
   * ```ts
   * const [id] = btf.findByName('event', 'STRUCT');
   * for await (const ev of reader.decoded(createBtfCodec<Event>(btf, id!))) console.log(ev.pid);
   * ```
   */
  decoded<T>(codec: RecordDecoder<T>, options: RecordIteratorOptions = {}): AsyncIterableIterator<T> {
    return new RecordIterator(this, new ExtractedRecords(this, decodeWith(codec)), options.signal);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this.records();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal For {@link RecordIterator}. */
  waitForRecords(options: WaitOptions): Promise<WaitOutcome> {
    return this.waitReadable(options);
  }

  /**
   * Where {@link records} takes its copies from. This one copies each record in the callback of
   * {@link consume}; a reader whose ready records are one contiguous range overrides it to copy a
   * whole batch at once (and to keep `consume`'s callback site for the user's callback alone).
   */
  protected recordCopies(): RecordBatchSource<Uint8Array> {
    return new ExtractedRecords(this, recordCopier());
  }
}

/**
 * @internal What a {@link RecordIterator} hands out: batches of values taken from a reader while
 * its records are still in place, then handed out one by one.
 */
export interface RecordBatchSource<T> {
  /** Takes the records ready now (at most {@link ITERATOR_BATCH}); returns how many values it holds. */
  refill(): number;
  /** Value `index` of the last batch, once (`index` below what refill returned). */
  take(index: number): T;
  /** Drops the values of the last batch not taken yet. */
  clear(): void;
}

/** Values extracted by a callback of {@link EventReader.consume}, kept in one array. */
class ExtractedRecords<T> implements RecordBatchSource<T> {
  readonly #reader: EventReader;
  readonly #push: RecordCallback;
  /** Extracted values `[0, #count)`; one array for the iterator's life. */
  readonly #values: (T | undefined)[] = new Array<T | undefined>(ITERATOR_BATCH).fill(undefined);
  #count = 0;

  constructor(reader: EventReader, extract: Extract<T>) {
    this.#reader = reader;
    // Small batches keep the extracted values young (cheap for the GC) and commit ring space early.
    this.#push = (view, offset, length) => {
      const value = extract(view, offset, length); // first: a throwing decode must not take a slot
      this.#values[this.#count++] = value;
      return this.#count < ITERATOR_BATCH;
    };
  }

  refill(): number {
    this.#count = 0;
    this.#reader.consume(this.#push);
    return this.#count;
  }

  take(index: number): T {
    const value = this.#values[index] as T;
    this.#values[index] = undefined; // handed out: the batch must not keep it alive
    return value;
  }

  clear(): void {
    this.#values.fill(undefined, 0, this.#count);
    this.#count = 0;
  }
}

type Extract<T> = (view: DataView, offset: number, length: number) => T;

/** @internal Records an iterator takes from the reader per refill. */
export const ITERATOR_BATCH = 1024;

/** Bytes of the chunks record copies are cut from. */
const COPY_CHUNK = 256 * 1024;
/** Records longer than this are copied with `TypedArray.set` rather than a word loop. */
const LARGE_RECORD = 128;

/**
 * Copies records into shared chunks: one allocation per 256 KiB instead of one `ArrayBuffer` (and
 * its off-heap backing store) per record. Each copy starts 8-byte aligned, so wider typed-array
 * views over it work; a copy keeps its chunk alive.
 */
function recordCopier(): Extract<Uint8Array> {
  let chunk = new ArrayBuffer(0);
  let chunkBytes = new Uint8Array(chunk);
  let chunkWords = new Int32Array(chunk);
  let used = 0;
  let lastView: DataView | undefined;
  let sourceBytes: Uint8Array = new Uint8Array(0);
  let sourceWords: Int32Array = new Int32Array(0);
  let sourceAligned = false;
  return (view, offset, length) => {
    if (view !== lastView) {
      lastView = view;
      sourceBytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      sourceAligned = view.byteOffset % 4 === 0;
      sourceWords = sourceAligned ? new Int32Array(view.buffer, view.byteOffset, view.byteLength >>> 2) : new Int32Array(0);
    }
    if (used + length > chunk.byteLength) {
      chunk = new ArrayBuffer(Math.max(COPY_CHUNK, length + 8));
      chunkBytes = new Uint8Array(chunk);
      chunkWords = new Int32Array(chunk);
      used = 0;
    }
    // Small records: a word loop beats `set(subarray())`, whose allocation dominates there;
    // large ones: the native copy wins (4 KiB records: 3x the records/s, CPU-time measured).
    if (length > LARGE_RECORD) {
      chunkBytes.set(sourceBytes.subarray(offset, offset + length), used);
      const copy = new Uint8Array(chunk, used, length);
      used += (length + 7) & ~7;
      return copy;
    }
    let i = 0;
    if (sourceAligned && (offset & 3) === 0) {
      const words = length >>> 2;
      const from = offset >>> 2;
      const to = used >>> 2;
      for (; i < words; i++) chunkWords[to + i] = sourceWords[from + i] as number;
      i <<= 2;
    }
    for (; i < length; i++) chunkBytes[used + i] = sourceBytes[offset + i] as number;
    const copy = new Uint8Array(chunk, used, length);
    used += (length + 7) & ~7;
    return copy;
  };
}

function decodeWith<T>(codec: RecordDecoder<T>): Extract<T> {
  let bytes: Uint8Array | undefined;
  return (view, offset, length) => {
    if (length < codec.size) {
      throw new RecordDecodeError(`record of ${length} bytes is shorter than ${codec.typeName} (${codec.size} bytes)`, length, codec.size);
    }
    if (bytes === undefined || bytes.buffer !== view.buffer || bytes.byteOffset !== view.byteOffset) {
      bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
    }
    return codec.decode(bytes, offset);
  };
}

/**
 * The async iterator of {@link EventReader.records} and {@link EventReader.decoded}: takes a batch
 * of values from its source (taken while the bytes are still the reader's, before the batch is
 * committed), hands them out one by one, and waits when the batch is used up. Written by hand
 * rather than as an async generator: `next()` on a ready value is one resolved promise.
 */
class RecordIterator<T> implements AsyncIterableIterator<T> {
  readonly #reader: EventReader;
  readonly #signal: AbortSignal | undefined;
  readonly #source: RecordBatchSource<T>;
  /** Values `[#head, #count)` of the source's batch are not handed out yet. */
  #count = 0;
  #head = 0;
  #done = false;

  constructor(reader: EventReader, source: RecordBatchSource<T>, signal: AbortSignal | undefined) {
    this.#reader = reader;
    this.#signal = signal;
    this.#source = source;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#head < this.#count) return Promise.resolve({ value: this.#source.take(this.#head++), done: false });
    return this.#refill();
  }

  return(): Promise<IteratorResult<T>> {
    this.#finish();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  async #refill(): Promise<IteratorResult<T>> {
    this.#count = 0;
    this.#head = 0;
    const options: WaitOptions = this.#signal === undefined ? {} : { signal: this.#signal };
    for (;;) {
      if (this.#done || this.#reader.closed) return this.#finish();
      if (this.#signal?.aborted === true) {
        this.#finish();
        throw this.#signal.reason;
      }
      this.#count = this.#source.refill();
      if (this.#count > 0) return { value: this.#source.take(this.#head++), done: false };
      try {
        if ((await this.#reader.waitForRecords(options)) === 'closed') return this.#finish();
      } catch (e) {
        this.#finish();
        throw e;
      }
    }
  }

  #finish(): IteratorResult<T> {
    this.#done = true;
    this.#source.clear();
    this.#count = 0;
    this.#head = 0;
    return { value: undefined, done: true };
  }
}
