/**
 * `RingBufferSet`: several ring buffers behind one wait, like libbpf's `ring_buffer__add()`.
 */
import type { BpfMap } from '../maps/map.js';
import { toSysError } from '../sys/errors.js';
import { OwnedFd } from '../sys/fd.js';
import { PollEvents, native } from '../sys/native.js';
import { EventBufferError } from './errors.js';
import { EventReader, type RecordCallback } from './event-reader.js';
import { ReadinessWaiter, type WaitOptions, type WaitOutcome } from './readiness-waiter.js';
import { RingBufferReader, type RingBufferSource } from './ring-buffer-reader.js';

const EPOLL_CTL_ADD = 1;
const EPOLLIN = 1;

interface Member {
  readonly reader: RingBufferReader;
  readonly callback: RecordCallback | undefined;
}

/**
 * Ring buffers read together: one epoll fd holds every ring's map fd and is itself watched on the
 * event loop, so one wait covers all of them. Each ring may have its own callback (used instead of
 * the one passed to `consume`/`poll`); the iterators read every ring. A batch drains the rings in
 * the order they were added. Records are in order within a ring, not across rings.
 *
 * @example
 * ```ts
 * using set = new RingBufferSet();
 * set.add(obj.map('events')!, (view, off) => onEvent(view.getUint32(off, true)));
 * set.add(obj.map('errors')!, (view, off, len) => onError(view, off, len));
 * await set.poll(() => {});
 * ```
 */
export class RingBufferSet extends EventReader {
  readonly #epoll: OwnedFd;
  readonly #waiter: ReadinessWaiter;
  readonly #members: Member[] = [];
  #closed = false;

  constructor() {
    super();
    try {
      this.#epoll = new OwnedFd(native().epollCreate(), 'epoll');
    } catch (e) {
      throw new EventBufferError('cannot create the epoll fd of a ring buffer set', {}, { cause: toSysError(e, 'epoll_create1', 'epoll_create1') });
    }
    this.#waiter = new ReadinessWaiter(this.#epoll.fd, PollEvents.READABLE);
  }

  /**
   * Adds a ring buffer map (mapped by a {@link RingBufferReader} the set owns) with an optional
   * callback of its own; returns that reader.
   *
   * @example
   * ```ts
   * const events = set.add(obj.map('events')!);
   * console.log(events.size);
   * ```
   */
  add(map: BpfMap | RingBufferSource, callback?: RecordCallback): RingBufferReader {
    if (this.#closed) throw new EventBufferError('ring buffer set is closed', { map: map.name });
    const reader = RingBufferReader.open(map);
    try {
      native().epollCtl(this.#epoll.fd, EPOLL_CTL_ADD, reader.fd, EPOLLIN, this.#members.length);
    } catch (e) {
      reader.close();
      throw new EventBufferError('cannot add ring buffer to the epoll set', { map: map.name }, { cause: toSysError(e, 'epoll_ctl', 'epoll_ctl ADD') });
    }
    this.#members.push({ reader, callback });
    return reader;
  }

  /** The rings, in the order they were added. */
  get rings(): readonly RingBufferReader[] {
    return this.#members.map((m) => m.reader);
  }

  get closed(): boolean {
    return this.#closed;
  }

  consume(callback: RecordCallback): number {
    let n = 0;
    for (const m of this.#members) n += m.reader.consume(m.callback ?? callback);
    return n;
  }

  protected waitReadable(options: WaitOptions): Promise<WaitOutcome> {
    if (this.#closed) return Promise.resolve('closed');
    for (const m of this.#members) if (m.reader.hasReadyRecord) return Promise.resolve('ready');
    return this.#waiter.wait(options);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#waiter.close();
    for (const m of this.#members) m.reader.close();
    this.#epoll.close();
  }
}
